//! Scoped blocking I/O on borrowed buffers (S3, S14).
//!
//! [`Context::scope`] lends ordinary (non-`'static`) buffers to operations and cannot return
//! before every operation started in the scope has completed, even if the closure panics or
//! leaks a handle with `mem::forget`, the same construction as `std::thread::scope`.
//!
//! ```
//! # use rtio::{caps, Dev, Iodev, IodevApi, Request, Rtio, Storage, Token};
//! # struct Echo;
//! # impl IodevApi for Echo {
//! #     fn submit(&'static self, mut t: Token) {
//! #         let n = match t.request() { Request::Read(b) => { b.fill(5); b.len() } _ => 0 };
//! #         t.ok(n)
//! #     }
//! # }
//! # static ECHO: Echo = Echo;
//! # static IODEV: Iodev = Iodev::new(&ECHO);
//! # struct K;
//! # impl caps::Kind for K { const NAME: &'static str = "k"; }
//! # impl caps::Read for K {}
//! # impl caps::Write for K {}
//! static STORAGE: Storage<4, 4> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//! let ctx = RTIO.claim().unwrap();
//! let mut buf = [0u8; 3]; // on the stack
//! let n = ctx.scope(|s| {
//!     let op = s.read(Dev::<K>::new_unchecked(&IODEV), &mut buf)?;
//!     s.wait(op)
//! });
//! assert_eq!(n, Ok(3));
//! assert_eq!(buf, [5, 5, 5]);
//! ```
//!
//! Several operations on borrowed buffers form a [`ScopedChain`] ([`Scope::chain`]): the
//! same links as [`crate::Chain`] (chained, one bus transaction, a LINK_TIMEOUT bounding
//! the entry or transaction before it), any number of entries up to the context's size, each
//! on a buffer of any length, with no copy. Its wait names the entry that failed first
//! ([`ScopedChainError`], S17).

use crate::caps;
use crate::cqe::first_failure_of;
use crate::iodev::{Dev, Iodev};
use crate::post::kept_result;
use crate::slot::Phase;
use crate::sqe::{Flags, Meta, Op, Payload, Sqe, NONE};
use crate::state::Context;
use crate::state::Rtio;
use crate::time::Duration;
use crate::Error;
use core::cell::Cell;
use core::marker::PhantomData;
use core::ptr::addr_of;

/// A scope in which operations may borrow buffers for `'env`.
pub struct Scope<'s, 'env> {
    ctx: &'s Context,
    /// In-flight entries of this scope, linked through their slots' owner links.
    head: Cell<u16>,
    /// Heads of the scope's started chains, linked through the heads' owner links; the
    /// other entries of a chain are reached from its head through the chain links.
    chains: Cell<u16>,
    _env: PhantomData<&'env mut &'env ()>,
    /// `'s` is invariant, here and in the handles, so that a handle is waited for only in
    /// the scope that started it: each scope's `'s` is a lifetime of its own, and with
    /// variance a handle of an inner scope could be waited for (and its entries freed) by
    /// an outer one, whose list still holds them.
    _s: Invariant<'s>,
}

/// A marker invariant in `'s`.
type Invariant<'s> = PhantomData<fn(&'s ()) -> &'s ()>;

impl core::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

/// One operation started in a scope; [`Scope::wait`] takes its result. Forgetting it is
/// harmless: the scope waits for it anyway.
#[derive(Debug)]
#[must_use = "wait for the operation to get its result"]
pub struct ScopedOp<'s> {
    idx: u16,
    last: u16,
    _s: Invariant<'s>,
}

