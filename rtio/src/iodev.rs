//! The iodev contract: how drivers receive operations and complete them.
//!
//! An iodev implements [`IodevApi`]. Its `submit` receives a move-only [`Token`]; completing
//! it ([`Token::ok`], [`Token::err`], [`Token::complete`]) consumes it, so no entry can complete
//! twice. Completion is safe from interrupt handlers: it posts the completion and dispatches
//! the chained successor in place (S13). A token that is dropped without being completed
//! completes its entry with [`Error::Dropped`], so nothing is lost.
//!
//! A driver that completes inside its own `submit` (a blocking driver, an instant device like
//! this one) says so with [`Iodev::completes_in_place`]: what it completes there during the
//! owner's `submit` is handed back to the owner, which finishes it on its local list and
//! starts the next link after the driver's `submit` returned (docs/DESIGN.md 5.1).
//!
//! ```
//! use rtio::{Iodev, IodevApi, IodevQueue, Request, Token};
//! /// A loopback device: reads return 0xAA bytes, writes are accepted.
//! struct Loopback { queue: IodevQueue }
//! impl IodevApi for Loopback {
//!     fn submit(&'static self, mut token: Token) {
//!         // A real driver would queue the token and start the hardware; this one is instant.
//!         let n = match token.request() {
//!             Request::Read(buf) => { buf.fill(0xAA); buf.len() }
//!             Request::Write(data) => data.len(),
//!             _ => return token.err(rtio::Error::NotSupported),
//!         };
//!         token.ok(n);
//!     }
//! }
//! static LOOPBACK: Loopback = Loopback { queue: IodevQueue::new() };
//! static DEV: Iodev = Iodev::new(&LOOPBACK).completes_in_place();
//! ```

use crate::pool::BlockRange;
use crate::sqe::{DevAddr, Flags, ResumeAddr, Sqe};
use crate::sqe::{Op, Priority};
use crate::state::{QueueLink, RawToken, Rtio};
use crate::Error;
use core::cell::{Cell, RefCell};
use core::marker::PhantomData;
use core::ptr::{addr_of, NonNull};
use critical_section::Mutex;
use portable_atomic::{AtomicU32, Ordering};

/// Continuation an iodev registers when it reaches an AWAIT (S15): called with the await's
/// token once the signal arrives.
pub type ResumeFn = fn(Token);

/// `resume` as an AWAIT entry keeps it (see `sqe::ResumeAddr`).
#[inline(always)]
pub(crate) fn resume_addr(resume: ResumeFn) -> ResumeAddr {
    // SAFETY: a function pointer is never null; the pointer is a `ResumeFn`, cast.
    unsafe { ResumeAddr::new(NonNull::new_unchecked(resume as *mut ())) }
}

/// The continuation an AWAIT entry keeps.
#[inline(always)]
pub(crate) fn resume_of(a: ResumeAddr) -> ResumeFn {
    // SAFETY: every `ResumeAddr` is made by `resume_addr` from a `ResumeFn`
    // (`ResumeAddr::new`'s contract): the cast back gives the same function pointer.
    unsafe { core::mem::transmute::<*mut (), ResumeFn>(a.get().as_ptr()) }
}

/// What a driver implements.
pub trait IodevApi: Sync {
    /// Takes an operation. The driver completes the token now or later (from an interrupt,
    /// another thread); it may queue it first (see [`IodevQueue`]).
    fn submit(&'static self, token: Token);

    /// Asks the driver to abort an operation it holds (S7). A driver that can abort completes
    /// that token with [`Error::Canceled`]; otherwise the operation completes normally. The
    /// default does nothing.
    fn cancel(&'static self, op: OpId) {
        let _ = op;
    }
}

/// An iodev: a driver behind a thin `'static` handle that entries point to.
pub struct Iodev {
    api: &'static dyn IodevApi,
    overruns: AtomicU32,
    /// See [`Iodev::completes_in_place`].
    in_place: bool,
}

impl core::fmt::Debug for Iodev {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Iodev")
            .field("overruns", &self.overruns())
            .finish_non_exhaustive()
    }
}

