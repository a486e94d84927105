//! Errors of operations and of the context itself.

use core::fmt;

/// Why an operation, or a call on the context, did not succeed.
///
/// Operation errors travel through completion entries as small negative codes
/// ([`Error::code`] / [`Error::from_code`]), so they stay `Copy` and fit the 16-byte CQE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The operation was cancelled, or a predecessor in its chain failed (S4, S7).
    Canceled,
    /// A LINK_TIMEOUT or a deadline expired first (S8).
    TimedOut,
    /// The device did not acknowledge (I2C address or data NACK).
    Nack,
    /// A bus-level fault: arbitration lost, framing, a stuck line.
    Bus,
    /// The device had to drop data (FIFO overrun).
    Overrun,
    /// No memory-pool block (or not enough contiguous blocks) was free.
    NoMemory,
    /// The iodev does not implement this operation.
    NotSupported,
    /// An argument was invalid (a buffer too small, a bad configuration value).
    InvalidArgument,
    /// No submission entry or no completion slot is free right now (S9). Nothing was taken.
    QueueFull,
    /// A cancel or signal handle no longer names a live operation (S7).
    Stale,
    /// The chain or transaction is malformed (for example, a transaction member on another
    /// iodev, or a LINK_TIMEOUT with no operation before it).
    InvalidChain,
    /// The iodev dropped the operation's token without completing it.
    Dropped,
    /// The context was built without a memory pool, but the operation asks for pool buffers.
    NoPool,
    /// The context was built without a clock, but the operation needs time.
    NoClock,
    /// The driver reported more bytes than the operation's buffer holds (S3, S11): the
    /// length is refused rather than trusted.
    BadLength,
    /// The call would wait for completions that can never come (S16): `submit(n)` with fewer
    /// than `n` operations outstanding, or `consume()` with nothing outstanding.
    WouldHang,
    /// The context is already claimed: another owner holds its [`crate::Context`]
    /// ([`ClaimError::AlreadyClaimed`] converted).
    Claimed,
    /// A chain was built on the owner side of another context than the one it was checked
    /// against (`chain!(ctx: A, ..)` with `ctx` claimed from a different `Rtio`).
    WrongContext,
    /// A device-specific error code.
    Device(u8),
}

/// Why [`crate::Rtio::claim`] gave no owner side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClaimError {
    /// Another owner holds the context (one owner at a time); it is given back when that
    /// owner's `Context` is dropped.
    AlreadyClaimed,
    /// Another [`crate::Rtio`] built over the same [`crate::Storage`] was claimed first: a
    /// storage belongs to one context (its entries and completions were made under that
    /// context's pool and clock).
    StorageInUse,
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimError::AlreadyClaimed => f.write_str(
                "the context is already claimed: another owner holds its `Context` (drop it to give the context back)",
            ),
            ClaimError::StorageInUse => f.write_str(
                "the storage belongs to another `Rtio`: build one `Rtio` per `Storage`",
            ),
        }
    }
}

impl core::error::Error for ClaimError {}

impl From<ClaimError> for Error {
    fn from(e: ClaimError) -> Error {
        match e {
            ClaimError::AlreadyClaimed | ClaimError::StorageInUse => Error::Claimed,
        }
    }
}

/// A coarse classification of [`Error`], in the spirit of `embedded_hal::i2c::ErrorKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Cancelled or timed out: the operation did not run to completion.
    Aborted,
    /// The device or the bus reported a fault.
    Device,
    /// Resources (queue slots, pool blocks) were exhausted.
    Resources,
    /// The request itself was wrong.
    Usage,
}

impl Error {
    /// The coarse kind of this error.
    pub const fn kind(self) -> ErrorKind {
        match self {
            Error::Canceled | Error::TimedOut | Error::Dropped => ErrorKind::Aborted,
            Error::Nack | Error::Bus | Error::Overrun | Error::BadLength | Error::Device(_) => {
                ErrorKind::Device
            }
            Error::NoMemory | Error::QueueFull | Error::Claimed => ErrorKind::Resources,
            Error::NotSupported
            | Error::InvalidArgument
            | Error::Stale
            | Error::InvalidChain
            | Error::NoPool
            | Error::NoClock
            | Error::WouldHang
            | Error::WrongContext => ErrorKind::Usage,
        }
    }

