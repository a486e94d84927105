//! Iodevs as an embedded-hal I2C bus (blocking and async), any address.

use crate::transfer::{self, Piece, Pieces, DEFAULT_TIMEOUT};
use embedded_hal::i2c::Operation;
use rtio::{caps, Context, Dev, Duration, Error};

/// Targets one [`I2cHandle`] can address.
pub const MAX_TARGETS: usize = 16;

/// Iodevs on one I2C bus as an embedded-hal I2C bus: implements `embedded_hal::i2c::I2c`
/// and `embedded_hal_async::i2c::I2c`.
///
/// Each target address is an iodev (a simulated target, a driver's per-address iodev); the
/// handle sends a transaction to the iodev of its address, so one driver can use several
/// addresses (paged EEPROMs, multiplexers). An address without an iodev gets
/// `NoAcknowledge`, as on a bus where nothing answers.
///
/// A `transaction` is one rtio transaction (S5): one START, a repeated START only where the
/// direction changes, one STOP. It runs on the caller's own buffers (no copy, no pool, any
/// length), one entry per operation and any number of operations, bounded by a
/// LINK_TIMEOUT ([`I2cHandle::with_timeout`], default [`crate::DEFAULT_TIMEOUT`], on a
/// context with a clock): a hung target gives [`rtio::Error::TimedOut`] and nothing stays
/// in flight. The one limit left is the context: `n` operations need `n + 1` entries at once,
/// and a transaction larger than the context fails [`rtio::Error::InvalidArgument`] with both
/// sizes ([`crate::Error::entries_needed`]).
///
/// Async calls: writes and reads that fit the owned form (writes copied into at most
/// [`crate::MAX_ENTRIES`] entries, reads within the context's pool) are truly asynchronous
/// and cancelled when their future is dropped; larger ones take the form above and complete
/// before the call returns (see [`crate::SpiHandle`]).
///
/// ```
/// use embedded_hal_async::i2c::I2c;
/// use rtio_hal::I2cHandle;
/// use rtio_sim::{At24c, Bus, Tmp105};
/// use rtio::{Mempool, PoolStorage, Rtio, Storage};
///
/// static POOL_STORAGE: PoolStorage<4, 32> = PoolStorage::new();
/// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
/// static STORAGE: Storage<16, 16> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL).with_clock(&rtio::time::STD_CLOCK);
///
/// let bus = Bus::i2c("i2c-hal-doc", 400_000);
/// let tmp = bus.attach_i2c(0x48, Tmp105::new(25.5));
/// let eeprom = bus.attach_i2c(0x50, At24c::new(4096, 32));
/// let ctx = RTIO.claim().unwrap();
/// let mut i2c = I2cHandle::new(&ctx, tmp.dev(), 0x48).with_target(0x50, eeprom.dev());
/// let mut raw = [0u8; 2];
/// rtio::block_on(i2c.write_read(0x48, &[0x00], &mut raw))?;
/// assert_eq!(raw, [0x19, 0x80]);
/// rtio::block_on(i2c.write_read(0x50, &[0x00, 0x00], &mut raw))?;
/// assert_eq!(raw, [0xFF, 0xFF]); // erased
/// assert!(rtio::block_on(i2c.read(0x23, &mut raw)).is_err()); // nobody at 0x23
/// # Ok::<(), rtio_hal::Error>(())
/// ```
#[derive(Debug)]
pub struct I2cHandle<'c, K: caps::Kind> {
    ctx: &'c Context,
    targets: [Option<(u8, Dev<K>)>; MAX_TARGETS],
    timeout: Duration,
}

impl<'c, K: caps::Read + caps::Write> I2cHandle<'c, K> {
    /// A handle on `dev`, the target at `address`, submitting through `ctx`.
    pub fn new(ctx: &'c Context, dev: Dev<K>, address: u8) -> Self {
        I2cHandle {
            ctx,
            targets: [None; MAX_TARGETS],
            timeout: DEFAULT_TIMEOUT,
        }
        .with_target(address, dev)
    }

    /// Adds (or replaces) the iodev of the target at `address`.
    ///
    /// # Panics
    /// When the handle already has [`MAX_TARGETS`] targets.
    pub fn with_target(mut self, address: u8, dev: Dev<K>) -> Self {
        let slot = self
            .targets
            .iter()
            .position(|t| t.is_some_and(|(a, _)| a == address))
            .or_else(|| self.targets.iter().position(Option::is_none))
            .expect("an I2cHandle serves at most MAX_TARGETS addresses");
        self.targets[slot] = Some((address, dev));
        self
    }

    /// Sets the time after which a transaction a target never finishes fails with
    /// [`rtio::Error::TimedOut`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn target(&self, address: u8) -> Result<Dev<K>, Error> {
        self.targets
            .iter()
            .flatten()
            .find(|(a, _)| *a == address)
            .map(|(_, d)| *d)
            .ok_or(Error::Nack)
    }

    fn scoped(&self, dev: Dev<K>, ops: &mut [Operation<'_>]) -> Result<(), crate::Error> {
        let n = ops.len();
        let pieces = ops.iter_mut().map(piece);
        transfer::scoped(self.ctx, dev.iodev(), n, pieces, self.timeout)
    }

    fn blocking(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), crate::Error> {
        let dev = self.target(address)?;
        self.scoped(dev, ops)
    }

    async fn run(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), crate::Error> {
        let dev = self.target(address)?;
        if let Ok(mut pieces) = Pieces::collect(ops.iter_mut().map(piece)) {
            if transfer::owned_fits(self.ctx, &pieces) {
                let r = transfer::owned(self.ctx, dev, &mut pieces, self.timeout);
                return Ok(r.await?);
            }
        }
        self.scoped(dev, ops)
    }
}

fn piece<'a>(op: &'a mut Operation<'_>) -> Piece<'a> {
    match op {
        Operation::Write(w) => Piece::Write(w),
        Operation::Read(r) => Piece::Read(r),
    }
}

impl<K: caps::Kind> embedded_hal::i2c::ErrorType for I2cHandle<'_, K> {
    type Error = crate::Error;
}

impl<K: caps::Read + caps::Write> embedded_hal::i2c::I2c for I2cHandle<'_, K> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), crate::Error> {
        self.blocking(address, operations)
    }
}

impl<K: caps::Read + caps::Write> embedded_hal_async::i2c::I2c for I2cHandle<'_, K> {
    async fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), crate::Error> {
        self.run(address, operations).await
    }
}
