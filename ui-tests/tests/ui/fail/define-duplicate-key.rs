use rtio::Rtio;
use rtio_macros::rtio_define;

#[rtio_define(sq = 4, cq = 4, sq = 8)]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
