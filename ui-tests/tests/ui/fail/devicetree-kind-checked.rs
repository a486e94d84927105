// Kinds generated from the devicetree are checked like any other: the ADC binding can read
// and stream, not write.
use rtio::{Dev, Iodev, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::Immediate;

mod dt {
    rtio_macros::devicetree!("boards/sensors.dts");
}

static DRIVER: Immediate = Immediate;
static ADC_IODEV: Iodev = Iodev::new(&DRIVER);
const ADC: Dev<dt::soc::adc_40038000::Kind> = Dev::new(&ADC_IODEV);

#[rtio_define(sq = 2, cq = 2)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(ADC, [0x01]) ]);
}
