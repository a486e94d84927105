//! `mempool(.., align = 64)`: every pool block starts on a 64-byte boundary (more than the
//! runtime's own 8), e.g. for DMA or cache lines.
use rtio::{Buffer, Rtio};
use rtio_macros::{chain, rtio_define};
use ui_tests::TEMP;

#[rtio_define(sq = 4, cq = 4, mempool(blocks = 4, block_size = 64, align = 64))]
static DMA: Rtio;

fn main() -> Result<(), rtio::Error> {
    let ctx = DMA.claim().expect("first claim");
    assert_eq!((DMA::POOL_BLOCKS, DMA::POOL_BLOCK_SIZE, DMA::POOL_ALIGN), (4, 64, 64));
    for _ in 0..4 {
        chain!(ctx: DMA, [ read_pool(TEMP, 8, 64) ] => submit)?;
        let c = ctx.consume().unwrap();
        let Buffer::Pool(b) = c.buffer() else { panic!("a pool buffer") };
        assert_eq!(b.as_ptr() as usize % 64, 0);
        assert_eq!(&b[..2], &[0x19, 0x19]);
        core::mem::forget(c); // keep the block: the next read gets the next one
    }
    Ok(())
}
