use rtio::Rtio;
use rtio_macros::rtio_define;

#[rtio_define(sq = "8", cq = 8, mempool = 16)]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
