use rtio::Rtio;
use rtio_macros::rtio_define;

#[rtio_define(cq = 4, mempool(blocks = 4))]
static SENSORS: Rtio;

fn main() {
    let _ = SENSORS.claim();
}
