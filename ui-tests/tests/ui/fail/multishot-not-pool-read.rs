// Rule 6: multishot on an op other than a read, or on a read without a pool buffer.
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::{leak, IMU, DISPLAY};

#[rtio_define(sq = 4, cq = 4, mempool(blocks = 4, block_size = 32))]
static SENSORS: Rtio;

static FRAME: [u8; 4] = [0; 4];

fn main() {
    let ctx = SENSORS.claim().unwrap();
    let _ = chain!(ctx: SENSORS, [ write(DISPLAY, &FRAME).multishot() ]);
    let rx = leak::<32>();
    let _ = chain!(ctx: SENSORS, [ read(IMU, rx).multishot() ]);
}