impl Context {
    /// Runs `f` with a [`Scope`]; returns only after every operation started in it completed.
    pub fn scope<'env, F, R>(&self, f: F) -> R
    where
        F: for<'s> FnOnce(&'s Scope<'s, 'env>) -> R,
    {
        let scope = Scope {
            ctx: self,
            head: Cell::new(NONE),
            chains: Cell::new(NONE),
            _env: PhantomData,
            _s: PhantomData,
        };
        struct Guard<'a, 's, 'env>(&'a Scope<'s, 'env>);
        impl Drop for Guard<'_, '_, '_> {
            fn drop(&mut self) {
                self.0.finish_all();
            }
        }
        let guard = Guard(&scope);
        let r = f(guard.0);
        drop(guard);
        r
    }
}

impl<'s, 'env> Scope<'s, 'env> {
    fn start(
        &'s self,
        ops: &[(Op, &'static crate::Iodev, Payload)],
    ) -> Result<ScopedOp<'s>, Error> {
        let ctx = self.ctx;
        let mut idx = [0u16; 2];
        let idx = &mut idx[..ops.len()];
        ctx.alloc_slots(idx)?;
        for (k, (op, dev, payload)) in ops.iter().enumerate() {
            let i = idx[k];
            // SAFETY: freshly acquired slot, owned by us.
            let s: &mut Sqe = unsafe { &mut *ctx.rtio.slot(i).sqe_ptr() };
            s.op = *op;
            s.iodev = Some(dev.addr());
            s.flags = Flags::empty();
            s.meta.set(Meta::KEPT);
            s.payload = *payload;
            if k + 1 < ops.len() {
                s.flags.insert(Flags::CHAINED);
                s.next = idx[k + 1];
                s.next_gen = ctx.rtio.slot(idx[k + 1]).gen();
            }
        }
        for &i in idx.iter() {
            // SAFETY: owner list; the scope list links through `onext`, unused in flight.
            unsafe { *ctx.rtio.slot(i).onext.get() = self.head.get() };
            self.head.set(i);
        }
        ctx.track_kept(idx.len() as u32, 0);
        ctx.uses_general();
        crate::executor::submit_chain(ctx.rtio, idx[0]);
        Ok(ScopedOp {
            idx: idx[0],
            last: idx[idx.len() - 1],
            _s: PhantomData,
        })
    }

    /// Starts a READ into a borrowed buffer.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry is free.
    pub fn read<K: caps::Read>(
        &'s self,
        dev: Dev<K>,
        buf: &'env mut [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let p = Payload::buf(buf.as_mut_ptr(), buf.len());
        self.start(&[(Op::Read, dev.iodev(), p)])
    }

    /// Starts a WRITE of a borrowed buffer.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry is free.
    pub fn write<K: caps::Write>(
        &'s self,
        dev: Dev<K>,
        buf: &'env [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let p = Payload::buf(buf.as_ptr() as *mut u8, buf.len());
        self.start(&[(Op::Write, dev.iodev(), p)])
    }

    /// Starts a chained register read: WRITE `reg`, then READ into `buf` (S4).
    /// [`Scope::wait`] returns the read's result (or the first error).
    ///
    /// # Errors
    /// [`Error::QueueFull`] when two entries are not free.
    pub fn write_read<K: caps::Read + caps::Write>(
        &'s self,
        dev: Dev<K>,
        reg: &'env [u8],
        buf: &'env mut [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let w = Payload::buf(reg.as_ptr() as *mut u8, reg.len());
        let r = Payload::buf(buf.as_mut_ptr(), buf.len());
        self.start(&[(Op::Write, dev.iodev(), w), (Op::Read, dev.iodev(), r)])
    }

    /// Starts a TRANSCEIVE on borrowed buffers.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry is free.
    pub fn transceive<K: caps::Transceive>(
        &'s self,
        dev: Dev<K>,
        tx: &'env [u8],
        rx: &'env mut [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let p = Payload::txrx(tx.as_ptr(), tx.len(), rx.as_mut_ptr(), rx.len());
        self.start(&[(Op::Transceive, dev.iodev(), p)])
    }

    fn is_done(&self, i: u16) -> bool {
        self.ctx.slot(i).state.load().phase() == Phase::Done
    }

    /// Blocks until `op` completed and returns its result (the first error of its chain).
    ///
    /// # Errors
    /// The operation's error.
    pub fn wait(&self, op: ScopedOp<'s>) -> Result<usize, Error> {
        let (first, last) = (op.idx, op.last);
        let _ = self
            .ctx
            .block_until(|| self.is_done(first) && self.is_done(last), None);
        let r = self.ctx.rtio;
        let res = kept_result(r, first).and_then(|_| kept_result(r, last));
        self.release(first);
        if last != first {
            self.release(last);
        }
        res
    }

    /// Frees one completed entry and unlinks it from the scope list.
    fn release(&self, i: u16) {
        let r = self.ctx.rtio;
        self.unlink(&self.head, i);
        // SAFETY: the entry is DONE and its borrowed buffers are not reconstructed; owner.
        unsafe { self.ctx.free_slot(i) };
        r.unreserve(1);
        self.ctx.track_kept(0, 1);
    }

    fn finish_all(&self) {
        while self.head.get() != NONE {
            let i = self.head.get();
            let _ = self.ctx.block_until(|| self.is_done(i), None);
            self.release(i);
        }
        while self.chains.get() != NONE {
            let head = self.chains.get();
            let _ = self.finish_chain(head);
        }
    }

    /// Starts building a chain of operations on borrowed buffers: the scoped counterpart
    /// of [`Context::chain`], with a length decided at run time. Each operation added takes
    /// one entry (any buffer length), so a chain can be as long as the context has free
    /// entries.
    ///
    /// ```
    /// # use rtio::{caps, Dev, Iodev, IodevApi, Request, Rtio, Storage, Token};
    /// # struct Loop;
    /// # impl IodevApi for Loop {
    /// #     fn submit(&'static self, mut t: Token) {
    /// #         for i in 0..t.transaction_len() {
    /// #             match t.member(i) {
    /// #                 Some(Request::Read(b)) => b.fill(7),
    /// #                 Some(Request::TransceiveInPlace(b)) => b.iter_mut().for_each(|x| *x = !*x),
    /// #                 _ => {}
    /// #             }
    /// #         }
    /// #         t.ok(0)
    /// #     }
    /// # }
    /// # static LOOP: Loop = Loop;
    /// # static IODEV: Iodev = Iodev::new(&LOOP);
    /// # struct K;
    /// # impl caps::Kind for K { const NAME: &'static str = "k"; }
    /// # impl caps::Read for K {}
    /// # impl caps::Write for K {}
    /// # impl caps::Transceive for K {}
    /// use rtio::Duration;
    /// static STORAGE: Storage<8, 8> = Storage::new();
    /// static CLOCK: rtio::time::ManualClock = rtio::time::ManualClock::new();
    /// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
    /// let ctx = RTIO.claim().unwrap();
    /// let dev = Dev::<K>::new_unchecked(&IODEV);
    /// let (cmd, mut data, mut status) = ([0x9F], [0u8; 4096], [0x0F, 0xF0]);
    /// ctx.scope(|s| {
    ///     s.chain()
    ///         .write(dev, &cmd)
    ///         .transaction()
    ///         .delay_ns(dev, 10_000) // chip select held
    ///         .transaction()
    ///         .transceive_in_place(dev, &mut status)
    ///         .transaction()
    ///         .read(dev, &mut data) // 4 KiB, no pool, no copy
    ///         .link_timeout(Duration::from_millis(100)) // bounds the whole transaction
    ///         .wait()
    /// })?;
    /// assert_eq!((status, data[4095]), ([0xF0, 0x0F], 7));
    /// # Ok::<(), rtio::scope::ScopedChainError>(())
    /// ```
    pub fn chain(&'s self) -> ScopedChain<'s, 'env> {
        ScopedChain {
            scope: self,
            head: NONE,
            tail: NONE,
            len: 0,
            link: Link::Chained,
            err: None,
            started: false,
        }
    }

    /// Blocks until every entry of `op` completed, frees them, and returns the result of its
    /// last operation, or the entry that failed first and its error (S17).
    ///
    /// # Errors
    /// The first failure of the chain (see [`crate::first_failure`]): a cancelled entry is
    /// reported only when no entry failed for a cause of its own.
    pub fn wait_chain(&self, op: ScopedChainOp<'s>) -> Result<usize, ScopedChainError> {
        self.finish_chain(op.head)
    }

    /// Waits for the chain at `head`, takes it off the scope's list, collects its results
    /// and frees its entries.
    fn finish_chain(&self, head: u16) -> Result<usize, ScopedChainError> {
        let r = self.ctx.rtio;
        let all_done = || entries(r, head).all(|i| self.is_done(i));
        // Without a deadline the wait ends only when the condition holds.
        let _ = self.ctx.block_until(all_done, None);
        // Off the list first: freeing a slot reuses its owner link.
        self.unlink_chain(head);
        let mut last = Ok(0);
        let failure = first_failure_of(entries(r, head).map(|i| {
            let res = kept_result(r, i);
            // SAFETY: the entry is DONE and the owner's; a field read.
            if unsafe { addr_of!((*r.slot(i).sqe_ptr()).op).read() } != Op::LinkTimeout {
                last = res;
            }
            res
        }));
        let mut n = 0;
        for i in entries(r, head) {
            // SAFETY: every entry of the chain is DONE, its borrowed buffers are not
            // reconstructed, and nothing else references it; owner. (`entries` read its
            // link before yielding it.)
            unsafe { self.ctx.free_slot(i) };
            n += 1;
        }
        r.unreserve(n);
        self.ctx.track_kept(0, n);
        match failure {
            Some((entry, error)) => Err(ScopedChainError { entry, error }),
            None => Ok(last.unwrap_or(0)),
        }
    }

    fn unlink_chain(&self, head: u16) {
        self.unlink(&self.chains, head);
    }

    /// Removes `i` from the owner list that starts at `list` (linked through `onext`), if
    /// it is there.
    fn unlink(&self, list: &Cell<u16>, i: u16) {
        let r = self.ctx.rtio;
        let mut prev = NONE;
        let mut cur = list.get();
        while cur != NONE {
            // SAFETY: owner list.
            let next = unsafe { *r.slot(cur).onext.get() };
            if cur == i {
                if prev == NONE {
                    list.set(next);
                } else {
                    // SAFETY: owner list.
                    unsafe { *r.slot(prev).onext.get() = next };
                }
                return;
            }
            prev = cur;
            cur = next;
        }
    }
}

/// The entry after `idx` in its chain or transaction, `NONE` at the end.
fn next_of(r: &Rtio, idx: u16) -> u16 {
    // SAFETY: the header of an entry is written before dispatch and only read afterwards;
    // one field is read, with no reference to an entry a driver may hold.
    let (flags, next) = unsafe {
        let p = r.slot(idx).sqe_ptr();
        (addr_of!((*p).flags).read(), addr_of!((*p).next).read())
    };
    if flags.contains(Flags::CHAINED) || flags.contains(Flags::TRANSACTION) {
        next
    } else {
        NONE
    }
}

/// The entries of the scoped chain at `head`, in order: the one walk over a chain's links
/// that waiting, collecting and freeing use. Each entry's link is read before the entry is
/// yielded, so the caller may free it.
fn entries(r: &Rtio, head: u16) -> impl Iterator<Item = u16> + '_ {
    let mut cur = head;
    core::iter::from_fn(move || {
        if cur == NONE {
            return None;
        }
        let i = cur;
        cur = next_of(r, i);
        Some(i)
    })
}

