// Rule 1: an op the iodev cannot do. The display is write-only.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, DISPLAY};

#[rtio_define(sq = 4, cq = 4)]
static UI: Rtio;

fn main() {
    let ctx = UI.claim().unwrap();
    let rx = leak::<4>();
    let _ = chain!(ctx: UI, [ read(DISPLAY, rx) ]);
}
