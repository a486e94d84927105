// Every mistake of a chain is reported in one run, each at its own token.
use rtio::{Duration, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, TEMP};

#[rtio_define(sq = 8, cq = 8)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let rx = leak::<2>();
    let _ = chain!(ctx: SENSORS, [
        link_timeout(Duration::from_millis(5)),
        tiny_write(TEMP, [0; 20]),
        read(TEMP, rx).no_response(),
    ]);
}
