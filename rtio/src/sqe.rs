//! Submission queue entries: what an operation asks for.
//!
//! An [`Sqe`] is 32 bytes on 32-bit targets (pinned by a `const` assert in `lib.rs`). Its
//! payload is a union whose active member is named by [`Op`]. The builders (`chain`, `scope`)
//! write it; the accessors here read it after checking the op, and the executor, the timers
//! and the token reach single fields by `addr_of!` so that no `&mut` to a whole entry is
//! ever formed while another side may read its header. (Issue 9 asks for this module to be
//! the only codec; that move is not done yet.)

use crate::time::{Duration, Instant};
use crate::Error;
use core::ptr::NonNull;

/// The operation an entry performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Op {
    /// Does nothing and completes `Ok(0)`; needs no iodev.
    Nop = 0,
    /// Reads into a caller buffer (or a pool buffer with the pool flag).
    Read,
    /// Writes a caller buffer.
    Write,
    /// Full-duplex transfer: writes `tx` while reading `rx`.
    Transceive,
    /// Writes up to [`TINY_MAX`] bytes stored inside the entry.
    TinyWrite,
    /// Calls a plain function with the result of the entry before it (S4).
    Callback,
    /// Completes after a duration (S8).
    Delay,
    /// Bounds the entry before it in the chain (S8).
    LinkTimeout,
    /// Completes when signalled; aimed at an iodev it holds that iodev until then (S15).
    Await,
    /// I2C only: set the bus speed in Hz.
    I2cConfigure,
    /// I2C only: recover a stuck bus (clock out nine pulses, STOP).
    I2cRecover,
    /// SPI only: set clock frequency and mode.
    SpiConfigure,
    /// A wait the iodev performs itself with the device held (SPI: chip select asserted
    /// between the transaction members around it): embedded-hal's `Operation::DelayNs`.
    /// Unlike [`Op::Delay`] it needs no clock and goes to the driver, which refuses it with
    /// [`Error::NotSupported`] when it cannot wait on the bus.
    DelayNs,
}

const _: () = assert!(
    Op::Write as u8 == Op::Read as u8 + 1 && Op::Transceive as u8 == Op::Read as u8 + 2,
    "the buffer ops are numbered in a row (`Op::hands_back_buffer`)"
);

impl Op {
    /// Whether a completion of this op can hand a buffer back: a caller's (S3) or pool
    /// blocks (S11). Exactly the ops `Context::take_buffer` hands something back for.
    #[inline(always)]
    pub(crate) const fn hands_back_buffer(self) -> bool {
        // Read, Write and Transceive are numbered 1 to 3, so this is one compare.
        (self as u8).wrapping_sub(Op::Read as u8) <= Op::Transceive as u8 - Op::Read as u8
    }
}

/// Largest TINY_WRITE payload, stored inline in the entry.
pub const TINY_MAX: usize = 15;

/// Flags of an entry (S4-S6, S9, S11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// The next entry starts after this one completes (S4).
    pub const CHAINED: Flags = Flags(1);
    /// The next entry is a member of the same bus transaction (S5).
    pub const TRANSACTION: Flags = Flags(2);
    /// With CHAINED: the next entry runs even if this one fails (S4).
    pub const HARDLINK: Flags = Flags(4);
    /// No completion entry is posted (S2).
    pub const NO_RESPONSE: Flags = Flags(8);
    /// Keeps producing completions until cancelled (S2, S7).
    pub const MULTISHOT: Flags = Flags(16);
    /// The iodev takes its buffer from the context's memory pool (S11).
    pub const MEMPOOL: Flags = Flags(32);

    /// No flags.
    pub const fn empty() -> Self {
        Flags(0)
    }
    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    /// Both sets of flags.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }
    pub(crate) fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
}

/// Priority of an entry in its iodev's queue (S12): higher first, FIFO among equals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Priority {
    /// Background work.
    Low = 0,
    /// The default.
    #[default]
    Normal = 1,
    /// Ahead of normal work.
    High = 2,
    /// Ahead of everything.
    Urgent = 3,
}

impl Priority {
    /// Number of priority levels.
    pub const LEVELS: usize = 4;
}

