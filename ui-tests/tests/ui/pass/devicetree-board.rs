//! Devices declared once in a devicetree, bound to drivers there, and used in checked
//! chains through their generated handles (no hand wiring, no `Dev` constructor).
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::leak;

mod dt {
    rtio_macros::devicetree!("boards/sensors.dts", drivers {
        "ti,tmp105" => ui_tests::Immediate = ui_tests::Immediate,
        "ti,stellaris-adc" => ui_tests::Immediate = ui_tests::Immediate,
    }, used [temp, adc0]);
}
use dt::labels::{adc0, temp};

#[rtio_define(sq = 2, cq = 2)]
static SENSORS: Rtio;

fn main() -> Result<(), rtio::Error> {
    assert_eq!(temp::BUS_ADDRESS, 0x48u8);
    let ctx = SENSORS.claim().expect("first claim");
    let rx = leak::<2>();
    let [_, t] = chain!(ctx: SENSORS, [ tiny_write(temp::DEV, [0x00]), read(temp::DEV, rx) ] => wait)?;
    assert_eq!(t.result(), Ok(2));
    let rx = leak::<2>();
    let [a] = chain!(ctx: SENSORS, [ read(adc0::DEV, rx) ] => wait)?;
    assert_eq!(a.result(), Ok(2));
    Ok(())
}
