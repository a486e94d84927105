use rtio::Rtio;
use rtio_macros::rtio_define;

const DEPTH: usize = 4;

#[rtio_define(sq = DEPTH, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
