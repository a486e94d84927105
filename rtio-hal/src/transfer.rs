//! The one engine behind the I2C and SPI handles: an embedded-hal transaction becomes one
//! rtio transaction (S5: one START/STOP on I2C, chip select held on SPI).
//!
//! Two ways, chosen by what the transaction holds:
//!
//! * **borrowed** (one operation the owned form cannot carry: full duplex, longer than the
//!   entries or the pool): the caller's buffer goes to the iodev as it is, through
//!   [`rtio::Context::scope`]: no copy, no length limit, full duplex included; untimed;
//! * **owned** (everything else): writes are copied into the
//!   entries ([`rtio::TINY_MAX`] bytes each), reads come back in pool buffers, and a
//!   LINK_TIMEOUT bounds the whole transaction (S8), so a hung device gives
//!   [`rtio::Error::TimedOut`] instead of a hang (on a context with a clock: without one
//!   nothing can be timed and the transaction is not bounded). A read is bounded by the largest free run
//!   of the context's pool ([`rtio::Error::NoMemory`] names it), the transaction by
//!   [`MAX_ENTRIES`] entries ([`rtio::Error::InvalidArgument`]).

use rtio::{caps, Buffer, Chain, Completion, Context, Dev, Duration, Error, TINY_MAX};

/// Most entries one owned transaction may become: each write counts one per started
/// [`TINY_MAX`] bytes, each read one, and the LINK_TIMEOUT one.
pub const MAX_ENTRIES: usize = 32;

/// The timeout adapters use unless told otherwise (`with_timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);

