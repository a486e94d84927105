// A pool read whose minimum is larger than the whole pool can never be served.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4, mempool(blocks = 2, block_size = 16))]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ read_pool(TEMP, 64, 64) ]);
}