impl Iodev {
    /// An iodev served by `api`.
    pub const fn new(api: &'static dyn IodevApi) -> Self {
        Iodev {
            api,
            overruns: AtomicU32::new(0),
            in_place: false,
        }
    }
    /// Declares that the driver may complete an operation inside its own
    /// [`IodevApi::submit`] (a blocking driver over a HAL, a simulated or instant device).
    ///
    /// During the owner's `submit`, the completion of the operation being submitted, made
    /// before the driver's `submit` returns (by the driver, or by an interrupt or another
    /// thread that was quicker), is *handed back* to the owner: the owner finishes the entry
    /// on its local list, without the completion ring's atomics, and starts the chain's next
    /// link after the driver's `submit` returned, so that completion never re-enters the
    /// driver's `submit`, and a long chain on such a driver does not nest one `submit` per
    /// link on the stack. A completion made later, or of another operation the driver held,
    /// is posted by its completer, as always.
    ///
    /// Without it, a completion inside `submit` runs the executor right there, as one from an
    /// interrupt does: it is posted through the ring, and the next link may be submitted to the
    /// same driver from inside its `submit`. Both are correct. Leave it off for an
    /// interrupt-driven driver: its completions are then posted from its interrupt handler,
    /// which can pick the next link up in the same interrupt.
    ///
    /// ```
    /// use rtio::{Iodev, IodevApi, Token};
    /// struct Blocking;
    /// impl IodevApi for Blocking {
    ///     fn submit(&'static self, token: Token) {
    ///         // ... drive the bus until the transfer is done, then:
    ///         token.ok(0);
    ///     }
    /// }
    /// static DRIVER: Blocking = Blocking;
    /// static DEV: Iodev = Iodev::new(&DRIVER).completes_in_place();
    /// ```
    pub const fn completes_in_place(mut self) -> Self {
        self.in_place = true;
        self
    }
    /// Whether [`Iodev::completes_in_place`] was declared.
    #[inline(always)]
    pub(crate) fn hands_back(&self) -> bool {
        self.in_place
    }
    /// Data items the device itself had to drop (FIFO overruns) since start (S9).
    pub fn overruns(&self) -> u32 {
        self.overruns.load(Ordering::Relaxed)
    }
    /// Records `n` items the device had to drop.
    pub fn record_overrun(&self, n: u32) {
        self.overruns.fetch_add(n, Ordering::Relaxed);
    }
    /// This iodev's address, as an entry keeps it.
    #[inline(always)]
    pub(crate) fn addr(&'static self) -> DevAddr {
        // SAFETY: the address of a `'static` iodev.
        unsafe { DevAddr::new(NonNull::from(self).cast()) }
    }
    /// The iodev an entry is aimed at.
    #[inline(always)]
    pub(crate) fn of(a: DevAddr) -> &'static Iodev {
        // SAFETY: every `DevAddr` is made by `Iodev::addr` from a `&'static Iodev`
        // (`DevAddr::new`'s contract), so it points to one, alive and shared.
        unsafe { a.get().cast::<Iodev>().as_ref() }
    }
    pub(crate) fn submit(&'static self, token: Token) {
        self.api.submit(token)
    }
    pub(crate) fn cancel(&'static self, op: OpId) {
        self.api.cancel(op)
    }
}

/// A typed handle on an iodev: the kind `K` says what the device can do, and the chain
/// builders accept only operations it supports (see [`crate::caps`]).
pub struct Dev<K: crate::caps::Kind> {
    iodev: &'static Iodev,
    _kind: PhantomData<fn() -> K>,
}

impl<K: crate::caps::Kind> Dev<K> {
    /// Binds `iodev` to the kind `K`, unchecked: nothing ties the kind to the device, so a
    /// wrong pairing (a display's iodev typed as a sensor) compiles, and the chain builders
    /// then accept operations the device does not support.
    ///
    /// The handles of devicetree nodes come from the generator instead: with a driver
    /// declared for the node's compatible (`rtio_devicetree::Builder::driver`, or `drivers {
    /// .. }` in `devicetree!`), the node's module has `DEV: Dev<Kind>`, built from the node's
    /// own iodev and kind. Use this constructor where no devicetree node stands behind the
    /// device: a driver crate's own kind on a hand-written iodev, test doubles, the
    /// simulator's models.
    pub const fn new_unchecked(iodev: &'static Iodev) -> Self {
        Dev {
            iodev,
            _kind: PhantomData,
        }
    }
    /// The untyped iodev.
    pub const fn iodev(self) -> &'static Iodev {
        self.iodev
    }
}

