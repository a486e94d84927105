// Rule 1: an op the iodev cannot do. The ADC is read-only.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::ADC;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(ADC, [0x01]) ]);
}
