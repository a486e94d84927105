// Rule 1 (streaming): a multishot read on a device that cannot stream.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4, mempool(blocks = 4, block_size = 32))]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ read_multishot(TEMP, 2, 2) ]);
}