impl<K: crate::caps::Kind> Clone for Dev<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: crate::caps::Kind> Copy for Dev<K> {}

impl<K: crate::caps::Kind> core::fmt::Debug for Dev<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dev<{}>", K::NAME)
    }
}

/// Identifies one operation (context, slot, generation): what a cancel hook matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpId {
    rtio: *const Rtio,
    idx: u16,
    gen: u16,
}

impl OpId {
    pub(crate) fn new(rtio: &Rtio, idx: u16, gen: u16) -> Self {
        OpId { rtio, idx, gen }
    }
}

// SAFETY: `OpId` is only compared, never dereferenced.
unsafe impl Send for OpId {}
// SAFETY: as above.
unsafe impl Sync for OpId {}

/// What an operation asks the driver to do, with its buffers.
#[derive(Debug)]
#[non_exhaustive]
pub enum Request<'a> {
    /// Does nothing (a transaction member may be a NOP).
    Nop,
    /// Fill `buf` (up to its length).
    Read(&'a mut [u8]),
    /// Read into a pool buffer between `min` and `preferred` bytes: get it with
    /// [`Token::pool_buf`].
    ReadPool {
        /// Smallest acceptable size.
        min: usize,
        /// Preferred size.
        preferred: usize,
    },
    /// Write `data` (WRITE or TINY_WRITE).
    Write(&'a [u8]),
    /// Write `tx` while reading into `rx`.
    Transceive {
        /// Bytes to send.
        tx: &'a [u8],
        /// Buffer for received bytes.
        rx: &'a mut [u8],
    },
    /// Write the buffer's bytes while reading into the same buffer (full duplex in place,
    /// embedded-hal's `TransferInPlace`): each byte sent is replaced by the one received.
    TransceiveInPlace(&'a mut [u8]),
    /// Wait `ns` nanoseconds with the device held (SPI: chip select stays asserted between
    /// the transaction members around it), embedded-hal's `Operation::DelayNs`. A driver that
    /// cannot wait on the bus completes it with [`Error::NotSupported`].
    DelayNs(u32),
    /// Hold the device until signalled: call [`Token::await_signal`].
    Await,
    /// I2C: set the bus speed.
    I2cConfigure {
        /// Bus speed in Hz.
        hz: u32,
    },
    /// I2C: recover a stuck bus.
    I2cRecover,
    /// SPI: set the clock and mode.
    SpiConfigure {
        /// Clock in Hz.
        hz: u32,
        /// SPI mode 0-3.
        mode: u8,
    },
}

/// What [`Token::shot`] did with a multishot operation.
#[derive(Debug)]
pub enum Shot {
    /// The shot was posted; keep producing with this token.
    Rearmed(Token),
    /// Cancellation was requested: the shot was posted and then the final `Canceled`
    /// completion (S7). Stop.
    Stopped,
    /// The completion side is full: nothing was posted, the data stays in the token's pool
    /// buffer. Retry `shot` later (S9).
    Full(Token),
}

/// The move-only right to complete one operation (or one transaction).
///
/// Completing consumes it; it cannot be cloned. Dropping it completes the operation with
/// [`Error::Dropped`].
#[derive(Debug)]
pub struct Token {
    raw: RawToken,
}

impl Token {
    pub(crate) fn from_raw(raw: RawToken) -> Token {
        Token { raw }
    }
    /// The entry, still owned by this token.
    pub(crate) fn raw(&self) -> RawToken {
        self.raw
    }
    pub(crate) fn into_raw(self) -> RawToken {
        let raw = self.raw;
        core::mem::forget(self);
        raw
    }

    /// The operation of the (head) entry.
    pub fn op(&self) -> Op {
        self.raw.op()
    }
    /// The entry's priority.
    pub fn priority(&self) -> Priority {
        self.raw.priority()
    }
    /// Which operation this is, for matching in a cancel hook.
    pub fn id(&self) -> OpId {
        OpId {
            rtio: self.raw.rtio,
            idx: self.raw.idx,
            gen: self.raw.gen(),
        }
    }
    /// Whether cancellation was requested (S7). A driver should stop soon and complete with
    /// [`Error::Canceled`]; multishot drivers see it through [`Token::shot`].
    pub fn is_canceled(&self) -> bool {
        self.raw.cancel_requested()
    }
    /// Whether this is a multishot entry.
    pub fn is_multishot(&self) -> bool {
        self.raw.flags().contains(crate::sqe::Flags::MULTISHOT)
    }
    /// The request of the head entry, with its buffers.
    pub fn request(&mut self) -> Request<'_> {
        // SAFETY: the token owns its entry exclusively while it is in flight; the borrow of
        // `self` bounds the buffers.
        unsafe { self.raw.request(self.raw.idx) }
    }
    /// Number of entries in this transaction (1 when not a transaction) (S5).
    pub fn transaction_len(&self) -> usize {
        self.raw.members().count()
    }
    /// The request of transaction member `i` (0 is the head).
    pub fn member(&mut self, i: usize) -> Option<Request<'_>> {
        let idx = self.raw.members().nth(i)?;
        // SAFETY: members belong to the token's transaction, which it owns exclusively.
        Some(unsafe { self.raw.request(idx) })
    }
    /// For pool reads: allocates (once) and returns the pool buffer, between the entry's
    /// minimum and preferred sizes (S11).
    ///
    /// # Errors
    /// [`Error::NoMemory`] when no run of blocks covers the minimum; [`Error::NoPool`] when the
    /// entry is not a pool read.
    pub fn pool_buf(&mut self) -> Result<&mut [u8], Error> {
        self.raw.pool_buf()
    }
    /// For a pool read that is transaction member `i` (0 is the head): allocates (once) and
    /// returns its pool buffer, as [`Token::pool_buf`] does for the head (S5, S11).
    ///
    /// # Errors
    /// [`Error::NoMemory`] when no run of blocks covers the minimum; [`Error::NoPool`] when
    /// member `i` does not exist or is not a pool read.
    pub fn member_pool_buf(&mut self, i: usize) -> Result<&mut [u8], Error> {
        let idx = self.raw.members().nth(i).ok_or(Error::NoPool)?;
        self.raw.pool_buf_at(idx)
    }
    /// Records data the device had to drop (S9); see [`Iodev::overruns`].
    pub fn record_overrun(&self, n: u32) {
        if let Some(dev) = self.raw.iodev() {
            dev.record_overrun(n);
        }
    }
}

