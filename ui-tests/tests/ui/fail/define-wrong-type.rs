use rtio_macros::rtio_define;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: rtio::Context;

fn main() {
    let _ = SENSORS.claim();
}
