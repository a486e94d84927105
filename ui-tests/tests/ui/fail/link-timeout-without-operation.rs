// Rule 8: a LINK_TIMEOUT bounds the operation before it; here there is none.
use rtio::{Duration, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let rx = leak::<2>();
    let _ = chain!(ctx: SENSORS, [ link_timeout(Duration::from_millis(5)), read(TEMP, rx) ]);
}