struct Level {
    head: Option<RawToken>,
    tail: Option<RawToken>,
}

/// A driver's pending operations, served by priority then FIFO (S12). O(1) push, pop and
/// remove (a cancel hook's lookup), each one short critical section, safe from interrupts
/// (S18). Entries are doubly linked through their own slots, so the queue needs no storage
/// of its own.
pub struct IodevQueue {
    levels: Mutex<RefCell<[Level; Priority::LEVELS]>>,
    /// Tokens queued; changed inside the critical section with the levels.
    count: Mutex<Cell<u32>>,
}

impl core::fmt::Debug for IodevQueue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IodevQueue")
            .field("len", &self.len())
            .finish()
    }
}

impl Default for IodevQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl IodevQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        const EMPTY: Level = Level {
            head: None,
            tail: None,
        };
        IodevQueue {
            levels: Mutex::new(RefCell::new([EMPTY; Priority::LEVELS])),
            count: Mutex::new(Cell::new(0)),
        }
    }

    /// This queue's identity, as recorded in the slots of the tokens it holds.
    fn id(&self) -> *const () {
        (self as *const IodevQueue).cast()
    }

    /// Appends a token behind others of its priority.
    pub fn push(&self, token: Token) {
        let prio = token.priority() as usize;
        let raw = token.into_raw();
        critical_section::with(|cs| {
            let mut levels = self.levels.borrow_ref_mut(cs);
            let level = &mut levels[prio];
            raw.set_qlink(QueueLink {
                next: None,
                prev: level.tail,
            });
            raw.set_queued_in(self.id());
            match level.tail {
                Some(t) => t.set_next(Some(raw)),
                None => level.head = Some(raw),
            }
            level.tail = Some(raw);
            let n = self.count.borrow(cs);
            n.set(n.get() + 1);
        });
    }

    /// Takes the highest-priority, oldest token.
    pub fn pop(&self) -> Option<Token> {
        critical_section::with(|cs| {
            let mut levels = self.levels.borrow_ref_mut(cs);
            let level = levels.iter_mut().rev().find(|l| l.head.is_some())?;
            let h = level.head?;
            // The head has no predecessor: only its successor's back link changes.
            let next = h.qlink().next;
            level.head = next;
            match next {
                Some(n) => n.set_prev(None),
                None => level.tail = None,
            }
            h.set_queued_in(core::ptr::null());
            let n = self.count.borrow(cs);
            n.set(n.get() - 1);
            Some(Token::from_raw(h))
        })
    }

    /// Takes `t` out of `level` (inside the critical section). O(1): its neighbours are in
    /// its own links.
    fn unlink(level: &mut Level, t: RawToken) {
        let QueueLink { next, prev } = t.qlink();
        match prev {
            Some(p) => p.set_next(next),
            None => level.head = next,
        }
        match next {
            Some(n) => n.set_prev(prev),
            None => level.tail = prev,
        }
        t.set_queued_in(core::ptr::null());
    }

    /// Removes the token of operation `op`, if queued here. O(1), whatever the number of
    /// queued tokens (S18): the operation's own slot says which queue holds it.
    pub fn remove(&self, op: OpId) -> Option<Token> {
        // SAFETY: `OpId::rtio` comes from a `&'static Rtio` (see `OpId::new`).
        let rtio: &'static Rtio = unsafe { &*op.rtio };
        let slot = rtio.slots().get(op.idx as usize)?;
        let raw = RawToken { rtio, idx: op.idx };
        critical_section::with(|cs| {
            let mut levels = self.levels.borrow_ref_mut(cs);
            // Queued here, in the use `op` names: a token queued is in flight, so its
            // generation cannot change under us (the owner recycles only finished entries).
            if raw.queued_in() != self.id() || slot.gen() != op.gen {
                return None;
            }
            let prio = raw.priority() as usize;
            Self::unlink(&mut levels[prio], raw);
            let n = self.count.borrow(cs);
            n.set(n.get() - 1);
            Some(Token::from_raw(raw))
        })
    }

    /// Cancels operation `op` if it is still queued: completes it with [`Error::Canceled`].
    /// Returns whether it was found. Drivers call this from [`IodevApi::cancel`].
    pub fn cancel(&self, op: OpId) -> bool {
        match self.remove(op) {
            Some(t) => {
                t.err(Error::Canceled);
                true
            }
            None => false,
        }
    }

    /// Number of queued tokens.
    pub fn len(&self) -> usize {
        critical_section::with(|cs| self.count.borrow(cs).get() as usize)
    }

    /// Whether no token is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// Re-exported for the `Request` construction in context.rs.