    /// The negative code this error travels as inside a completion entry.
    #[inline]
    pub const fn code(self) -> i32 {
        match self {
            Error::Canceled => -1,
            Error::TimedOut => -2,
            Error::Nack => -3,
            Error::Bus => -4,
            Error::Overrun => -5,
            Error::NoMemory => -6,
            Error::NotSupported => -7,
            Error::InvalidArgument => -8,
            Error::QueueFull => -9,
            Error::Stale => -10,
            Error::InvalidChain => -11,
            Error::Dropped => -12,
            Error::NoPool => -13,
            Error::NoClock => -14,
            Error::BadLength => -15,
            Error::WouldHang => -16,
            Error::Claimed => -17,
            Error::WrongContext => -18,
            Error::Device(c) => -256 - c as i32,
        }
    }

    /// The error a negative completion code stands for (unknown codes map to `Device`).
    #[inline]
    pub const fn from_code(code: i32) -> Error {
        match code {
            -1 => Error::Canceled,
            -2 => Error::TimedOut,
            -3 => Error::Nack,
            -4 => Error::Bus,
            -5 => Error::Overrun,
            -6 => Error::NoMemory,
            -7 => Error::NotSupported,
            -8 => Error::InvalidArgument,
            -9 => Error::QueueFull,
            -10 => Error::Stale,
            -11 => Error::InvalidChain,
            -12 => Error::Dropped,
            -13 => Error::NoPool,
            -14 => Error::NoClock,
            -15 => Error::BadLength,
            -16 => Error::WouldHang,
            -17 => Error::Claimed,
            -18 => Error::WrongContext,
            c if c <= -256 && c > -512 => Error::Device((-c - 256) as u8),
            _ => Error::Device(255),
        }
    }
}

/// Packs an error into the one byte an entry keeps for "first error of the chain" (S4).
/// Device codes above 126 saturate to `Device(127)`.
pub(crate) fn to_carry(e: Error) -> u8 {
    match e {
        Error::Device(c) => 128 + c.min(127),
        other => (-other.code()) as u8,
    }
}

/// Unpacks [`to_carry`]; 0 means "no error".
pub(crate) fn from_carry(c: u8) -> Option<Error> {
    match c {
        0 => None,
        128.. => Some(Error::Device(c - 128)),
        c => Some(Error::from_code(-(c as i32))),
    }
}

/// Encodes an operation result as the `i32` a completion entry carries.
#[inline]
pub(crate) fn encode(res: Result<usize, Error>) -> i32 {
    match res {
        Ok(n) => n.min(i32::MAX as usize) as i32,
        Err(e) => e.code(),
    }
}

/// Decodes the `i32` of a completion entry. The length inline; an error's table lookup
/// out of line (one copy per program, not one per `Completion::result` call).
#[inline]
pub(crate) fn decode(raw: i32) -> Result<usize, Error> {
    if raw >= 0 {
        Ok(raw as usize)
    } else {
        Err(error_of(raw))
    }
}

#[cold]
#[inline(never)]
fn error_of(raw: i32) -> Error {
    Error::from_code(raw)
}

/// An operation's result as the executor and the posting code carry it: [`encode`]'s `i32`
/// (a length `>= 0`, or an error's negative code). One register where a
/// `Result<usize, Error>` takes two words and, through the functions that are not inlined,
/// memory. A driver's length is bounded by its buffer before it is encoded (`post::bounded`);
/// any length above `i32::MAX` (a CALLBACK's result) saturates, as in a completion.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Code(i32);

impl Code {
    /// `Ok(0)`.
    pub(crate) const OK0: Code = Code(0);
    /// `Err(Error::Canceled)`.
    pub(crate) const CANCELED: Code = Code(Error::Canceled.code());
    /// `Err(Error::TimedOut)`.
    pub(crate) const TIMED_OUT: Code = Code(Error::TimedOut.code());

