//! Evidence: the `ssd1306` driver crate (with `embedded-graphics`), unchanged, drives the
//! simulated SSD1306 on I2C through `I2cHandle` (its `I2c`): its init sequence is accepted,
//! the GDDRAM equals embedded-graphics' own rendering of the same scene pixel for pixel,
//! and the panel outputs follow the remap the driver chose.

use embedded_graphics::mono_font::{ascii::FONT_6X10, MonoTextStyle};
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Circle, PrimitiveStyle, Rectangle};
use embedded_graphics::text::Text;
use rtio::{Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::I2cHandle;
use rtio_sim::Bus;
use ssd1306::{prelude::*, I2CDisplayInterface, Ssd1306};

/// embedded-graphics' own rendering, into memory.
struct Frame([[bool; 128]; 64]);
impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        Size::new(128, 64)
    }
}
impl DrawTarget for Frame {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        px: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in px {
            if (0..128).contains(&p.x) && (0..64).contains(&p.y) {
                self.0[p.y as usize][p.x as usize] = c.is_on();
            }
        }
        Ok(())
    }
}

fn scene<D: DrawTarget<Color = BinaryColor>>(d: &mut D) -> Result<(), D::Error> {
    Rectangle::new(Point::new(2, 2), Size::new(124, 60))
        .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 1))
        .draw(d)?;
    Circle::new(Point::new(88, 14), 34)
        .into_styled(PrimitiveStyle::with_fill(BinaryColor::On))
        .draw(d)?;
    Text::new(
        "rtio",
        Point::new(10, 20),
        MonoTextStyle::new(&FONT_6X10, BinaryColor::On),
    )
    .draw(d)?;
    Text::new(
        "ssd1306/I2C",
        Point::new(10, 50),
        MonoTextStyle::new(&FONT_6X10, BinaryColor::On),
    )
    .draw(d)?;
    Ok(())
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn ssd1306_crate_draws_on_the_simulated_oled_pixel_exact() {
    static POOL_STORAGE: PoolStorage<8, 32> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("ssd1306", 400_000);
    let oled = bus.attach_i2c(0x3C, rtio_sim::Ssd1306::new(64));
    let ctx = RTIO.claim().unwrap();

    let interface = I2CDisplayInterface::new(I2cHandle::new(&ctx, oled.dev(), 0x3C));
    let mut display = Ssd1306::new(interface, DisplaySize128x64, DisplayRotation::Rotate0)
        .into_buffered_graphics_mode();
    display.init().unwrap();
    scene(&mut display).unwrap();
    display.flush().unwrap();

    let mut reference = Frame([[false; 128]; 64]);
    scene(&mut reference).unwrap();
    oled.with(|o| {
        assert!(
            o.is_on() && o.charge_pump(),
            "the init sequence lit the panel"
        );
        assert_eq!(o.unknown_commands(), 0);
        assert_eq!(o.bytes_written(), 1024, "one whole frame");
        let mut wrong = 0;
        for y in 0..64u8 {
            for x in 0..128u8 {
                if o.pixel(x, y) != reference.0[y as usize][x as usize] {
                    wrong += 1;
                }
            }
        }
        assert_eq!(wrong, 0, "GDDRAM pixels differing from embedded-graphics");
        // Rotate0 remaps segments and reverses the COM scan (modules are wired that way):
        // the outputs are the memory turned half way.
        assert_eq!(o.orientation(), (true, true));
        assert!((0..64u8).all(|y| (0..128u8).all(|x| o.output(127 - x, 63 - y) == o.pixel(x, y))));
        assert_eq!(&o.to_png()[..8], b"\x89PNG\r\n\x1a\n");
    });
    assert_eq!(POOL.free_blocks(), 8);
}
