// SPI has modes 0 to 3.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::FLASH;

#[rtio_define(sq = 4, cq = 4)]
static STORE: Rtio;

fn main() {
    let ctx = STORE.claim().unwrap();
    let _ = chain!(ctx: STORE, [ spi_configure(FLASH, 8_000_000, 4) ]);
}