    /// `res`, encoded.
    #[inline]
    pub(crate) fn of(res: Result<usize, Error>) -> Code {
        Code(encode(res))
    }
    /// `Ok(n)`, encoded.
    #[inline]
    pub(crate) fn ok(n: usize) -> Code {
        Code::of(Ok(n))
    }
    /// `Err(e)`, encoded.
    #[inline]
    pub(crate) const fn err(e: Error) -> Code {
        Code(e.code())
    }
    /// The `i32` a completion cell or a slot keeps.
    #[inline]
    pub(crate) const fn raw(self) -> i32 {
        self.0
    }
    /// A code kept as [`Code::raw`] (a slot's result).
    #[inline]
    pub(crate) const fn from_raw(raw: i32) -> Code {
        Code(raw)
    }
    /// Whether this is an error.
    #[inline]
    pub(crate) const fn is_err(self) -> bool {
        self.0 < 0
    }
    /// The length, when this is a success.
    #[inline]
    pub(crate) const fn len(self) -> Option<usize> {
        if self.0 >= 0 {
            Some(self.0 as usize)
        } else {
            None
        }
    }
    /// The result, decoded.
    #[inline]
    pub(crate) fn get(self) -> Result<usize, Error> {
        decode(self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Error::Canceled => "operation cancelled",
            Error::TimedOut => "operation timed out",
            Error::Nack => "device did not acknowledge (NACK)",
            Error::Bus => "bus error",
            Error::Overrun => "device overrun: data was dropped",
            Error::NoMemory => "no memory-pool blocks free",
            Error::NotSupported => "operation not supported by the iodev",
            Error::InvalidArgument => "invalid argument",
            Error::QueueFull => "no submission entry or completion slot free",
            Error::Stale => "stale handle: the operation is gone",
            Error::InvalidChain => "invalid chain or transaction",
            Error::Dropped => "iodev dropped the operation without completing it",
            Error::NoPool => "the context has no memory pool",
            Error::NoClock => "the context has no clock",
            Error::BadLength => "the driver reported more bytes than the buffer holds",
            Error::WouldHang => "the wait could never end: not enough operations outstanding",
            Error::Claimed => "the context is already claimed by another owner",
            Error::WrongContext => {
                "the owner side belongs to another context than the one the chain was checked against"
            }
            Error::Device(c) => return write!(f, "device error {c}"),
        };
        f.write_str(s)
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let all = [
            Error::Canceled,
            Error::TimedOut,
            Error::Nack,
            Error::Bus,
            Error::Overrun,
            Error::NoMemory,
            Error::NotSupported,
            Error::InvalidArgument,
            Error::QueueFull,
            Error::Stale,
            Error::InvalidChain,
            Error::Dropped,
            Error::NoPool,
            Error::NoClock,
            Error::BadLength,
            Error::WouldHang,
            Error::Claimed,
            Error::WrongContext,
            Error::Device(0),
            Error::Device(255),
        ];
        for e in all {
            assert!(e.code() < 0);
            assert_eq!(Error::from_code(e.code()), e);
            assert_eq!(decode(encode(Err(e))), Err(e));
        }
        assert_eq!(decode(encode(Ok(42))), Ok(42));
        // The executor's `Code` carries the same encoding.
        for e in all {
            let c = Code::err(e);
            assert!(c.is_err() && c.len().is_none());
            assert_eq!((c.get(), Code::of(Err(e))), (Err(e), c));
        }
        assert_eq!((Code::ok(7).len(), Code::ok(7).get()), (Some(7), Ok(7)));
        assert_eq!(Code::OK0, Code::ok(0));
        assert_eq!(Code::CANCELED.get(), Err(Error::Canceled));
        assert_eq!(Code::TIMED_OUT.get(), Err(Error::TimedOut));
        for e in all {
            let back = from_carry(to_carry(e)).unwrap();
            match e {
                Error::Device(c) => assert_eq!(back, Error::Device(c.min(127))),
                e => assert_eq!(back, e),
            }
        }
    }
}