/// What a driver reaches of the entry its token holds: its iodev and its requests (the
/// rest of `RawToken` is in `state.rs`).
impl RawToken {
    pub(crate) fn iodev(&self) -> Option<&'static Iodev> {
        // SAFETY: header fields are immutable while the entry is in flight.
        unsafe { (*self.sqe()).iodev }.map(Iodev::of)
    }

    /// The request of entry `idx` (the head or a member).
    ///
    /// # Safety
    /// The caller owns entry `idx` exclusively (it holds its token) for the returned lifetime.
    pub(crate) unsafe fn request<'a>(&self, idx: u16) -> Req<'a> {
        let sqe = self.rtio.slot(idx).sqe_ptr();
        // SAFETY: exclusive ownership (precondition); the buffers were handed over as
        // 'static slices when the entry was prepared.
        unsafe {
            let s = &*sqe;
            match s.op {
                Op::Nop => Req::Nop,
                Op::Read if s.flags.contains(Flags::MEMPOOL) => {
                    let b = s.buf().unwrap_or_else(unreachable_buf);
                    let range = BlockRange::unpack(b.pool_range);
                    match (range.is_none(), self.rtio.pool) {
                        (false, Some(pool)) => Req::Read(
                            &mut pool.bytes_mut(range)
                                [..b.len.min(range.count() * pool.block_size())],
                        ),
                        _ => Req::ReadPool {
                            min: b.pool_min as usize,
                            preferred: b.len,
                        },
                    }
                }
                Op::Read => {
                    let b = s.buf().unwrap_or_else(unreachable_buf);
                    Req::Read(core::slice::from_raw_parts_mut(b.ptr, b.len))
                }
                Op::Write => {
                    let b = s.buf().unwrap_or_else(unreachable_buf);
                    Req::Write(core::slice::from_raw_parts(b.ptr, b.len))
                }
                Op::TinyWrite => {
                    let t = s.tiny().unwrap_or_else(unreachable_buf);
                    Req::Write(&*core::ptr::slice_from_raw_parts(
                        t.data.as_ptr(),
                        t.len as usize,
                    ))
                }
                Op::Transceive => {
                    let t = s.txrx().unwrap_or_else(unreachable_buf);
                    if let Some((p, n)) = t.in_place() {
                        return Req::TransceiveInPlace(core::slice::from_raw_parts_mut(p, n));
                    }
                    Req::Transceive {
                        tx: core::slice::from_raw_parts(t.tx, t.tx_len),
                        rx: core::slice::from_raw_parts_mut(t.rx, t.rx_len),
                    }
                }
                Op::Await => Req::Await,
                Op::I2cConfigure => Req::I2cConfigure {
                    hz: s.config().map_or(0, |c| c.hz),
                },
                Op::I2cRecover => Req::I2cRecover,
                Op::SpiConfigure => {
                    let c = s.config().unwrap_or_else(unreachable_buf);
                    Req::SpiConfigure {
                        hz: c.hz,
                        mode: c.mode,
                    }
                }
                Op::DelayNs => Req::DelayNs(s.delay_ns().unwrap_or_else(unreachable_buf)),
                Op::Callback | Op::Delay | Op::LinkTimeout => Req::Nop,
            }
        }
    }

    pub(crate) fn pool_buf(&mut self) -> Result<&mut [u8], Error> {
        self.pool_buf_at(self.idx)
    }

    /// The pool buffer of entry `idx`: the head or a member of this token's transaction.
    pub(crate) fn pool_buf_at(&mut self, idx: u16) -> Result<&mut [u8], Error> {
        let pool = self.rtio.pool.ok_or(Error::NoPool)?;
        let p = self.rtio.slot(idx).sqe_ptr();
        // SAFETY: the token holder owns the entry (head or transaction member) exclusively.
        // Field access only, no `&mut` to the whole entry: the owner may read its header at
        // any time (`Context::cancel`). `buf` is the active member of a pool READ.
        let b = unsafe {
            let (flags, op) = (addr_of!((*p).flags).read(), addr_of!((*p).op).read());
            if !flags.contains(Flags::MEMPOOL) || op != Op::Read {
                return Err(Error::NoPool);
            }
            Sqe::buf_at(p).ok_or(Error::NoPool)?
        };
        let mut range = BlockRange::unpack(b.pool_range);
        if range.is_none() {
            range = pool
                .alloc(b.pool_min as usize, b.len)
                .ok_or(Error::NoMemory)?;
            b.pool_range = range.pack();
        }
        // SAFETY: the range was allocated for this entry and only the token reaches it.
        let bytes = unsafe { pool.bytes_mut(range) };
        // The requested length, not the whole run of blocks (a 1-byte read shifts 1 byte).
        let len = b.len.min(bytes.len());
        Ok(&mut bytes[..len])
    }
}

#[cold]
fn unreachable_buf<T>() -> T {
    // The builders always store the payload that matches the op; reaching this is a bug in
    // rtio itself, not in user input.
    panic!("rtio: entry payload does not match its op")
}

pub(crate) use Request as Req;
