use rtio::Rtio;
use rtio_macros::rtio_define;

#[rtio_define(sq = 0, cq = 4, mempool(blocks = 0, block_size = 32))]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
