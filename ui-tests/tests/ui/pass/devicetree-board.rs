//! Devices declared once in a devicetree, bound to drivers, and used in checked chains.
use rtio::{Dev, Iodev, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, Immediate};

mod dt {
    rtio_macros::devicetree!("boards/sensors.dts");
}
use dt::soc::i2c_40002000::tmp105_48 as tmp105;

static DRIVER: Immediate = Immediate;
static TEMP_IODEV: Iodev = Iodev::new(&DRIVER);
const TEMP: Dev<tmp105::Kind> = Dev::new(&TEMP_IODEV);

#[rtio_define(sq = 2, cq = 2)]
static SENSORS: Rtio;

fn main() -> Result<(), rtio::Error> {
    assert_eq!(tmp105::BUS_ADDRESS, 0x48);
    let ctx = SENSORS.claim().expect("first claim");
    let rx = leak::<2>();
    let [_, t] = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx) ] => wait)?;
    assert_eq!(t.result(), Ok(2));
    Ok(())
}
