//! An iodev as an embedded-hal SPI device (blocking and async).

use crate::transfer::{self, Piece, Pieces, DEFAULT_TIMEOUT};
use embedded_hal::spi::Operation;
use rtio::{caps, Context, Dev, Duration, Error};

/// An iodev as an embedded-hal SPI device (a bus and its chip select): implements
/// `embedded_hal::spi::SpiDevice` and `embedded_hal_async::spi::SpiDevice`, every
/// [`Operation`] included.
///
/// A `transaction` is one rtio transaction: chip select held for all its operations (S5).
///
/// * The owned form, for what fits it: writes are copied into the entries, reads come back
///   in pool buffers (the context needs a [`rtio::Mempool`]; a read larger than its largest
///   free run fails [`rtio::Error::NoMemory`]), and a LINK_TIMEOUT
///   ([`SpiHandle::with_timeout`], default 1 s, on a context with a clock) ends a transfer
///   a hung device never finishes with [`rtio::Error::TimedOut`].
/// * The borrowed form, for a single operation the owned form cannot carry (full duplex, a
///   write longer than the entries, a read longer than the pool): the caller's buffer goes
///   to the iodev as it is, no copy, any length (`TransferInPlace` copies the bytes to send
///   aside first). It completes before the call returns, untimed: the runtime has no
///   timeout for borrowed buffers yet. At most [`crate::MAX_ENTRIES`] entries (a write
///   counts one per 15 bytes). Full duplex and `DelayNs` inside a transaction of several
///   operations are refused with [`rtio::Error::NotSupported`]; an async call with a single
///   operation the owned form cannot carry runs on the caller's buffer and completes
///   before it returns.
///
/// ```
/// use embedded_hal::spi::{Operation, SpiDevice};
/// use rtio_hal::SpiHandle;
/// use rtio_sim::{sd, Bus, SdCard};
/// use rtio::{Mempool, PoolStorage, Rtio, Storage};
/// static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
/// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
/// static STORAGE: Storage<8, 8> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL).with_clock(&rtio::time::STD_CLOCK);
///
/// let card = Bus::spi("spi-hal-doc", 20_000_000).attach_spi(0, SdCard::new(1024).ready());
/// let ctx = RTIO.claim().unwrap();
/// let mut spi = SpiHandle::new(&ctx, card.dev());
/// // One chip-select cycle: CMD13, then N_CR and the R2 status.
/// let mut r2 = [0u8; 3];
/// spi.transaction(&mut [Operation::Write(&sd::command(sd::CMD13, 0)), Operation::Read(&mut r2)])?;
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
    /// [`rtio::Error::TimedOut`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn transceive(&self) -> impl FnOnce(&Context, &[u8], &mut [u8]) -> Result<usize, Error> {
        let dev = self.dev;
        move |ctx: &Context, tx: &[u8], rx: &mut [u8]| {
            ctx.scope(|s| {
                let op = s.transceive(dev, tx, rx)?;
                s.wait(op)
            })
        }
    }

    fn blocking(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), Error> {
        match ops {
            [] => Ok(()),
            // Too long for the entries or the pool, or full duplex: on the caller's buffer.
            [op] if !fits(self.ctx, op) => {
                transfer::borrowed(self.ctx, self.dev, piece(op), self.transceive())
            }
            ops => {
                let mut pieces = pieces(ops)?;
                transfer::owned_blocking(self.ctx, self.dev, &mut pieces, self.timeout)
            }
        }
    }

    async fn run(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), Error> {
        match ops {
            [] => Ok(()),
            [Operation::DelayNs(ns)] => transfer::delay(self.ctx, *ns).await,
            [op] if !fits(self.ctx, op) => {
                // Full duplex, or longer than the owned form carries: on the caller's buffer,
                // complete before returning.
                transfer::borrowed(self.ctx, self.dev, piece(op), self.transceive())
            }
            ops => {
                let mut pieces = pieces(ops)?;
                transfer::owned(self.ctx, self.dev, &mut pieces, self.timeout).await
            }
        }
    }
}

/// Whether a single operation fits the owned form.
fn fits(ctx: &Context, op: &Operation<'_, u8>) -> bool {
    match op {
        Operation::Write(w) => transfer::write_fits(ctx, w.len()),
        Operation::Read(r) => transfer::read_fits(ctx, r.len()),
        _ => false,
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

/// The pieces of a transaction of several operations.
fn pieces<'a>(ops: &'a mut [Operation<'_, u8>]) -> Result<Pieces<'a>, Error> {
    Pieces::collect(ops.iter_mut().map(piece))
}

impl<K: caps::Kind> embedded_hal::spi::ErrorType for SpiHandle<'_, K> {
    type Error = crate::Error;
}

impl<K: caps::Read + caps::Write + caps::Transceive> embedded_hal::spi::SpiDevice
    for SpiHandle<'_, K>
{
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), crate::Error> {
        self.blocking(operations).map_err(crate::Error::from)
    }
}

impl<K: caps::Read + caps::Write + caps::Transceive> embedded_hal_async::spi::SpiDevice
    for SpiHandle<'_, K>
{
    async fn transaction(
        &mut self,
        operations: &mut [Operation<'_, u8>],
    ) -> Result<(), crate::Error> {
        self.run(operations).await.map_err(crate::Error::from)
    }
}
