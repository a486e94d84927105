// Rule 7: a multishot read inside a chain (or a transaction) never lets the next entry start.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::IMU;

#[rtio_define(sq = 4, cq = 4, mempool(blocks = 4, block_size = 32))]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ read_multishot(IMU, 32, 32), nop() ]);
}