/// A plain function that a CALLBACK entry calls (S4). It receives the result of the entry
/// before it (the first error of the chain if there was one) and its argument; what it returns
/// is the callback's own result.
pub type CallbackFn = fn(prev: Result<usize, Error>, arg: usize) -> Result<usize, Error>;

/// The iodev an entry is aimed at, by address. The entry encoding sits below the driver
/// contract (an [`Iodev`](crate::Iodev) serves tokens, which name contexts, which hold
/// entries), so an entry keeps the address, and `iodev.rs`, which makes every one from a
/// `&'static Iodev`, turns it back (`Iodev::addr`, `Iodev::of`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct DevAddr(NonNull<()>);

impl DevAddr {
    /// # Safety
    /// `p` is the address of an `Iodev` that lives for `'static`.
    #[inline(always)]
    pub(crate) const unsafe fn new(p: NonNull<()>) -> Self {
        DevAddr(p)
    }
    #[inline(always)]
    pub(crate) fn get(self) -> NonNull<()> {
        self.0
    }
}

/// An AWAIT's continuation ([`ResumeFn`](crate::ResumeFn), `iodev.rs`), by address, for
/// the same reason as [`DevAddr`].
#[derive(Clone, Copy)]
pub(crate) struct ResumeAddr(NonNull<()>);

impl ResumeAddr {
    /// # Safety
    /// `p` is a `ResumeFn` cast to a pointer.
    #[inline(always)]
    pub(crate) const unsafe fn new(p: NonNull<()>) -> Self {
        ResumeAddr(p)
    }
    #[inline(always)]
    pub(crate) fn get(self) -> NonNull<()> {
        self.0
    }
}

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct BufPayload {
    pub ptr: *mut u8,
    pub len: usize,
    /// For pool reads: the minimum size (`len` is the preferred one). Unused for caller
    /// buffers (who hands those back is `Meta::HANDOFF`).
    pub pool_min: u32,
    /// For pool reads: the allocated block range.
    pub pool_range: u32,
}

/// The runtime's own bits of an entry, apart from the public [`Flags`]: its priority and
/// what the builders decided about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta(u8);

impl Meta {
    const PRIO: u8 = 0x03;
    /// The result stays in the slot for a future or a scope, not the ring.
    pub(crate) const KEPT: u8 = 0x04;
    /// A transaction member after the head; it is cancelled through its head (S5).
    pub(crate) const MEMBER: u8 = 0x08;
    /// A chain of one NOP without an iodev and nothing else (no flags): the owner's submit
    /// completes it in place, without the executor. Set only by `Chain::prepare`, which
    /// otherwise gives the head its start function (`executor::StartFn`).
    pub(crate) const PLAIN: u8 = 0x10;
    /// The caller buffer changes hands along the chain. On a READ: it was lent to a later
    /// WRITE of the chain (`write_previous`), so the read's completion hands nothing back.
    /// On a WRITE: the buffer comes back mutable (`write_mut`, or the one `write_previous`
    /// took). Without it an entry hands its own buffer back as it was given.
    pub(crate) const HANDOFF: u8 = 0x20;
    /// The next entry of the chain is a LINK_TIMEOUT bounding this one. The executor reads
    /// this bit of the entry it owns instead of the successor's header, which a cancel may
    /// already have completed and the owner recycled (a data race under Miri).
    pub(crate) const LT_NEXT: u8 = 0x40;
    /// The entry sits between a READ that lent its buffer and the WRITE that took it (or is
    /// that write): cancelling it alone could hand the buffer back while the read still
    /// fills it, so it is cancelled only through an earlier entry.
    pub(crate) const NO_CANCEL: u8 = 0x80;

    /// Normal priority, nothing else: all zero bits, so that a context's storage starts
    /// zeroed (`.bss`, no initialised-data image). The priority is kept XOR 1 for this.
    pub(crate) const DEFAULT: Meta = Meta(0);

