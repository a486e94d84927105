//! Completions: what the owner gets back for each entry (S2, S3).

use crate::pool::PoolBuf;
use crate::Error;

/// Flags of a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CqeFlags(u8);

impl CqeFlags {
    /// More completions of this multishot entry will follow (S2).
    pub const MORE: CqeFlags = CqeFlags(1);
    /// The completion carries a pool buffer (S11).
    pub const POOL: CqeFlags = CqeFlags(2);

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: CqeFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub(crate) const fn from_bits(b: u8) -> Self {
        CqeFlags(b)
    }
    pub(crate) const fn bits(self) -> u8 {
        self.0
    }
}

/// A buffer handed back by a completion: every buffer given to an entry comes back in its
/// terminal completion, on success, failure and cancellation alike (S3).
#[derive(Debug, Default)]
#[non_exhaustive]
pub enum Buffer {
    /// The entry had no buffer (NOP, CALLBACK, DELAY, TINY_WRITE, ...).
    #[default]
    None,
    /// The buffer of a WRITE.
    Ref(&'static [u8]),
    /// The buffer of a READ.
    Mut(&'static mut [u8]),
    /// The two buffers of a TRANSCEIVE.
    Pair {
        /// What was written.
        tx: &'static [u8],
        /// What was read.
        rx: &'static mut [u8],
    },
    /// A pool buffer (pool reads and multishot shots); freed when dropped (S11).
    Pool(PoolBuf),
}

impl Buffer {
    /// The bytes a read produced, if the buffer is readable data: the READ buffer, the
    /// TRANSCEIVE receive buffer, or the pool buffer.
    pub fn data(&self) -> Option<&[u8]> {
        match self {
            Buffer::Mut(b) => Some(b),
            Buffer::Pair { rx, .. } => Some(rx),
            Buffer::Pool(p) => Some(p),
            Buffer::Ref(b) => Some(b),
            Buffer::None => None,
        }
    }
}

/// One completion (S2): the result, the caller's userdata, flags and the returned buffer.
///
/// Taking a completion releases its queue slot; dropping it releases its pool buffer.
#[derive(Debug)]
pub struct Completion {
    /// The result as the ring carries it (`error::encode`): four bytes, so a completion
    /// moves in fewer words.
    pub(crate) result: i32,
    pub(crate) userdata: usize,
    pub(crate) flags: CqeFlags,
    pub(crate) buffer: Buffer,
}

/// S17: the entry that failed first in a chain's or a transaction's completions, and its own
/// error. Successors cancelled because of it complete `Canceled`; that does not hide the
/// cause: the first error that is not `Canceled` is reported, and only when every failure is
/// `Canceled` (the chain itself was cancelled) the first of those.
///
/// ```
/// # use rtio::{first_failure, Error, Rtio, Storage};
/// static STORAGE: Storage<2, 2> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE);
/// let ctx = RTIO.claim().unwrap();
/// fn fail(_: Result<usize, Error>, _: usize) -> Result<usize, Error> { Err(Error::Nack) }
/// let done = ctx.chain::<2>()?.callback(fail, 0).nop().wait()?;
/// assert_eq!(first_failure(&done), Some((0, Error::Nack)));
/// # Ok::<(), Error>(())
/// ```
pub fn first_failure(completions: &[Completion]) -> Option<(usize, Error)> {
    first_failure_of(completions.iter().map(|c| c.result()))
}

/// [`first_failure`] over plain results in chain order (the scoped chains' results stay in
/// their slots, not in completions): the one rule, used by both.
pub(crate) fn first_failure_of(
    results: impl Iterator<Item = Result<usize, Error>>,
) -> Option<(usize, Error)> {
    let mut canceled = None;
    for (i, r) in results.enumerate() {
        match r {
            Err(Error::Canceled) => {
                canceled.get_or_insert((i, Error::Canceled));
            }
            Err(e) => return Some((i, e)),
            Ok(_) => {}
        }
    }
    canceled
}

/// S17: why a chain waited for with [`crate::Chain::wait_checked`] (`chain!(..) => wait`)
/// did not succeed whole: the entry that failed first, in chain order, and its own error
/// (as [`first_failure`] finds them), with every completion and so every buffer (S3). Or,
/// when the chain never ran, the error that stopped it (a builder mistake, a full queue).
///
/// It converts into its [`Error`], so `?` works in functions returning `rtio::Error`.
///
/// ```
/// # use rtio::{ChainError, Error, Rtio, Storage};
/// static STORAGE: Storage<3, 3> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE);
/// let ctx = RTIO.claim().unwrap();
/// fn nack(_: Result<usize, Error>, _: usize) -> Result<usize, Error> { Err(Error::Nack) }
/// let e = ctx.chain::<3>()?.nop().callback(nack, 0).nop().wait_checked().unwrap_err();
/// assert_eq!((e.entry(), e.error()), (Some(1), Error::Nack));
/// assert_eq!(e.to_string(), "entry 1 of 3 failed: device did not acknowledge (NACK)");
/// let done = e.into_completions().unwrap();
/// assert_eq!(done[2].result(), Err(Error::Canceled)); // its successor, cancelled (S4)
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct ChainError<const N: usize> {
    error: Error,
    entry: Option<usize>,
    completions: Option<[Completion; N]>,
}

impl<const N: usize> ChainError<N> {
    /// A chain's completions, in chain order: all of them when every entry succeeded, or the
    /// first failure (for a [`crate::ChainFuture`]'s output: `ChainError::check(fut.await)`).
    ///
    /// # Errors
    /// The entry that failed first and its own error, with the completions.
    pub fn check(completions: [Completion; N]) -> Result<[Completion; N], Self> {
        match first_failure(&completions) {
            None => Ok(completions),
            Some((entry, error)) => Err(ChainError {
                error,
                entry: Some(entry),
                completions: Some(completions),
            }),
        }
    }
    /// The cause: the failed entry's own error, or why the chain did not run.
    pub fn error(&self) -> Error {
        self.error
    }
    /// Which entry failed first (0-based, chain order); `None` when the chain did not run.
    pub fn entry(&self) -> Option<usize> {
        self.entry
    }
    /// Every completion of a chain that ran, buffers included.
    pub fn completions(&self) -> Option<&[Completion; N]> {
        self.completions.as_ref()
    }
    /// Takes the completions (and their buffers) out.
    pub fn into_completions(self) -> Option<[Completion; N]> {
        self.completions
    }
}

impl<const N: usize> From<Error> for ChainError<N> {
    fn from(error: Error) -> Self {
        ChainError {
            error,
            entry: None,
            completions: None,
        }
    }
}

impl<const N: usize> From<ChainError<N>> for Error {
    fn from(e: ChainError<N>) -> Error {
        e.error
    }
}

impl<const N: usize> core::fmt::Display for ChainError<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.entry {
            Some(i) => write!(f, "entry {i} of {N} failed: {}", self.error),
            None => write!(f, "the chain did not run: {}", self.error),
        }
    }
}

impl<const N: usize> core::error::Error for ChainError<N> {}

impl Completion {
    /// `Ok(n)` with the byte count (or op-specific value), or the error.
    #[inline]
    pub fn result(&self) -> Result<usize, Error> {
        crate::error::decode(self.result)
    }
    /// The userdata given when the entry was prepared.
    pub fn userdata(&self) -> usize {
        self.userdata
    }
    /// The completion's flags.
    pub fn flags(&self) -> CqeFlags {
        self.flags
    }
    /// Whether more completions of this multishot entry follow.
    pub fn more(&self) -> bool {
        self.flags.contains(CqeFlags::MORE)
    }
    /// The returned buffer.
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }
    /// Takes the returned buffer out of the completion.
    pub fn take_buffer(&mut self) -> Buffer {
        core::mem::take(&mut self.buffer)
    }
    /// Splits the completion into its result and buffer.
    pub fn into_parts(self) -> (Result<usize, Error>, Buffer) {
        (crate::error::decode(self.result), self.buffer)
    }
}
