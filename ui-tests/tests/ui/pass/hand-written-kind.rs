//! Kinds written by hand (as rtio-devicetree generates them) work with the same checks.
use rtio::{caps, Dev, Iodev, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, Immediate};

/// A pressure sensor, declared without the attribute.
pub struct Bmp280;
impl caps::Kind for Bmp280 {
    const NAME: &'static str = "bmp280";
}
impl caps::Read for Bmp280 {}
impl caps::Write for Bmp280 {}
impl caps::I2c for Bmp280 {}

static DRIVER: Immediate = Immediate;
static BMP_IODEV: Iodev = Iodev::new(&DRIVER);
const BMP: Dev<Bmp280> = Dev::new_unchecked(&BMP_IODEV);

#[rtio_define(sq = 3, cq = 3)]
static SENSORS: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = SENSORS.claim().expect("first claim");
    let rx = leak::<3>();
    let [_, _, data] = chain!(ctx: SENSORS, [
        i2c_configure(BMP, 400_000),
        tiny_write(BMP, [0xf7]),
        read(BMP, rx),
    ] => wait)?;
    assert_eq!(data.buffer().data(), Some(&[0x19, 0x1a, 0x1b][..]));
    // The check-only entry point needs no context and no devices.
    let () = rtio_macros::__check!(chain [ tiny_write(ANY, [1, 2, 3]), read(ANY, RX) ]);
    Ok(())
}
