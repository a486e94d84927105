// Rule 11: a read into an immutable buffer.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

static CALIBRATION: [u8; 2] = [0; 2];

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let rx: &'static [u8; 2] = &CALIBRATION;
    let _ = chain!(ctx: SENSORS, [ read(TEMP, rx) ]);
}