/// One embedded-hal operation, as both handles see it.
#[derive(Debug)]
pub(crate) enum Piece<'a> {
    Write(&'a [u8]),
    Read(&'a mut [u8]),
    /// Full duplex: read into the first, write the second (lengths may differ).
    Transfer(&'a mut [u8], &'a [u8]),
    /// Full duplex in place: write the buffer's bytes, replace them with what came in.
    InPlace(&'a mut [u8]),
    /// Wait, with the bus held.
    DelayNs(u32),
}

/// Entries the owned form of `pieces` needs (without the LINK_TIMEOUT).
fn entries(pieces: &[Piece<'_>]) -> Result<usize, Error> {
    let mut n = 0;
    for p in pieces {
        n += match p {
            Piece::Write(w) => w.len().div_ceil(TINY_MAX).max(1),
            Piece::Read(_) => 1,
            // Full duplex needs both buffers to stay with the iodev: only the borrowed form
            // (a single operation, blocking) has them.
            Piece::Transfer(..) | Piece::InPlace(_) | Piece::DelayNs(_) => {
                return Err(Error::NotSupported)
            }
        };
    }
    Ok(n)
}

/// Whether a single write of `len` bytes fits the owned form (with its LINK_TIMEOUT) on
/// `ctx`: within [`MAX_ENTRIES`] and the context's entries.
pub(crate) fn write_fits(ctx: &Context, len: usize) -> bool {
    len.div_ceil(TINY_MAX).max(1) < MAX_ENTRIES.min(ctx.rtio().sq_len())
}

/// Whether a single read of `len` bytes fits the owned form on `ctx`: within its pool.
pub(crate) fn read_fits(ctx: &Context, len: usize) -> bool {
    ctx.rtio()
        .pool()
        .is_some_and(|p| len <= p.blocks() * p.block_size())
}

/// Builds the owned transaction of exactly `N` entries for `pieces`, the last a LINK_TIMEOUT.
fn build<'c, const N: usize, K: caps::Read + caps::Write>(
    ctx: &'c Context,
    dev: Dev<K>,
    pieces: &[Piece<'_>],
    timeout: Duration,
) -> Result<Chain<'c, N>, Error> {
    let mut ch = ctx.chain::<N>()?;
    let mut first = true;
    for p in pieces.iter() {
        match p {
            Piece::Write(w) => {
                let empty: &[u8] = &[];
                let mut chunks = w.chunks(TINY_MAX);
                let head = chunks.next().unwrap_or(empty);
                for c in core::iter::once(head).chain(chunks) {
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
            _ => return Err(Error::NotSupported),
        }
    }
    Ok(if timed(ctx) {
        ch.link_timeout(timeout)
    } else {
        ch
    })
}

/// Whether the context can time a transaction (it has a clock); without one the owned form
/// has no LINK_TIMEOUT.
fn timed(ctx: &Context) -> bool {
    ctx.rtio().now().is_some()
}

/// Takes the results of an owned transaction: the first error, or the reads copied out.
fn finish(done: &mut [Completion], pieces: &mut [Piece<'_>]) -> Result<(), Error> {
    // S17: the first failing member carries the cause; the rest say `Canceled`.
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
            _ => {}
        }
    }
    Ok(())
}

macro_rules! by_len {
    ($ctx:expr, $pieces:expr, $run:ident, $($n:literal)*) => {
        match (entries($pieces)?, usize::from(timed($ctx))) {
            (0, _) => Ok(()), // an empty transaction has nothing to do
            (n, lt) => match n + lt {
                $($n => $run!($n),)*
                _ => Err(Error::InvalidArgument),
            },
        }
    };
}

/// Runs `pieces` as one owned transaction bounded by `timeout`, awaiting it.
pub(crate) async fn owned<K: caps::Read + caps::Write>(
    ctx: &Context,
    dev: Dev<K>,
    pieces: &mut [Piece<'_>],
    timeout: Duration,
) -> Result<(), Error> {
    macro_rules! run {
        ($n:literal) => {{
            let mut done = build::<$n, K>(ctx, dev, pieces, timeout)?.run()?.await;
            finish(&mut done, pieces)
        }};
    }
    by_len!(ctx, pieces, run, 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32)
}

/// Runs `pieces` as one owned transaction bounded by `timeout`, blocking with the
/// context's wait strategy.
pub(crate) fn owned_blocking<K: caps::Read + caps::Write>(
    ctx: &Context,
    dev: Dev<K>,
    pieces: &mut [Piece<'_>],
    timeout: Duration,
) -> Result<(), Error> {
    macro_rules! run {
        ($n:literal) => {{
            let mut done = build::<$n, K>(ctx, dev, pieces, timeout)?.wait()?;
            finish(&mut done, pieces)
        }};
    }
    by_len!(ctx, pieces, run, 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32)
}

/// Waits `ns` nanoseconds on the context's clock: a DELAY entry (S8), rounded up to whole
/// microseconds.
pub(crate) async fn delay(ctx: &Context, ns: u32) -> Result<(), Error> {
    let us = (ns as u64).div_ceil(1000);
    if us == 0 {
        return Ok(());
    }
    let [c] = ctx.acquire()?.delay(Duration::from_micros(us)).run()?.await;
    c.result().map(|_| ())
}

/// The blocking form of [`delay`].
pub(crate) fn delay_blocking(ctx: &Context, ns: u32) -> Result<(), Error> {
    let us = (ns as u64).div_ceil(1000);
    if us == 0 {
        return Ok(());
    }
    let [c] = ctx.acquire()?.delay(Duration::from_micros(us)).wait()?;
    c.result().map(|_| ())
}

/// Runs one operation on the caller's own buffer (no copy, any length), blocking.
pub(crate) fn borrowed<K: caps::Read + caps::Write>(
    ctx: &Context,
    dev: Dev<K>,
    piece: Piece<'_>,
    transceive: impl FnOnce(&Context, &[u8], &mut [u8]) -> Result<usize, Error>,
) -> Result<(), Error> {
    match piece {
        Piece::Write(w) => ctx.scope(|s| {
            let op = s.write(dev, w)?;
            s.wait(op)
        }),
        Piece::Read(r) => ctx.scope(|s| {
            let op = s.read(dev, r)?;
            s.wait(op)
        }),
        Piece::Transfer(r, w) => transceive(ctx, w, r),
        Piece::InPlace(b) => in_place(ctx, b, transceive),
        Piece::DelayNs(ns) => delay_blocking(ctx, ns).map(|_| 0),
    }
    .map(|_| ())
}

/// A full-duplex transfer in place: the bytes to send are copied aside first (the iodev
/// must not read and write one buffer at once).
fn in_place(
    ctx: &Context,
    b: &mut [u8],
    transceive: impl FnOnce(&Context, &[u8], &mut [u8]) -> Result<usize, Error>,
) -> Result<usize, Error> {
    #[cfg(feature = "std")]
    {
        let tx = std::vec::Vec::from(&*b);
        transceive(ctx, &tx, b)
    }
    #[cfg(not(feature = "std"))]
    {
        // Without a heap the copy sits on the stack.
        const STACK: usize = 256;
        let mut tx = [0u8; STACK];
        let tx = tx.get_mut(..b.len()).ok_or(Error::InvalidArgument)?;
        tx.copy_from_slice(b);
        transceive(ctx, tx, b)
    }
}

/// A fixed-capacity list of pieces (no heap): a transaction of more than [`MAX_ENTRIES`]
/// operations cannot fit the owned form anyway.
pub(crate) struct Pieces<'a> {
    items: [Piece<'a>; MAX_ENTRIES],
    len: usize,
}

impl<'a> Pieces<'a> {
    /// Collects `it`; more than [`MAX_ENTRIES`] pieces is [`Error::InvalidArgument`].
    pub(crate) fn collect(it: impl Iterator<Item = Piece<'a>>) -> Result<Self, Error> {
        let mut p = Pieces {
            items: core::array::from_fn(|_| Piece::Write(&[])),
            len: 0,
        };
        for piece in it {
            *p.items.get_mut(p.len).ok_or(Error::InvalidArgument)? = piece;
            p.len += 1;
        }
        Ok(p)
    }
}

impl<'a> core::ops::Deref for Pieces<'a> {
    type Target = [Piece<'a>];
    fn deref(&self) -> &Self::Target {
        &self.items[..self.len]
    }
}

impl core::ops::DerefMut for Pieces<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.items[..self.len]
    }
}
