//! The one engine behind the I2C and SPI handles: an embedded-hal transaction becomes one
//! rtio transaction (S5: one START/STOP on I2C, chip select held on SPI).
//!
//! Two forms:
//!
//! * **scoped** (every blocking call, and the async calls the owned form does not carry):
//!   the caller's own buffers go to the iodev as they are, through a
//!   [`rtio::ScopedChain`]: one entry per operation whatever its length, full duplex
//!   (`Transfer`, `TransferInPlace`) and `DelayNs` (a `Request::DelayNs` the iodev performs
//!   with chip select held) included, bounded by a LINK_TIMEOUT (S8). The call returns when
//!   every entry completed, so nothing is left in flight; a transaction needs one entry per
//!   operation plus the LINK_TIMEOUT, all in the context at once (a transaction cannot be
//!   split), and one longer than the context is refused with an error that names both sizes;
//! * **owned** (async calls of writes and reads that fit it): writes are copied into the
//!   entries ([`rtio::TINY_MAX`] bytes each), reads come back in pool buffers, and the
//!   future is truly asynchronous: it yields while the transaction runs, and dropping it
//!   cancels the transaction (S7). It is used only when the whole transaction fits
//!   [`MAX_ENTRIES`], the context and the pool; anything else takes the scoped form.
//!
//! On a context with a clock the LINK_TIMEOUT gives [`rtio::Error::TimedOut`] instead of a
//! hang; without one nothing can be timed and the transaction is not bounded.

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

/// The blocking form of [`delay`]: a `DelayNs` alone, with no chip select.
pub(crate) fn delay_blocking(ctx: &Context, ns: u32) -> Result<(), Error> {
    let us = (ns as u64).div_ceil(1000);
    if us == 0 {
        return Ok(());
    }
    let [c] = ctx.acquire()?.delay(Duration::from_micros(us)).wait()?;
    c.result().map(|_| ())
}

/// The kind the scoped form builds its chain with: the handles checked the caller's kind
/// already (`I2cHandle` needs `Read + Write`, `SpiHandle` `Transceive` too), and an I2C
/// transaction never holds full duplex.
struct Wire;
impl caps::Kind for Wire {
    const NAME: &'static str = "rtio-hal wire";
}
impl caps::Read for Wire {}
impl caps::Write for Wire {}
impl caps::Transceive for Wire {}

/// Runs the `n` operations of `pieces` as one rtio transaction on the caller's own buffers
/// (no copy, any length, full duplex and `DelayNs` included), bounded by a LINK_TIMEOUT of
/// `timeout` on a context with a clock, and blocks until it completed. Every entry is free
/// again when this returns, whatever happened.
///
/// # Errors
/// The first failure and the operation it concerns; [`Error::InvalidArgument`] with the
/// entries needed and the context's size when one transaction needs more entries than the
/// context has ([`crate::Error::entries_needed`]).
pub(crate) fn scoped<'a>(
    ctx: &Context,
    iodev: &'static rtio::Iodev,
    n: usize,
    pieces: impl Iterator<Item = Piece<'a>>,
    timeout: Duration,
) -> Result<(), crate::Error> {
    if n == 0 {
        return Ok(());
    }
    let timed = timed(ctx);
    let needed = n + usize::from(timed);
    let size = ctx.rtio().sq_len();
    if needed > size {
        // One transaction cannot be split: its entries must all be in the context at once.
        return Err(crate::Error::too_many_entries(needed, size));
    }
    let dev = Dev::<Wire>::new_unchecked(iodev);
    ctx.scope(|s| {
        let mut ch = s.chain();
        for (i, p) in pieces.enumerate() {
            if i > 0 {
                ch = ch.transaction();
            }
            ch = match p {
                Piece::Write(w) => ch.write(dev, w),
                Piece::Read(r) => ch.read(dev, r),
                Piece::Transfer(r, w) => ch.transceive(dev, w, r),
                Piece::InPlace(b) => ch.transceive_in_place(dev, b),
                Piece::DelayNs(ns) => ch.delay_ns(dev, ns),
            };
        }
        if timed {
            ch = ch.link_timeout(timeout);
        }
        ch.wait().map(|_| ())
    })
    .map_err(|e| crate::Error::at(e.error(), (e.entry() < n).then_some(e.entry())))
}

/// Whether the owned form carries `pieces` whole on `ctx`: only writes and reads, within
/// [`MAX_ENTRIES`] and the context's entries, the reads within the pool's blocks. What it
/// does not carry runs in the scoped form instead.
pub(crate) fn owned_fits(ctx: &Context, pieces: &[Piece<'_>]) -> bool {
    let Ok(n) = entries(pieces) else {
        return false;
    };
    let lt = usize::from(timed(ctx));
    if n == 0 || n + lt > MAX_ENTRIES.min(ctx.rtio().sq_len()) {
        return false;
    }
    let reads = pieces.iter().filter_map(|p| match p {
        Piece::Read(r) => Some(r.len().max(1)),
        _ => None,
    });
    match ctx.rtio().pool() {
        Some(pool) => {
            let blocks: usize = reads.map(|len| len.div_ceil(pool.block_size())).sum();
            blocks <= pool.blocks()
        }
        None => reads.count() == 0,
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