    /// Whether `bit` is set.
    #[inline]
    pub(crate) const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    /// Sets `bit`.
    #[inline]
    pub(crate) fn set(&mut self, bit: u8) {
        self.0 |= bit;
    }
    /// The priority.
    #[inline]
    pub(crate) const fn priority(self) -> Priority {
        match (self.0 & Self::PRIO) ^ 1 {
            0 => Priority::Low,
            1 => Priority::Normal,
            2 => Priority::High,
            _ => Priority::Urgent,
        }
    }
    /// Sets the priority.
    pub(crate) fn set_priority(&mut self, p: Priority) {
        self.0 = (self.0 & !Self::PRIO) | (p as u8 ^ 1);
    }
}

impl BufPayload {
    /// A caller buffer (not a pool read).
    pub(crate) fn new(ptr: *mut u8, len: usize) -> Self {
        BufPayload {
            ptr,
            len,
            pool_min: 0,
            pool_range: 0,
        }
    }
}

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct TxRxPayload {
    pub tx: *const u8,
    pub tx_len: usize,
    pub rx: *mut u8,
    pub rx_len: usize,
}

impl TxRxPayload {
    /// Whether this is a transceive in place ([`Payload::in_place`]): one buffer, sent and
    /// overwritten.
    pub(crate) fn in_place(&self) -> Option<(*mut u8, usize)> {
        (core::ptr::eq(self.tx, self.rx) && self.tx_len == self.rx_len && self.rx_len > 0)
            .then_some((self.rx, self.rx_len))
    }
}

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct TinyPayload {
    pub len: u8,
    pub data: [u8; TINY_MAX],
}

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct CallbackPayload {
    pub f: CallbackFn,
    pub arg: usize,
}

/// DELAY and LINK_TIMEOUT: the duration until dispatch, then the deadline and its place in
/// the context's timer heap (`timer.rs`).
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct TimePayload {
    /// Duration before arming, absolute deadline (µs) after; the top bit says which
    /// ([`TimePayload::ABSOLUTE`]).
    pub at: u64,
    /// Position in the timer heap while armed.
    pub heap_pos: u16,
    /// LINK_TIMEOUT: the entry it bounds, and that entry's generation.
    pub target: u16,
    pub target_gen: u16,
    /// Arming order: equal deadlines fire in this order (S8).
    pub seq: u16,
}

impl TimePayload {
    /// In `at`: the value is an absolute deadline.
    pub const ABSOLUTE: u64 = 1 << 63;

