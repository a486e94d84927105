// The display's generated handle has the display's kind: write-only, so a read does not
// compile.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::leak;

mod dt {
    rtio_macros::devicetree!("boards/devices.dts", drivers {
        "solomon,ssd0323" => ui_tests::Immediate = ui_tests::Immediate,
    }, used [display]);
}

#[rtio_define(sq = 2, cq = 2)]
static BOARD: Rtio;

fn main() {
    let ctx = BOARD.claim().unwrap();
    let rx = leak::<2>();
    let _ = chain!(ctx: BOARD, [ read(dt::labels::display::DEV, rx) ]);
}
