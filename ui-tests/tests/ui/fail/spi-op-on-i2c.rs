// Rule 12, the reverse: the SPI-only op on an I2C iodev.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ spi_configure(TEMP, 1_000_000, 0) ]);
}
