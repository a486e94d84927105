// Rule 12: an I2C-only op (bus recovery) on a SPI iodev.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::FLASH;

#[rtio_define(sq = 4, cq = 4)]
static STORAGE_CTX: Rtio;

fn main() {
    let ctx = STORAGE_CTX.claim().unwrap();
    let _ = chain!(ctx: STORAGE_CTX, [ i2c_recover(FLASH) ]);
}
