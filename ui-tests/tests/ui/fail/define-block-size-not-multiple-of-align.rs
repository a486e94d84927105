use rtio::Rtio;
use rtio_macros::rtio_define;

#[rtio_define(sq = 4, cq = 4, mempool(blocks = 4, block_size = 24, align = 16))]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
