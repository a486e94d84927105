// `write_previous` writes the caller buffer of the nearest earlier `read`; here there is none.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::{FLASH, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), write_previous(FLASH) ]);
}
