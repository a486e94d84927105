//! Stream an IMU with one multishot read: every shot arrives in its own pool buffer (four
//! blocks of 32 bytes), handed back owned and freed on drop.
#![forbid(unsafe_code)] // the expansions need no `unsafe`
use rtio::Rtio;
use rtio_macros::{chain, rtio_define};
use ui_tests::{IMU, SHOTS};

#[rtio_define(sq = 2, cq = 8, mempool(blocks = 4, block_size = 32, align = 32))]
static STREAM: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = STREAM.claim().expect("first claim");
    let h = chain!(ctx: STREAM, [ read_multishot(IMU, 32, 32) ] => submit)?;
    let mut buffers = Vec::new();
    for shot in 0..SHOTS {
        let c = ctx.consume().unwrap();
        assert_eq!(c.result(), Ok(32));
        assert_eq!(c.flags().contains(rtio::CqeFlags::MORE), shot + 1 < SHOTS);
        let data = c.buffer().data().expect("a pool buffer").to_vec();
        assert_eq!(data, [shot as u8; 32]);
        buffers.push(c);
    }
    assert_eq!(STREAM.pool().map(|p| p.free_blocks()), Some(0));
    drop(buffers);
    assert_eq!(STREAM.pool().map(|p| p.free_blocks()), Some(4));
    assert_eq!(ctx.cancel(h.head()), Err(rtio::Error::Stale));
    Ok(())
}
