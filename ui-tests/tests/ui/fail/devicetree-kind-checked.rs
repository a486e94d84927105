// Kinds generated from the devicetree are checked like any other: the ADC binding can read
// and stream, not write.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};

mod dt {
    rtio_macros::devicetree!("boards/sensors.dts", drivers {
        "ti,stellaris-adc" => ui_tests::Immediate = ui_tests::Immediate,
    });
}

const ADC: rtio::Dev<dt::soc::adc_40038000::Kind> = dt::soc::adc_40038000::DEV;

#[rtio_define(sq = 2, cq = 2)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(ADC, [0x01]) ]);
}
