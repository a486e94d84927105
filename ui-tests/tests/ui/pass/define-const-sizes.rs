//! Sizes from configuration constants: the same rules, checked as const assertions.
#![forbid(unsafe_code)] // the expansions need no `unsafe`
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

mod config {
    pub const SQ: usize = 4;
    pub const BLOCK: usize = 32;
}

#[rtio_define(sq = config::SQ, cq = 2 * config::SQ, mempool(blocks = config::SQ, block_size = config::BLOCK, align = 32))]
static SENSORS: Rtio;

fn main() -> Result<(), rtio::Error> {
    assert_eq!((SENSORS::SQ, SENSORS::CQ, SENSORS::POOL_BYTES), (4, 8, 128));
    let ctx = SENSORS.claim().expect("first claim");
    let [c] = chain!(ctx: SENSORS, [ read_pool(TEMP, 8, 32) ] => wait)?;
    assert_eq!(c.buffer().data().map(<[u8]>::len), Some(32));
    Ok(())
}
