// Rule 9: an empty chain.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, []);
}