/// Which entry of a scoped chain failed first, counted from 0 in the order the entries were
/// added, and its error (S17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopedChainError {
    entry: usize,
    error: Error,
}

impl ScopedChainError {
    /// The entry, in the order the builder added it (a LINK_TIMEOUT counts as one).
    pub fn entry(&self) -> usize {
        self.entry
    }
    /// Its error.
    pub fn error(&self) -> Error {
        self.error
    }
}

/// An error of the chain as a whole, found before any entry was added (a context mismatch in
/// `chain!(..) => wait_scoped`): reported as entry 0.
impl From<Error> for ScopedChainError {
    fn from(error: Error) -> Self {
        ScopedChainError { entry: 0, error }
    }
}

impl From<ScopedChainError> for Error {
    fn from(e: ScopedChainError) -> Error {
        e.error
    }
}

impl core::fmt::Display for ScopedChainError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "entry {} of the chain: {}", self.entry, self.error)
    }
}

impl core::error::Error for ScopedChainError {}

/// How the entry being added links to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Chained,
    Transaction,
}

/// A chain of operations on borrowed buffers under construction ([`Scope::chain`]): the
/// methods mirror [`crate::Chain`]'s. Each added operation takes one entry at once (S9, S10:
/// when none is free the chain records [`Error::QueueFull`] for that entry); nothing starts
/// before [`ScopedChain::start`] or [`ScopedChain::wait`] (S1), and a chain dropped unstarted
/// gives its entries back.
///
/// Mistakes (a transaction across iodevs, a LINK_TIMEOUT first, after another or inside a
/// transaction, time on a context without a clock) are recorded with the entry they concern
/// and reported by `start` as a [`ScopedChainError`].
#[must_use = "a chain does nothing until it is started"]
pub struct ScopedChain<'s, 'env> {
    scope: &'s Scope<'s, 'env>,
    head: u16,
    tail: u16,
    len: usize,
    link: Link,
    err: Option<ScopedChainError>,
    started: bool,
}