    fn new(at: u64) -> Self {
        TimePayload {
            at,
            heap_pos: NONE,
            target: NONE,
            target_gen: 0,
            seq: 0,
        }
    }
    /// Whether `at` is a deadline already.
    pub fn is_absolute(&self) -> bool {
        self.at & Self::ABSOLUTE != 0
    }
    /// The deadline (µs), once absolute.
    pub fn deadline(&self) -> u64 {
        self.at & !Self::ABSOLUTE
    }
    /// Makes the entry's deadline `now + duration` if it held a duration.
    pub fn arm(&mut self, now: Instant) {
        if !self.is_absolute() {
            let d = Duration::from_micros(self.at);
            self.at = (now + d).as_micros().min(!Self::ABSOLUTE) | Self::ABSOLUTE;
        }
    }
}

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct AwaitPayload {
    pub resume: Option<ResumeAddr>,
}

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct ConfigPayload {
    pub hz: u32,
    pub mode: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
/// The payload of an entry, its member named by the op. Only this module reads or writes
/// members: builders use the encoders below, the runtime the decoders of [`Sqe`].
pub(crate) union Payload {
    buf: BufPayload,
    txrx: TxRxPayload,
    tiny: TinyPayload,
    callback: CallbackPayload,
    time: TimePayload,
    await_: AwaitPayload,
    config: ConfigPayload,
    /// DELAY_NS: nanoseconds the iodev waits.
    ns: u32,
    none: (),
}

/// The encoders of the payload: builders call these instead of writing union members.
impl Payload {
    /// A caller buffer for READ or WRITE (`ptr`, `len`).
    pub(crate) fn buf(ptr: *mut u8, len: usize) -> Payload {
        Payload {
            buf: BufPayload::new(ptr, len),
        }
    }
    /// A TRANSCEIVE on two buffers.
    pub(crate) fn txrx(tx: *const u8, tx_len: usize, rx: *mut u8, rx_len: usize) -> Payload {
        Payload {
            txrx: TxRxPayload {
                tx,
                tx_len,
                rx,
                rx_len,
            },
        }
    }
    /// A TRANSCEIVE in place: one buffer sent and replaced by what comes in. Both halves
    /// name the same bytes; [`TxRxPayload::in_place`] tells the request apart, so that no
    /// shared and exclusive slice of one buffer are ever made together.
    pub(crate) fn in_place(ptr: *mut u8, len: usize) -> Payload {
        Self::txrx(ptr, len, ptr, len)
    }
    /// DELAY_NS: `ns` nanoseconds.
    pub(crate) fn delay_ns(ns: u32) -> Payload {
        Payload { ns }
    }
    /// A pool READ of at least `min` and preferably `preferred` bytes (S11).
    pub(crate) fn pool(min: usize, preferred: usize) -> Payload {
        Payload {
            buf: BufPayload {
                ptr: core::ptr::null_mut(),
                len: preferred.max(min),
                pool_min: min.max(1) as u32,
                pool_range: 0,
            },
        }
    }
    /// TINY_WRITE: `data` copied into the entry; `None` past [`TINY_MAX`] bytes.
    pub(crate) fn tiny(data: &[u8]) -> Option<Payload> {
        let mut t = TinyPayload {
            len: data.len() as u8,
            data: [0; TINY_MAX],
        };
        t.data.get_mut(..data.len())?.copy_from_slice(data);
        Some(Payload { tiny: t })
    }
    /// CALLBACK: `f(previous result, arg)`.
    pub(crate) fn callback(f: CallbackFn, arg: usize) -> Payload {
        Payload {
            callback: CallbackPayload { f, arg },
        }
    }
    /// AWAIT: no continuation registered yet.
    pub(crate) fn await_() -> Payload {
        Payload {
            await_: AwaitPayload { resume: None },
        }
    }
    /// I2C/SPI configure: clock `hz` and (SPI) `mode`.
    pub(crate) fn config(hz: u32, mode: u8) -> Payload {
        Payload {
            config: ConfigPayload { hz, mode },
        }
    }
    /// No payload.
    pub(crate) fn none() -> Payload {
        Payload { none: () }
    }
}

/// How many bytes an entry can move ([`Sqe::extent`]).
pub(crate) enum Extent {
    /// A buffer (or a transceive's longer half, or a tiny write) of this many bytes.
    Bytes(usize),
    /// A pool read: its preferred length and the packed block range it was handed.
    Pool { preferred: usize, range: u32 },
    /// The result is not a length.
    None,
}

/// Index value that means "no entry".
pub(crate) const NONE: u16 = u16::MAX;

/// A submission queue entry.
///
/// Built through [`crate::Chain`]; an iodev sees it through its [`crate::Token`].
#[repr(C)]
pub struct Sqe {
    pub(crate) op: Op,
    pub(crate) flags: Flags,
    /// Priority and the runtime's own bits.
    pub(crate) meta: Meta,
    /// Code of the first error earlier in the chain (0: none), for CALLBACK (S4).
    pub(crate) carry: u8,
    pub(crate) iodev: Option<DevAddr>,
    pub(crate) userdata: usize,
    /// Next entry of the chain or transaction and its generation.
    pub(crate) next: u16,
    pub(crate) next_gen: u16,
    pub(crate) payload: Payload,
}

impl core::fmt::Debug for Sqe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sqe")
            .field("op", &self.op)
            .field("flags", &self.flags)
            .field("prio", &self.priority())
            .field("userdata", &self.userdata)
            .finish_non_exhaustive()
    }
}

impl Sqe {
    /// A never-used entry: every byte zero, so that a context's storage lives in `.bss`.
    /// (`next` is set when the entry is acquired; the payload's widest member is zeroed so
    /// no byte is left uninitialised.)
    pub(crate) const EMPTY: Sqe = Sqe {
        op: Op::Nop,
        flags: Flags(0),
        meta: Meta::DEFAULT,
        carry: 0,
        iodev: None,
        userdata: 0,
        next: 0,
        next_gen: 0,
        payload: Payload {
            txrx: TxRxPayload {
                tx: core::ptr::null(),
                tx_len: 0,
                rx: core::ptr::null_mut(),
                rx_len: 0,
            },
        },
    };

