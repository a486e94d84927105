// Rule 13: NO_RESPONSE on an op that owns a buffer that must come back (S3).
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let rx = leak::<2>();
    let _ = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx).no_response() ]);
}
