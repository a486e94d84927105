// Every mistake in #[rtio_define] is reported in one run, and the context still exists (a
// stub with the right name), so the chain below adds no error of its own.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 8, cq = 4, sq = 2, mempool(blocks = 4, block_size = 20, align = 8), depth = 3)]
pub static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0]), read_pool(TEMP, 4, 8) ]);
}
