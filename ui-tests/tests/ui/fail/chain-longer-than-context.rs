// Rule 3: a chain longer than the context's submission side.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 2, cq = 2)]
static SMALL: Rtio;

fn main() {
    let ctx = SMALL.claim().unwrap();
    let _ = chain!(ctx: SMALL, [ tiny_write(TEMP, [0x01]), tiny_write(TEMP, [0x02]), tiny_write(TEMP, [0x03]) ]);
}
