//! Iodevs as embedded-hal(-async) I2C and SPI devices, so driver crates run over rtio.

use rtio::caps;
use rtio::Context;
use rtio::Dev;
use rtio::Error;
use rtio::TINY_MAX;
use rtio::{Buffer, Completion};

/// Most entries one embedded-hal transaction may become: each write is split into
/// [`TINY_MAX`]-byte pieces (copied into the entries, no buffer to keep alive), each read is
/// one pool read.
pub const MAX_ENTRIES: usize = 12;

/// One embedded-hal operation, as the adapter sees it.
enum Piece<'a> {
    Write(&'a [u8]),
    Read(&'a mut [u8]),
}

/// Entries `pieces` needs.
fn entries(pieces: &[Piece<'_>]) -> usize {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Write(w) => w.len().div_ceil(TINY_MAX).max(1),
            Piece::Read(_) => 1,
        })
        .sum()
}

/// Runs `pieces` as one transaction of exactly `N` entries on `dev`.
async fn run_n<const N: usize, K: caps::Read + caps::Write>(
    ctx: &Context,
    dev: Dev<K>,
    pieces: &mut [Piece<'_>],
) -> Result<(), Error> {
    let mut ch = ctx.chain::<N>()?;
    let mut first = true;
    for p in pieces.iter() {
        match p {
            Piece::Write(w) => {
                let mut chunks = w.chunks(TINY_MAX);
                let empty: &[u8] = &[];
                let first_chunk = chunks.next().unwrap_or(empty);
                for c in core::iter::once(first_chunk).chain(chunks) {
                    if !first {
                        ch = ch.transaction();
                    }
                    ch = ch.tiny_write(dev, c);
                    first = false;
                }
            }
            Piece::Read(r) => {
                if !first {
                    ch = ch.transaction();
                }
                let n = r.len().max(1);
                ch = ch.read_pool(dev, n, n);
                first = false;
            }
        }
    }
    let mut done: [Completion; N] = ch.run()?.await;
    // S5: the first failing member carries the error, the rest `Canceled`.
    if let Some(e) = done.iter().find_map(|c| c.result().err()) {
        return Err(e);
    }
    let mut k = 0;
    for p in pieces.iter_mut() {
        match p {
            Piece::Write(w) => k += w.len().div_ceil(TINY_MAX).max(1),
            Piece::Read(r) => {
                match done[k].take_buffer() {
                    Buffer::Pool(b) if b.len() >= r.len() => r.copy_from_slice(&b[..r.len()]),
                    _ => return Err(Error::NoMemory),
                }
                k += 1;
            }
        }
    }
    Ok(())
}

async fn run<K: caps::Read + caps::Write>(
    ctx: &Context,
    dev: Dev<K>,
    pieces: &mut [Piece<'_>],
) -> Result<(), Error> {
    macro_rules! by_len {
        ($($n:literal)*) => {
            match entries(pieces) {
                0 => Ok(()), // an empty transaction has nothing to do
                $($n => run_n::<$n, K>(ctx, dev, pieces).await,)*
                _ => Err(Error::InvalidArgument),
            }
        };
    }
    by_len!(1 2 3 4 5 6 7 8 9 10 11 12)
}

/// Converts embedded-hal operations into pieces, in order; returns how many.
fn collect<'a>(
    ops: impl Iterator<Item = Result<Piece<'a>, Error>>,
    out: &mut [Piece<'a>; MAX_ENTRIES],
) -> Result<usize, Error> {
    let mut n = 0;
    for p in ops {
        *out.get_mut(n).ok_or(Error::InvalidArgument)? = p?;
        n += 1;
    }
    Ok(n)
}

fn no_pieces<'a>() -> [Piece<'a>; MAX_ENTRIES] {
    core::array::from_fn(|_| Piece::Write(&[]))
}

/// An iodev as an embedded-hal I2C bus for one target address: implements
/// `embedded_hal_async::i2c::I2c` (and the blocking `embedded_hal::i2c::I2c`, which parks
/// the thread until the completion on `std`, and spins with [`rtio::block_on`] otherwise).
///
/// A `transaction` becomes one rtio transaction (S5): writes are copied into TINY_WRITE
/// entries, reads go through pool buffers, so the context needs a [`rtio::Mempool`]. At most
/// [`MAX_ENTRIES`] entries: each write counts one per started 15 bytes, each read one.
/// Another address than the handle's gets `NoAcknowledge`.
///
/// ```
/// use embedded_hal_async::i2c::I2c;
/// use rtio_hal::I2cHandle;
/// use rtio_sim::{Bus, Tmp105};
/// use rtio::{Mempool, PoolStorage, Rtio, Storage};
///
/// static POOL_STORAGE: PoolStorage<4, 32> = PoolStorage::new();
/// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
/// static STORAGE: Storage<4, 4> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL);
///
/// let tmp = Bus::i2c("i2c-hal-doc", 400_000).attach_i2c(0x48, Tmp105::new(25.5));
/// let ctx = RTIO.claim().unwrap();
/// let mut i2c = I2cHandle::new(&ctx, tmp.dev(), 0x48);
/// let mut raw = [0u8; 2];
/// rtio::block_on(i2c.write_read(0x48, &[0x00], &mut raw))?;
/// assert_eq!(raw, [0x19, 0x80]);
/// # Ok::<(), rtio::Error>(())
/// ```
#[derive(Debug)]
pub struct I2cHandle<'c, K: caps::Kind> {
    ctx: &'c Context,
    dev: Dev<K>,
    address: u8,
}

