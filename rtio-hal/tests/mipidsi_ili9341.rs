//! Evidence: the `mipidsi` display driver crate (with `embedded-graphics`), unchanged, drives
//! the simulated 4-wire ILI9341 through `SpiHandle` (its `SpiDevice`), a simulated GPIO
//! `Line` (its D/C `OutputPin`) and `Delay` (its `DelayNs`): its own init sequence (software
//! reset, MADCTL, COLMOD, sleep out, display on) is accepted, and what the panel shows is
//! pixel-exact against embedded-graphics' rendering of the same scene into memory, upright
//! and turned a quarter (MADCTL row/column exchange with mirroring).

use embedded_graphics::mono_font::{ascii::FONT_6X10, MonoTextStyle};
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Circle, Line as GLine, PrimitiveStyle, Rectangle, Triangle};
use embedded_graphics::text::Text;
use mipidsi::interface::SpiInterface;
use mipidsi::models::ILI9341Rgb565;
use mipidsi::options::{Orientation, Rotation};
use mipidsi::Builder;
use rtio::{Rtio, Storage};
use rtio_hal::{Delay, SpiHandle};
use rtio_sim::{Bus, Ili9341, Line};

/// embedded-graphics' own rendering, into memory.
struct Frame {
    size: Size,
    px: Vec<Rgb565>,
}
impl Frame {
    fn new(w: u32, h: u32) -> Frame {
        Frame {
            size: Size::new(w, h),
            px: vec![Rgb565::BLACK; (w * h) as usize],
        }
    }
    fn at(&self, x: u32, y: u32) -> u16 {
        RawU16::from(self.px[(y * self.size.width + x) as usize]).into_inner()
    }
}
impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        self.size
    }
}
impl DrawTarget for Frame {
    type Color = Rgb565;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb565>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if p.x >= 0
                && p.y >= 0
                && (p.x as u32) < self.size.width
                && (p.y as u32) < self.size.height
            {
                self.px[(p.y as u32 * self.size.width + p.x as u32) as usize] = c;
            }
        }
        Ok(())
    }
}

/// The scene: a background, filled and outlined shapes, a line and text.
fn scene<D: DrawTarget<Color = Rgb565>>(d: &mut D) -> Result<(), D::Error> {
    d.clear(Rgb565::new(2, 8, 4))?;
    Rectangle::new(Point::new(10, 12), Size::new(100, 60))
        .into_styled(PrimitiveStyle::with_fill(Rgb565::RED))
        .draw(d)?;
    Circle::new(Point::new(60, 90), 70)
        .into_styled(PrimitiveStyle::with_stroke(Rgb565::YELLOW, 3))
        .draw(d)?;
    Triangle::new(
        Point::new(150, 20),
        Point::new(230, 200),
        Point::new(120, 180),
    )
    .into_styled(PrimitiveStyle::with_fill(Rgb565::CSS_DEEP_SKY_BLUE))
    .draw(d)?;
    GLine::new(Point::new(0, 230), Point::new(239, 300))
        .into_styled(PrimitiveStyle::with_stroke(Rgb565::WHITE, 1))
        .draw(d)?;
    Text::new(
        "rtio + mipidsi",
        Point::new(20, 215),
        MonoTextStyle::new(&FONT_6X10, Rgb565::GREEN),
    )
    .draw(d)?;
    Ok(())
}

fn run(
    tag: &str,
    rtio: &'static Rtio,
    rotation: Rotation,
) -> (&'static rtio_sim::SpiDevice<Ili9341>, Frame) {
    let dc = Line::new(false);
    let lcd =
        Bus::spi(&format!("mipidsi-{tag}"), 40_000_000).attach_spi(0, Ili9341::new(dc.clone()));
    let ctx = rtio.claim().unwrap();
    let mut buffer = [0u8; 512];
    let di = SpiInterface::new(SpiHandle::new(&ctx, lcd.dev()), dc, &mut buffer);
    let mut display = Builder::new(ILI9341Rgb565, di)
        .orientation(Orientation::new().rotate(rotation))
        .init(&mut Delay::new(&ctx))
        .unwrap();
    scene(&mut display).unwrap();
    let size = display.size();
    let mut reference = Frame::new(size.width, size.height);
    scene(&mut reference).unwrap();
    (lcd, reference)
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn mipidsi_draws_on_the_simulated_ili9341_pixel_exact() {
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let (lcd, reference) = run("deg0", &RTIO, Rotation::Deg0);
    lcd.with(|l| {
        assert!(
            l.is_on() && !l.is_sleeping(),
            "the init sequence woke the panel"
        );
        assert_eq!(
            l.resets(),
            1,
            "mipidsi resets by SWRESET without a reset pin"
        );
        assert_eq!(l.unknown_commands(), 0);
        assert_eq!(l.colmod() & 0x07, 0x05, "16-bit pixels");
        let mut wrong = 0;
        for y in 0..320 {
            for x in 0..240 {
                if l.panel_rgb565(x, y) != reference.at(x as u32, y as u32) {
                    wrong += 1;
                }
            }
        }
        assert_eq!(
            wrong, 0,
            "pixels differing from embedded-graphics' own rendering"
        );
        let png = l.to_png();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let path = std::env::temp_dir().join(format!("rtio-mipidsi-{}.png", std::process::id()));
        l.save_png(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), png);
        let _ = std::fs::remove_file(path);
    });
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn mipidsi_turned_a_quarter_lands_rotated_on_the_panel() {
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let (lcd, reference) = run("deg90", &RTIO, Rotation::Deg90);
    assert_eq!(reference.size, Size::new(320, 240), "landscape");
    lcd.with(|l| {
        assert_eq!(l.madctl() & 0xE0, rtio_sim::ili::MV | rtio_sim::ili::MX);
        // A quarter turn clockwise: logical (x, y) is on the panel at (239 - y, x).
        let mut wrong = 0;
        for y in 0..240u32 {
            for x in 0..320u32 {
                if l.panel_rgb565(239 - y as u16, x as u16) != reference.at(x, y) {
                    wrong += 1;
                }
            }
        }
        assert_eq!(wrong, 0);
    });
}
