//! An iodev as an embedded-hal SPI device (blocking and async).

use crate::transfer::{self, Piece, Pieces, DEFAULT_TIMEOUT};
use embedded_hal::spi::Operation;
use rtio::{caps, Context, Dev, Duration};

/// An iodev as an embedded-hal SPI device (a bus and its chip select): implements
/// `embedded_hal::spi::SpiDevice` and `embedded_hal_async::spi::SpiDevice`, every
/// [`Operation`] included (`Read`, `Write`, `Transfer`, `TransferInPlace`, `DelayNs`), at any
/// length and in any number.
///
/// A `transaction` is one rtio transaction: chip select held for all its operations (S5),
/// `DelayNs` included (the iodev waits with chip select asserted: `Request::DelayNs`).
/// It runs on the caller's own buffers, no copy and no pool, one entry per operation
/// whatever its length, bounded by a LINK_TIMEOUT ([`SpiHandle::with_timeout`], default
/// [`crate::DEFAULT_TIMEOUT`], on a context with a clock), so a hung device gives
/// [`rtio::Error::TimedOut`] and nothing stays in flight. The one limit left is the context:
/// a transaction of `n` operations needs `n + 1` entries at once, and one larger than the
/// context fails [`rtio::Error::InvalidArgument`] with both sizes
/// ([`crate::Error::entries_needed`]). A `DelayNs` alone is a wait on the context's clock.
///
/// Async calls: a transaction of writes and reads that fits the owned form (writes copied
/// into at most [`crate::MAX_ENTRIES`] entries, reads within the context's pool) is truly
/// asynchronous, yields while it runs and is cancelled when its future is dropped; any
/// other transaction takes the scoped form above and completes before the call returns
/// (a borrowed buffer cannot be lent to a future that might be forgotten). The iodev must
/// then progress without this task (an interrupt-driven driver, a worker, another
/// executor); if it does not, the LINK_TIMEOUT ends the call.
///
/// ```
/// use embedded_hal::spi::{Operation, SpiDevice};
/// use rtio_hal::SpiHandle;
/// use rtio_sim::{sd, Bus, SdCard};
/// use rtio::{Mempool, PoolStorage, Rtio, Storage};
/// static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
/// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
/// static STORAGE: Storage<16, 16> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL).with_clock(&rtio::time::STD_CLOCK);
///
/// let card = Bus::spi("spi-hal-doc", 20_000_000).attach_spi(0, SdCard::new(1024).ready());
/// let ctx = RTIO.claim().unwrap();
/// let mut spi = SpiHandle::new(&ctx, card.dev());
/// // One chip-select cycle: CMD13, a pause, then N_CR and the R2 status.
/// let mut r2 = [0u8; 3];
/// spi.transaction(&mut [
///     Operation::Write(&sd::command(sd::CMD13, 0)),
///     Operation::DelayNs(1_000),
///     Operation::Read(&mut r2),
/// ])?;
/// assert_eq!(r2, [0xFF, 0x00, 0x00]);
/// // Full duplex, any length, on the caller's buffer.
/// let mut b = [0xFF; 4];
/// spi.transfer_in_place(&mut b)?;
/// assert_eq!(b, [0xFF; 4]); // an idle card answers FF
/// # Ok::<(), rtio_hal::Error>(())
/// ```
#[derive(Debug)]
pub struct SpiHandle<'c, K: caps::Kind> {
    ctx: &'c Context,
    dev: Dev<K>,
    timeout: Duration,
}

impl<'c, K: caps::Read + caps::Write + caps::Transceive> SpiHandle<'c, K> {
    /// A handle on `dev`, submitting through `ctx`.
    pub fn new(ctx: &'c Context, dev: Dev<K>) -> Self {
        SpiHandle {
            ctx,
            dev,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Sets the time after which a transaction a device never finishes fails with
    /// [`rtio::Error::TimedOut`] (the LINK_TIMEOUT bounding each transaction).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn scoped(&self, ops: &mut [Operation<'_, u8>]) -> Result<(), crate::Error> {
        let n = ops.len();
        let pieces = ops.iter_mut().map(piece);
        transfer::scoped(self.ctx, self.dev.iodev(), n, pieces, self.timeout)
    }

    fn blocking(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), crate::Error> {
        match ops {
            [] => Ok(()),
            // A delay alone: no chip select, a wait on the context's clock.
            [Operation::DelayNs(ns)] => Ok(transfer::delay_blocking(self.ctx, *ns)?),
            ops => self.scoped(ops),
        }
    }

    async fn run(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), crate::Error> {
        match ops {
            [] => Ok(()),
            [Operation::DelayNs(ns)] => Ok(transfer::delay(self.ctx, *ns).await?),
            ops => {
                if let Ok(mut pieces) = Pieces::collect(ops.iter_mut().map(piece)) {
                    if transfer::owned_fits(self.ctx, &pieces) {
                        let r = transfer::owned(self.ctx, self.dev, &mut pieces, self.timeout);
                        return Ok(r.await?);
                    }
                }
                self.scoped(ops)
            }
        }
    }
}

fn piece<'a>(op: &'a mut Operation<'_, u8>) -> Piece<'a> {
    match op {
        Operation::Write(w) => Piece::Write(w),
        Operation::Read(r) => Piece::Read(r),
        Operation::Transfer(r, w) => Piece::Transfer(r, w),
        Operation::TransferInPlace(b) => Piece::InPlace(b),
        Operation::DelayNs(ns) => Piece::DelayNs(*ns),
    }
}

impl<K: caps::Kind> embedded_hal::spi::ErrorType for SpiHandle<'_, K> {
    type Error = crate::Error;
}

impl<K: caps::Read + caps::Write + caps::Transceive> embedded_hal::spi::SpiDevice
    for SpiHandle<'_, K>
{
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), crate::Error> {
        self.blocking(operations)
    }
}

impl<K: caps::Read + caps::Write + caps::Transceive> embedded_hal_async::spi::SpiDevice
    for SpiHandle<'_, K>
{
    async fn transaction(
        &mut self,
        operations: &mut [Operation<'_, u8>],
    ) -> Result<(), crate::Error> {
        self.run(operations).await
    }
}
