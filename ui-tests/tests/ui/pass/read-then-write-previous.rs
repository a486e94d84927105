//! Device to device in one chain: read the I2C sensor, then one SPI transaction on the
//! flash (a command header, then the read's own buffer as the data phase).
use rtio::{Buffer, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, FLASH, TEMP};

#[rtio_define(sq = 8, cq = 8)]
pub static APP: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = APP.claim().expect("first claim");
    let rx = leak::<2>();
    let [ptr, read, cmd, data] = chain!(ctx: APP, [
        tiny_write(TEMP, [0x00]),
        read(TEMP, rx),
        transaction[ tiny_write(FLASH, [0x02, 0x00, 0x10, 0x00]), write_previous(FLASH) ],
    ] => wait)?;
    assert!(ptr.result().is_ok() && cmd.result().is_ok());
    assert!(matches!(read.buffer(), Buffer::None), "the read lent its buffer on");
    assert!(matches!(data.buffer(), Buffer::Mut(b) if b.len() == 2), "it comes back once, here");
    Ok(())
}
