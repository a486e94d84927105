use rtio::Rtio;
use rtio_macros::rtio_define;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio = Rtio::new(&STORAGE);

fn main() {
    let _ = SENSORS.claim();
}
