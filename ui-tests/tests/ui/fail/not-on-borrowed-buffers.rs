// `=> wait_scoped` builds a chain on borrowed buffers, which offers fewer operations.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static APP: Rtio;

fn main() {
    let ctx = APP.claim().unwrap();
    let mut rx = [0u8; 2];
    let _ = chain!(ctx: APP, [ nop(), read(TEMP, &mut rx).userdata(3) ] => wait_scoped);
}
