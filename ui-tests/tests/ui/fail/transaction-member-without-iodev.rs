// A DELAY has no iodev, so it cannot be a member of a bus transaction.
use rtio::{Duration, Rtio};
use rtio_macros::{rtio_define, transaction};
use ui_tests::{leak, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let rx = leak::<2>();
    let _ = transaction!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), delay(Duration::from_millis(1)), read(TEMP, rx) ]);
}
