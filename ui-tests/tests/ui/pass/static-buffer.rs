//! A static buffer without `static mut` or `unsafe`: `rtio::StaticBuf` is taken once and
//! moves into the chain; the completion hands it back (S3), and a second take finds it gone.
#![forbid(unsafe_code)]
use rtio::{Rtio, StaticBuf};
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 2, cq = 2)]
static SENSORS: Rtio;
static RX: StaticBuf<2> = StaticBuf::new();

fn main() -> Result<(), rtio::Error> {
    let ctx = SENSORS.claim()?;
    let rx = RX.take().expect("taken once");
    let [_, temp] = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx) ] => wait)?;
    assert_eq!(temp.buffer().data(), Some(&[0x19, 0x1a][..]));
    assert!(RX.take().is_none(), "it travels with the entries, never taken twice");
    Ok(())
}
