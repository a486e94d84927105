// Rule 4 when the data is not a literal: its type (`[u8; 16]`) says it does not fit.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

const INIT_SEQUENCE: [u8; 16] = [0; 16];

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(TEMP, &INIT_SEQUENCE) ]);
}
