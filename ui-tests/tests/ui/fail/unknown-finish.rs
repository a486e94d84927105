// A way to finish a chain that does not exist.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0]) ] => dispatch);
}