impl core::fmt::Debug for ScopedChain<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScopedChain")
            .field("len", &self.len)
            .field("err", &self.err)
            .finish_non_exhaustive()
    }
}

/// A started scoped chain; [`Scope::wait_chain`] takes its result. Forgetting it is
/// harmless: the scope waits for every entry anyway.
///
/// It is waited for only in the scope that started it (the scope's list holds its entries);
/// a nested scope's handle does not reach the outer scope:
///
/// ```compile_fail,E0521
/// # use rtio::{Duration, Rtio, Storage};
/// static STORAGE: Storage<4, 4> = Storage::new();
/// static CLOCK: rtio::time::ManualClock = rtio::time::ManualClock::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
/// let ctx = RTIO.claim().unwrap();
/// ctx.scope(|outer| {
///     ctx.scope(|inner| {
///         let op = inner.chain().delay(Duration::from_millis(1)).start().unwrap();
///         let _ = outer.wait_chain(op); // error: `op` belongs to `inner`
///     })
/// });
/// ```
#[derive(Debug)]
#[must_use = "wait for the chain to get its result"]
pub struct ScopedChainOp<'s> {
    head: u16,
    _s: Invariant<'s>,
}

impl<'s, 'env> ScopedChain<'s, 'env> {
    fn rtio(&self) -> &'static Rtio {
        self.scope.ctx.rtio
    }

    fn sqe(&mut self, idx: u16) -> &mut Sqe {
        // SAFETY: the builder owns its acquired, unstarted entries exclusively.
        unsafe { &mut *self.rtio().slot(idx).sqe_ptr() }
    }

    fn fail(mut self, entry: usize, error: Error) -> Self {
        self.err.get_or_insert(ScopedChainError { entry, error });
        self
    }

    fn push(mut self, op: Op, iodev: Option<&'static Iodev>, payload: Payload) -> Self {
        if self.err.is_some() {
            return self; // nothing more is taken after a mistake; `start` reports it
        }
        let k = self.len;
        let mut one = [0u16];
        if let Err(e) = self.scope.ctx.alloc_slots(&mut one) {
            return self.fail(k, e);
        }
        let i = one[0];
        let member = k > 0 && self.link == Link::Transaction;
        let s = self.sqe(i);
        s.op = op;
        s.iodev = iodev.map(Iodev::addr);
        s.flags = Flags::empty();
        s.meta.set(Meta::KEPT);
        if member {
            s.meta.set(Meta::MEMBER);
        }
        s.payload = payload;
        if k == 0 {
            self.head = i;
        } else {
            let gen = self.rtio().slot(i).gen();
            let tail = self.tail;
            let prev = self.sqe(tail);
            let same_iodev = match (prev.iodev, iodev) {
                (Some(a), Some(b)) => a == b.addr(),
                _ => false,
            };
            prev.flags.insert(if member {
                Flags::TRANSACTION
            } else {
                Flags::CHAINED
            });
            prev.next = i;
            prev.next_gen = gen;
            if member && !same_iodev {
                // S5: all members target the head's iodev.
                self.err.get_or_insert(ScopedChainError {
                    entry: k,
                    error: Error::InvalidChain,
                });
            }
        }
        self.tail = i;
        self.len += 1;
        self.link = Link::Chained;
        self
    }

    /// READ into a borrowed buffer of any length.
    pub fn read<K: caps::Read>(self, dev: Dev<K>, buf: &'env mut [u8]) -> Self {
        let p = Payload::buf(buf.as_mut_ptr(), buf.len());
        self.push(Op::Read, Some(dev.iodev()), p)
    }

    /// WRITE a borrowed buffer of any length.
    pub fn write<K: caps::Write>(self, dev: Dev<K>, buf: &'env [u8]) -> Self {
        let p = Payload::buf(buf.as_ptr() as *mut u8, buf.len());
        self.push(Op::Write, Some(dev.iodev()), p)
    }

    /// TRANSCEIVE: writes `tx` while reading into `rx` (lengths may differ).
    pub fn transceive<K: caps::Transceive>(
        self,
        dev: Dev<K>,
        tx: &'env [u8],
        rx: &'env mut [u8],
    ) -> Self {
        let p = Payload::txrx(tx.as_ptr(), tx.len(), rx.as_mut_ptr(), rx.len());
        self.push(Op::Transceive, Some(dev.iodev()), p)
    }

    /// TRANSCEIVE in place: sends `buf` and replaces each byte with the one received; the
    /// driver gets [`crate::Request::TransceiveInPlace`].
    pub fn transceive_in_place<K: caps::Transceive>(
        self,
        dev: Dev<K>,
        buf: &'env mut [u8],
    ) -> Self {
        let p = Payload::in_place(buf.as_mut_ptr(), buf.len());
        self.push(Op::Transceive, Some(dev.iodev()), p)
    }

    /// DELAY_NS aimed at the device: the driver waits `ns` nanoseconds with the device held
    /// ([`crate::Request::DelayNs`]; inside a transaction, SPI keeps chip select asserted).
    /// A driver that cannot wait on its bus completes it [`Error::NotSupported`].
    pub fn delay_ns<K: caps::Kind>(self, dev: Dev<K>, ns: u32) -> Self {
        self.push(Op::DelayNs, Some(dev.iodev()), Payload::delay_ns(ns))
    }

    /// NOP aimed at the device: a place in a transaction that moves nothing.
    pub fn nop_on<K: caps::Kind>(self, dev: Dev<K>) -> Self {
        self.push(Op::Nop, Some(dev.iodev()), Payload::none())
    }

    /// DELAY on the context's clock (S8): completes `d` after it starts.
    pub fn delay(self, d: Duration) -> Self {
        let k = self.len;
        if self.rtio().clock.is_none() {
            return self.fail(k, Error::NoClock);
        }
        let mut s = self.push(Op::Delay, None, Payload::none());
        if s.err.is_none() {
            let t = s.tail;
            s.sqe(t).set_time(Op::Delay, d);
        }
        s
    }

    /// LINK_TIMEOUT: bounds the entry before it, or the whole transaction that ends there,
    /// to `d` (S8). If it fires first, that entry (a transaction's head) completes `TimedOut`,
    /// the driver is asked to stop (its cancel hook), and the rest of the chain is cancelled.
    /// Needs a context clock ([`Error::NoClock`]).
    pub fn link_timeout(self, d: Duration) -> Self {
        let k = self.len;
        if k == 0 || self.link == Link::Transaction {
            return self.fail(k, Error::InvalidChain);
        }
        if self.rtio().clock.is_none() {
            return self.fail(k, Error::NoClock);
        }
        let before = self.tail;
        let mut s = self;
        if s.err.is_none() && s.sqe(before).op == Op::LinkTimeout {
            return s.fail(k, Error::InvalidChain);
        }
        s = s.push(Op::LinkTimeout, None, Payload::none());
        if s.err.is_none() {
            let t = s.tail;
            s.sqe(t).set_time(Op::LinkTimeout, d);
            s.sqe(before).meta.set(Meta::LT_NEXT);
        }
        s
    }

    /// The next entry joins the last one's bus transaction (S5): same iodev, executed as one
    /// bus transaction (one START/STOP on I2C, chip select held on SPI).
    pub fn transaction(mut self) -> Self {
        self.link = Link::Transaction;
        self
    }

    /// The link after the last entry survives its failure: the next entry runs anyway (S4).
    pub fn hardlink(mut self) -> Self {
        if self.err.is_none() && self.len > 0 {
            let t = self.tail;
            self.sqe(t).flags.insert(Flags::HARDLINK);
        }
        self
    }

    /// Entries added so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Dispatches the chain (S1); [`Scope::wait_chain`] takes its result.
    ///
    /// # Errors
    /// The first mistake recorded while building, with its entry; [`Error::InvalidChain`]
    /// for an empty chain or a transaction link with nothing after it. Every entry is given
    /// back and nothing was started.
    pub fn start(mut self) -> Result<ScopedChainOp<'s>, ScopedChainError> {
        if let Some(e) = self.err {
            return Err(e);
        }
        if self.len == 0 || self.link == Link::Transaction {
            return Err(ScopedChainError {
                entry: self.len,
                error: Error::InvalidChain,
            });
        }
        let scope = self.scope;
        let ctx = scope.ctx;
        let head = self.head;
        // SAFETY: owner list; the chain list links heads through `onext`, unused in flight.
        unsafe { *ctx.rtio.slot(head).onext.get() = scope.chains.get() };
        scope.chains.set(head);
        self.started = true;
        ctx.track_kept(self.len as u32, 0);
        ctx.uses_general();
        crate::executor::submit_chain(ctx.rtio, head);
        Ok(ScopedChainOp {
            head,
            _s: PhantomData,
        })
    }

    /// Starts the chain and blocks until every entry completed (S14): the result of its
    /// last operation, or the entry that failed first and its error.
    ///
    /// # Errors
    /// As [`ScopedChain::start`], then as [`Scope::wait_chain`].
    pub fn wait(self) -> Result<usize, ScopedChainError> {
        let scope = self.scope;
        let op = self.start()?;
        scope.wait_chain(op)
    }
}

impl Drop for ScopedChain<'_, '_> {
    fn drop(&mut self) {
        if self.started || self.len == 0 {
            return;
        }
        // S10: an unstarted chain returns its entries. Their borrowed buffers need no
        // completion to come back: the borrow simply ends.
        let r = self.rtio();
        let mut n = 0;
        for i in entries(r, self.head).take(self.len) {
            // SAFETY: acquired by this builder and never dispatched: ours alone. (`entries`
            // read its link before yielding it.)
            unsafe { self.scope.ctx.free_slot(i) };
            n += 1;
        }
        r.unreserve(n);
    }
}
