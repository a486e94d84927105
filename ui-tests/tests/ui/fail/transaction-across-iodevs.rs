// Rule 2: a bus transaction stays on one iodev.
use rtio::Rtio;
use rtio_macros::{rtio_define, transaction};
use ui_tests::{leak, ADC, TEMP};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let rx = leak::<2>();
    let _ = transaction!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(ADC, rx) ]);
}