impl<'c, K: caps::Read + caps::Write> I2cHandle<'c, K> {
    /// A handle on `dev`, the target at `address`, submitting through `ctx`.
    pub fn new(ctx: &'c Context, dev: Dev<K>, address: u8) -> Self {
        I2cHandle { ctx, dev, address }
    }

    async fn i2c_transaction(
        &mut self,
        address: u8,
        ops: &mut [embedded_hal::i2c::Operation<'_>],
    ) -> Result<(), Error> {
        use embedded_hal::i2c::Operation as Op;
        if address != self.address {
            return Err(Error::Nack);
        }
        let mut pieces = no_pieces();
        let n = collect(
            ops.iter_mut().map(|o| {
                Ok(match o {
                    Op::Write(w) => Piece::Write(w),
                    Op::Read(r) => Piece::Read(r),
                })
            }),
            &mut pieces,
        )?;
        run(self.ctx, self.dev, &mut pieces[..n]).await
    }
}

impl<K: caps::Kind> embedded_hal::i2c::ErrorType for I2cHandle<'_, K> {
    type Error = crate::Error;
}

impl<K: caps::Read + caps::Write> embedded_hal_async::i2c::I2c for I2cHandle<'_, K> {
    async fn transaction(
        &mut self,
        address: u8,
        operations: &mut [embedded_hal::i2c::Operation<'_>],
    ) -> Result<(), crate::Error> {
        self.i2c_transaction(address, operations)
            .await
            .map_err(crate::Error::from)
    }
}

impl<K: caps::Read + caps::Write> embedded_hal::i2c::I2c for I2cHandle<'_, K> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [embedded_hal::i2c::Operation<'_>],
    ) -> Result<(), crate::Error> {
        crate::block(self.i2c_transaction(address, operations)).map_err(crate::Error::from)
    }
}

/// An iodev as an embedded-hal SPI device (bus and chip select): implements
/// `embedded_hal_async::spi::SpiDevice` and the blocking `embedded_hal::spi::SpiDevice`.
///
/// A `transaction` becomes one rtio transaction: chip select held for all its operations.
/// `Write` and `Read` are supported as for [`I2cHandle`]; `Transfer`, `TransferInPlace` and
/// `DelayNs` return [`Error::NotSupported`] (a full-duplex transfer needs both buffers to
/// outlive the operation, which borrowed embedded-hal buffers do not).
///
/// ```
/// use embedded_hal::spi::{Operation, SpiDevice};
/// use rtio_hal::SpiHandle;
/// use rtio_sim::{sd, Bus, SdCard};
/// use rtio::{Mempool, PoolStorage, Rtio, Storage};
/// static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
/// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
/// static STORAGE: Storage<8, 8> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL);
///
/// let card = Bus::spi("spi-hal-doc", 20_000_000).attach_spi(0, SdCard::new(1024).ready());
/// let ctx = RTIO.claim().unwrap();
/// let mut spi = SpiHandle::new(&ctx, card.dev());
/// // One chip-select cycle: CMD13, then N_CR and the R2 status.
/// let mut r2 = [0u8; 3];
/// spi.transaction(&mut [Operation::Write(&sd::command(sd::CMD13, 0)), Operation::Read(&mut r2)])?;
/// assert_eq!(r2, [0xFF, 0x00, 0x00]);
/// # Ok::<(), rtio_hal::Error>(())
/// ```
#[derive(Debug)]
pub struct SpiHandle<'c, K: caps::Kind> {
    ctx: &'c Context,
    dev: Dev<K>,
}

impl<'c, K: caps::Read + caps::Write> SpiHandle<'c, K> {
    /// A handle on `dev`, submitting through `ctx`.
    pub fn new(ctx: &'c Context, dev: Dev<K>) -> Self {
        SpiHandle { ctx, dev }
    }

    async fn spi_transaction(
        &mut self,
        ops: &mut [embedded_hal::spi::Operation<'_, u8>],
    ) -> Result<(), Error> {
        use embedded_hal::spi::Operation as Op;
        let mut pieces = no_pieces();
        let n = collect(
            ops.iter_mut().map(|o| match o {
                Op::Write(w) => Ok(Piece::Write(w)),
                Op::Read(r) => Ok(Piece::Read(r)),
                _ => Err(Error::NotSupported),
            }),
            &mut pieces,
        )?;
        run(self.ctx, self.dev, &mut pieces[..n]).await
    }
}

impl<K: caps::Kind> embedded_hal::spi::ErrorType for SpiHandle<'_, K> {
    type Error = crate::Error;
}

impl<K: caps::Read + caps::Write> embedded_hal_async::spi::SpiDevice for SpiHandle<'_, K> {
    async fn transaction(
        &mut self,
        operations: &mut [embedded_hal::spi::Operation<'_, u8>],
    ) -> Result<(), crate::Error> {
        self.spi_transaction(operations)
            .await
            .map_err(crate::Error::from)
    }
}

impl<K: caps::Read + caps::Write> embedded_hal::spi::SpiDevice for SpiHandle<'_, K> {
    fn transaction(
        &mut self,
        operations: &mut [embedded_hal::spi::Operation<'_, u8>],
    ) -> Result<(), crate::Error> {
        crate::block(self.spi_transaction(operations)).map_err(crate::Error::from)
    }
}
