//! Write the TMP105's pointer register, then read the temperature: once as a chain, once as
//! one bus transaction (repeated start), both checked at compile time.
#![forbid(unsafe_code)] // the expansions need no `unsafe`
use rtio::Rtio;
use rtio_macros::{chain, rtio_define, transaction};
use ui_tests::{leak, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = SENSORS.claim().expect("first claim");

    let rx = leak::<2>();
    chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx).userdata(7) ])?;
    ctx.submit(2)?;
    let pointer = ctx.consume().unwrap();
    let temp = ctx.consume().unwrap();
    assert_eq!(pointer.result(), Ok(1));
    assert_eq!((temp.userdata(), temp.buffer().data()), (7, Some(&[0x19, 0x1a][..])));

    let rx = leak::<2>();
    let pointer_reg: &[u8] = b"\x00"; // a slice: its length is checked by `prepare`
    let [pointer, temp] =
        transaction!(ctx: SENSORS, [ tiny_write(TEMP, pointer_reg), read(TEMP, rx) ] => wait)?;
    assert!(pointer.result().is_ok());
    assert_eq!(temp.buffer().data(), Some(&[0x19, 0x1a][..]));
    Ok(())
}