    /// The operation.
    pub fn op(&self) -> Op {
        self.op
    }
    /// The flags.
    pub fn flags(&self) -> Flags {
        self.flags
    }
    /// The priority.
    pub fn priority(&self) -> Priority {
        self.meta.priority()
    }
    pub(crate) fn set_priority(&mut self, p: Priority) {
        self.meta.set_priority(p);
    }
    /// The caller's userdata.
    pub fn userdata(&self) -> usize {
        self.userdata
    }

    /// Whether the entry holds a caller buffer that must come back (S3): a READ into a
    /// caller buffer, a WRITE, a TRANSCEIVE. Pool reads hold nothing before they start.
    pub(crate) fn holds_caller_buffer(&self) -> bool {
        match self.op {
            Op::Read => !self.flags.contains(Flags::MEMPOOL),
            Op::Write | Op::Transceive => true,
            _ => false,
        }
    }

    pub(crate) fn has_buf(&self) -> bool {
        matches!(self.op, Op::Read | Op::Write)
    }

    pub(crate) fn buf(&self) -> Option<BufPayload> {
        if self.has_buf() {
            // SAFETY: `buf` is the active member for READ and WRITE (set by the builders).
            Some(unsafe { self.payload.buf })
        } else {
            None
        }
    }

    pub(crate) fn buf_mut(&mut self) -> Option<&mut BufPayload> {
        if self.has_buf() {
            // SAFETY: as in `buf`.
            Some(unsafe { &mut self.payload.buf })
        } else {
            None
        }
    }

    pub(crate) fn txrx(&self) -> Option<TxRxPayload> {
        if self.op == Op::Transceive {
            // SAFETY: `txrx` is the active member for TRANSCEIVE.
            Some(unsafe { self.payload.txrx })
        } else {
            None
        }
    }

    pub(crate) fn tiny(&self) -> Option<&TinyPayload> {
        if self.op == Op::TinyWrite {
            // SAFETY: `tiny` is the active member for TINY_WRITE.
            Some(unsafe { &self.payload.tiny })
        } else {
            None
        }
    }

    pub(crate) fn callback(&self) -> Option<CallbackPayload> {
        if self.op == Op::Callback {
            // SAFETY: `callback` is the active member for CALLBACK.
            Some(unsafe { self.payload.callback })
        } else {
            None
        }
    }

    /// DELAY_NS: the nanoseconds to wait.
    pub(crate) fn delay_ns(&self) -> Option<u32> {
        if self.op == Op::DelayNs {
            // SAFETY: `ns` is the active member for DELAY_NS.
            Some(unsafe { self.payload.ns })
        } else {
            None
        }
    }

    pub(crate) fn config(&self) -> Option<ConfigPayload> {
        // SAFETY: `config` is the active member for the configure ops.
        matches!(self.op, Op::I2cConfigure | Op::SpiConfigure)
            .then(|| unsafe { self.payload.config })
    }

    /// The DELAY / LINK_TIMEOUT payload of the entry at `p`, as a pointer (no reference to
    /// the entry is made: the owner may read its header meanwhile).
    ///
    /// # Safety
    /// `p` points to a DELAY or LINK_TIMEOUT entry whose payload the caller owns (the
    /// executor that armed it, or the timer code under its critical section).
    #[inline(always)]
    pub(crate) unsafe fn time_ptr(p: *mut Sqe) -> *mut TimePayload {
        // SAFETY: forms a pointer to the active member only (precondition).
        unsafe { core::ptr::addr_of_mut!((*p).payload.time) }
    }

    /// The AWAIT payload of the entry at `p`, if it is an AWAIT (read alone, see
    /// [`Sqe::time_ptr`]).
    ///
    /// # Safety
    /// The caller owns the entry's payload: it holds its token, or won the ARMED/SIGNALED
    /// race.
    #[inline]
    pub(crate) unsafe fn await_ptr(p: *mut Sqe) -> Option<*mut AwaitPayload> {
        // SAFETY: the op is written before prepare and only read afterwards; `await_` is
        // the active member for AWAIT.
        unsafe {
            (core::ptr::addr_of!((*p).op).read() == Op::Await)
                .then(|| core::ptr::addr_of_mut!((*p).payload.await_))
        }
    }

