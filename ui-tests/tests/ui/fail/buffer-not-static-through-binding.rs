// Rule 10, when the borrow is hidden behind a binding: rustc's borrow checker reports it at
// the buffer.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let mut local = [0u8; 2];
    let rx: &mut [u8] = &mut local;
    let _ = chain!(ctx: SENSORS, [ read(TEMP, rx) ]);
}
