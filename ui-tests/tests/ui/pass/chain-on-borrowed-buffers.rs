// `=> wait_scoped`: `chain!` and `transaction!` on stack buffers, blocking until done.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define, transaction};
use ui_tests::{DISPLAY, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static APP: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = APP.claim()?;
    let mut temp = [0u8; 2];
    let frame = [0u8; 64];
    let n = transaction!(ctx: APP, [ tiny_write(TEMP, [0x00]), read(TEMP, &mut temp) ] => wait_scoped)?;
    assert_eq!(n, 2);
    chain!(ctx: APP, [ write(DISPLAY, &frame).hardlink(), write(DISPLAY, &frame[..8]) ] => wait_scoped)?;
    Ok(())
}