    /// The buffer payload of the entry at `p`, if it has one (READ, WRITE), read alone (see
    /// [`Sqe::time_ptr`]).
    ///
    /// # Safety
    /// The caller owns the entry's payload (token holder, executor or poster) for `'a`.
    #[inline]
    pub(crate) unsafe fn buf_at<'a>(p: *mut Sqe) -> Option<&'a mut BufPayload> {
        // SAFETY: the op is written before prepare and only read afterwards; `buf` is the
        // active member for READ and WRITE, and the payload is the caller's (precondition).
        unsafe {
            let op = core::ptr::addr_of!((*p).op).read();
            matches!(op, Op::Read | Op::Write)
                .then(|| &mut *core::ptr::addr_of_mut!((*p).payload.buf))
        }
    }

    /// What the entry at `p` can move, read alone (see [`Sqe::time_ptr`]).
    ///
    /// # Safety
    /// As [`Sqe::buf_at`].
    pub(crate) unsafe fn extent(p: *const Sqe) -> Extent {
        // SAFETY: header fields are written before prepare and only read afterwards; the
        // member read matches the op, and the payload is the caller's (precondition).
        unsafe {
            let flags = core::ptr::addr_of!((*p).flags).read();
            match core::ptr::addr_of!((*p).op).read() {
                Op::Read if flags.contains(Flags::MEMPOOL) => {
                    let b = core::ptr::addr_of!((*p).payload.buf).read();
                    Extent::Pool {
                        preferred: b.len,
                        range: b.pool_range,
                    }
                }
                Op::Read | Op::Write => {
                    Extent::Bytes(core::ptr::addr_of!((*p).payload.buf.len).read())
                }
                Op::TinyWrite => {
                    Extent::Bytes(core::ptr::addr_of!((*p).payload.tiny.len).read() as usize)
                }
                Op::Transceive => {
                    let t = core::ptr::addr_of!((*p).payload.txrx).read();
                    Extent::Bytes(t.tx_len.max(t.rx_len))
                }
                _ => Extent::None,
            }
        }
    }

    pub(crate) fn set_time(&mut self, op: Op, d: Duration) {
        self.op = op;
        self.payload = Payload {
            time: TimePayload::new(d.as_micros().min(!TimePayload::ABSOLUTE)),
        };
    }

    pub(crate) fn set_deadline(&mut self, at: Instant) {
        self.op = Op::Delay;
        self.payload = Payload {
            time: TimePayload::new(
                at.as_micros().min(!TimePayload::ABSOLUTE) | TimePayload::ABSOLUTE,
            ),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S3: exactly the ops that hold a caller's buffer hand one back at their completion.
    #[test]
    fn s3_only_read_write_and_transceive_hand_back_a_buffer() {
        use Op::*;
        let all = [
            Nop,
            Read,
            Write,
            Transceive,
            TinyWrite,
            Callback,
            Delay,
            LinkTimeout,
            Await,
            I2cConfigure,
            I2cRecover,
            SpiConfigure,
            DelayNs,
        ];
        for op in all {
            // Exhaustive: a new op must be classified here.
            let want = match op {
                Read | Write | Transceive => true,
                Nop | TinyWrite | Callback | Delay | LinkTimeout | Await | I2cConfigure
                | I2cRecover | SpiConfigure | DelayNs => false,
            };
            assert_eq!(op.hands_back_buffer(), want, "{op:?}");
        }
    }

    #[test]
    fn sqe_fits_32_bytes_on_32_bit_targets() {
        // On 64-bit hosts pointers double; the 32-bit figure is pinned by the
        // `const` assert in lib.rs, built for thumbv6m and thumbv7m in CI.
        let words = core::mem::size_of::<usize>();
        assert!(core::mem::size_of::<Sqe>() <= 32 / 4 * words);
    }
}
