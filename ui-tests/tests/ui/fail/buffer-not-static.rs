// Rule 10: a borrowed local buffer on the non-scoped path: the operation owns its buffer
// until its completion, which may come after this function returned.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let mut buf = [0u8; 2];
    let _ = chain!(ctx: SENSORS, [ read(TEMP, &mut buf) ]);
}
