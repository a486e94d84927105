//! Read the I2C sensor, then write the SPI display, without blocking: prepare, dispatch with
//! `submit(0)`, and poll for completions while doing other work.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, DISPLAY, TEMP};

#[rtio_define(sq = 8, cq = 8)]
pub static APP: Rtio;

static FRAME: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

fn main() -> Result<(), rtio::Error> {
    let ctx = APP.claim().expect("first claim");
    let rx = leak::<2>();
    let handle = chain!(ctx: APP, [
        read(TEMP, rx).userdata(1),
        write(DISPLAY, &FRAME).userdata(2).priority(rtio::Priority::High),
    ])?;
    let _ = handle.head();
    ctx.submit(0)?; // dispatch, do not wait
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match ctx.try_consume() {
            Some(c) => seen.push((c.userdata(), c.result())),
            None => std::hint::spin_loop(), // other work would go here
        }
    }
    assert_eq!(seen, [(1, Ok(2)), (2, Ok(4))]);
    Ok(())
}
