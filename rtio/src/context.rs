//! The context: static storage for entries and completions, and its owner side.
//!
//! A context is two statics: [`Storage`] (the entry slots and the completion ring, sized by
//! const generics, with the mutable state, all zero in `.bss`) and [`Rtio`] (where that
//! storage is and what the context may use: pool, clock; immutable, in flash). `rtio-macros`'
//! `#[rtio_define]` writes both; by hand:
//!
//! ```
//! use rtio::{Rtio, Storage};
//! static STORAGE: Storage<8, 8> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//!
//! let ctx = RTIO.claim().expect("one owner at a time");
//! let h = ctx.acquire().unwrap().nop().userdata(7).prepare().unwrap();
//! ctx.submit(1).unwrap();                       // S1: dispatches, waits for 1 completion
//! let c = ctx.try_consume().unwrap();
//! assert_eq!((c.result(), c.userdata()), (Ok(0), 7));
//! # let _ = h;
//! ```
//!
//! The storage, the `Rtio` and the slots are defined in `state.rs`; this module is the
//! context's public face: the constructors and claim of [`Rtio`], and the owner side,
//! [`Context`] (acquire, submit, consume, cancel; S1-S16).

use crate::cqe::{Buffer, Completion, CqeFlags};
use crate::error::ClaimError;
use crate::lists;
use crate::pool::{BlockRange, Mempool, PoolBuf};
use crate::ring::Raw;
use crate::slot::Phase;
use crate::sqe::{Flags, Meta, Op, Sqe, NONE};
use crate::state::{Context, General, OpHandle, Rtio, Shared, Slot, View};
use crate::time::{Clock, Duration, Instant};
use crate::wait::Wait;
use crate::{executor, Error};
use core::marker::PhantomData;
use core::ptr::addr_of;
use portable_atomic::Ordering;

/// The public constructors and calls of a context's shared side ([`Rtio`] itself, its
/// storage and its accessors are in `state.rs`).
impl Rtio {
    /// Gives the context a memory pool for pool reads and multishot streams (S11).
    #[must_use = "the context with the pool or clock is the returned one"]
    pub const fn with_pool(mut self, pool: &'static Mempool) -> Self {
        self.pool = Some(pool);
        self.pool_ops = Some(&crate::post::POOL_OPS);
        self
    }

    /// Gives the context a clock for DELAY, LINK_TIMEOUT and deadlines (S8).
    #[must_use = "the context with the pool or clock is the returned one"]
    pub const fn with_clock(mut self, clock: &'static dyn Clock) -> Self {
        self.clock = Some(clock);
        self.timer_ops = Some(&executor::TIMER_OPS);
        self
    }

    /// Takes the owner side, to be given back by dropping it.
    ///
    /// # Errors
    /// [`ClaimError::AlreadyClaimed`] while another owner holds it;
    /// [`ClaimError::StorageInUse`] if another `Rtio` over the same [`Storage`](crate::Storage) was claimed
    /// first.
    pub fn claim(&'static self) -> Result<Context, ClaimError> {
        self.claim_with(crate::wait::DEFAULT_WAIT)
    }

    /// Takes the owner side with a waiting strategy for its blocking calls (S14).
    ///
    /// # Errors
    /// [`ClaimError::AlreadyClaimed`] while another owner holds it;
    /// [`ClaimError::StorageInUse`] if another `Rtio` over the same [`Storage`](crate::Storage) was claimed
    /// first.
    pub fn claim_with(&'static self, wait: &'static dyn Wait) -> Result<Context, ClaimError> {
        self.shared().claim(self)?;
        Ok(Context {
            rtio: self,
            view: self.view(),
            wait,
            _not_sync: PhantomData,
        })
    }

    /// Signals an AWAIT entry (S15). Safe from interrupts and other threads. A signal that
    /// comes first makes the AWAIT complete as soon as it is reached.
    ///
    /// A signal to a live entry that is not an AWAIT has no effect.
    ///
    /// # Errors
    /// [`Error::Stale`] if the handle no longer names a live entry.
    pub fn signal(&'static self, h: OpHandle) -> Result<(), Error> {
        executor::signal(self, h)
    }

    /// Runs due timers (DELAY, LINK_TIMEOUT). Call from a clock's alarm interrupt; the
    /// owner's waits call it too.
    pub fn on_alarm(&'static self) {
        if let Some(t) = self.timer_ops {
            (t.process)(self);
        }
    }
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context").field("rtio", self.rtio).finish()
    }
}

/// Dropping the owner side gives the context back clean, so that the next
/// [`Rtio::claim`] starts with nothing of this owner's:
///
/// - entries prepared but not submitted are removed as by [`Context::drop_all`]: they never
///   run, and the ones holding a caller buffer complete `Canceled`, handing it back (S3);
///   builders not prepared already gave theirs back when they were dropped (S10), since
///   they borrow the owner side;
/// - completions ready and not consumed, those `Canceled` ones included, are taken and
///   dropped with their buffers (pool blocks go back to the pool, S11).
///
/// Entries already submitted and still in flight are not waited for (that could hang, S16):
/// their drivers own them, and their completions reach whoever owns the context next.
impl Drop for Context {
    fn drop(&mut self) {
        self.drop_all();
        // Bounded: each pass takes one completion and the ring holds at most `CQ`, so this
        // takes everything that was ready even while a stream keeps posting.
        for _ in 0..self.rtio.cells.len() {
            if self.try_consume_any().is_none() {
                break;
            }
        }
        self.rtio.shared().unclaim();
    }
}

impl Context {
    /// A register copy of the slot pointer (see [`View`]).
    #[inline(always)]
    pub(crate) fn view(&self) -> View {
        self.view
    }

    /// The context's mutable state (as `Rtio::shared`, from the copied pointer).
    #[inline(always)]
    pub(crate) fn shared(&self) -> &'static Shared {
        self.view().shared()
    }

    /// Slot `idx` (as `Rtio::slot`, from the copied pointer).
    #[inline(always)]
    pub(crate) fn slot(&self, idx: u16) -> &'static Slot {
        debug_assert!(
            (idx as usize) < self.rtio.sq_len(),
            "slot index out of range"
        );
        self.view().slot(idx)
    }

    /// The shared side.
    pub fn rtio(&self) -> &'static Rtio {
        self.rtio
    }

    /// Takes `n` free slots and `n` completion reservations, all or nothing (S9, S10).
    #[inline]
    pub(crate) fn alloc_slots(&self, out: &mut [u16]) -> Result<(), Error> {
        self.alloc_with(out.len(), |k, idx| out[k] = idx)
    }

    /// [`Context::alloc_slots`] handing each slot to `f(k, idx)`.
    #[inline(always)]
    pub(crate) fn alloc_with(&self, n: usize, mut f: impl FnMut(usize, u16)) -> Result<(), Error> {
        let v = self.view();
        let r = self.rtio;
        if n == 0 {
            return Ok(());
        }
        if !v.shared().reserved.take(n as u32, r.cells.len() as u32) {
            return Err(Error::QueueFull);
        }
        // SAFETY: owner-only lists and entries; `&self` is the unique owner (claim + !Sync).
        unsafe {
            let free = &v.shared().free;
            let sq = r.slots().len();
            if !free.fits(v, n, sq) {
                // Producers may have returned slots (only entries that are not plain do).
                self.reclaim();
                if !free.fits(v, n, sq) {
                    r.unreserve(n as u32);
                    return Err(Error::QueueFull);
                }
            }
            free.take(v, n, |k, idx| {
                let slot = &v.slot(idx);
                slot.state.acquire();
                // The builder writes op, iodev, flags and payload; reset the rest. (The
                // owner link is written by whichever list takes the slot next.)
                let s = &mut *slot.sqe.get();
                s.meta = Meta::DEFAULT;
                s.carry = 0;
                s.userdata = 0;
                s.next = NONE;
                f(k, idx);
            });
        }
        Ok(())
    }

    /// Moves slots that producers returned (NO_RESPONSE, orphans) to the free list
    /// ([`General::reclaim`]).
    fn take_returned(&self) {
        // SAFETY: `&self` is the unique owner.
        let mut cur = unsafe { self.shared().returned.take_all() };
        while cur != NONE {
            // SAFETY: the stack is ours after the swap; its links are owner links now.
            let next = unsafe { lists::next(self.view(), cur) };
            // SAFETY: owner; a returned slot is referenced by nobody else.
            unsafe { self.free_slot(cur) };
            self.track_returning(0, 1);
            cur = next;
        }
    }

    /// Producers may have returned slots (only entries that are not plain do): takes them
    /// through the general table, so a program of plain NOPs links no reclaim. Out of line,
    /// as `take_returned` was: it stays out of every inlined `acquire` and `chain`.
    #[cold]
    #[inline(never)]
    fn reclaim(&self) {
        if let Some(g) = self.general() {
            (g.reclaim)(self);
        }
    }

    /// The general paths the builders stored so far (see [`Shared::general`]).
    #[inline(always)]
    fn general(&self) -> Option<&'static General> {
        // SAFETY: owner-only field; `&self` is the unique owner.
        unsafe { *self.shared().general.get() }
    }

    /// Builders and owner calls whose entries may complete anywhere but the local list
    /// plainly (any entry that is not a plain NOP, a cancel): they need the general
    /// paths, and linking them is this store's doing.
    #[inline(always)]
    pub(crate) fn uses_general(&self) {
        // SAFETY: owner-only field; `&self` is the unique owner.
        let g = unsafe { &mut *self.shared().general.get() };
        if g.is_none() {
            *g = Some(&GENERAL);
        }
    }

    /// [`Context::try_consume`] past its inline path: through the general table, or
    /// nothing when no builder stored one (then only plain local completions exist).
    #[inline(always)]
    fn consume_general(&self) -> Option<Completion> {
        match self.general() {
            Some(g) => (g.consume)(self),
            None => None,
        }
    }

    /// Returns a slot to the free list with a new generation.
    ///
    /// # Safety
    /// Owner only; the slot is not referenced by anyone else.
    #[inline]
    pub(crate) unsafe fn free_slot(&self, idx: u16) {
        // SAFETY: precondition.
        unsafe { self.view().free_slot(idx) }
    }

    /// An entry that was never dispatched (`prepared`: it was prepared, not just built) goes
    /// away: if it holds a caller buffer, it
    /// completes with `err` carrying the buffer (S3) and `true` is returned (its reservation
    /// is used by that completion); otherwise its slot is freed and `false` returned (the
    /// caller gives its reservation back).
    pub(crate) fn give_back_unsubmitted(&self, idx: u16, err: Error, prepared: bool) -> bool {
        let slot = self.slot(idx);
        // SAFETY: a never-dispatched entry is the owner's.
        let (holds, silent) = unsafe {
            let s = &*slot.sqe_ptr();
            (
                s.holds_caller_buffer(),
                s.flags.contains(Flags::NO_RESPONSE),
            )
        };
        if silent && prepared {
            // Counted as returning by itself when it was prepared; it never will.
            self.track_returning(0, 1);
        }
        if holds && slot.state.take(slot.gen()) {
            // Its completion goes through the ring, even when its chain was never prepared.
            self.uses_general();
            crate::post::post_unsubmitted(self.rtio, idx, err);
            true
        } else {
            // SAFETY: owner; never dispatched.
            unsafe { self.free_slot(idx) };
            false
        }
    }

    /// Appends a prepared chain head to the pending list.
    #[inline]
    pub(crate) fn push_pending(&self, head: u16) {
        let v = self.view();
        // SAFETY: owner-only list; a head being prepared is on no list.
        unsafe { v.shared().pending.push(v, head) };
    }

    /// Removes `head` from the pending list, if there.
    fn unlink_pending(&self, head: u16) {
        // SAFETY: owner-only list.
        unsafe { self.shared().pending.unlink(self.view(), head) };
    }

    /// Dispatches every prepared entry (the heads of prepared chains). Out of line, one copy
    /// per program: inlined into `submit`, LLVM copied `submit` whole into every call site
    /// of the firmware programs (+5 KB over nine programs, for 4 instructions fewer per
    /// Cortex-M3 NOP round trip; BENCHMARKS.md).
    #[inline(never)]
    pub(crate) fn dispatch_pending(&self) {
        let v = self.view();
        let r = self.rtio;
        // The list is detached before dispatching, so completions that free slots cannot
        // disturb the walk (we read `onext` before dispatching).
        // SAFETY: owner-only list.
        let mut cur = unsafe { v.shared().pending.take_all() };
        while cur != NONE {
            let slot = v.slot(cur);
            // SAFETY: owner-only link, read before the head is dispatched.
            let next = unsafe { lists::next(v, cur) };
            // SAFETY: the runtime's bits of a prepared entry are the owner's; read alone.
            let meta = unsafe { addr_of!((*slot.sqe_ptr()).meta).read() };
            if meta.has(Meta::PLAIN) {
                // SAFETY: we are the owner (`&self` is the unique `Context`); the head is a
                // plain NOP (`Chain::prepare` set PLAIN).
                unsafe { executor::complete_plain(r, v, cur) };
            } else {
                // SAFETY: as above; the builder chose the start function of this head.
                unsafe { (slot.start_fn())(r, cur) };
            }
            cur = next;
        }
    }

    /// S1: dispatches every prepared entry, then waits until `n` completions have been posted
    /// since the call (`n = 0` returns at once).
    ///
    /// # Errors
    /// [`Error::WouldHang`] at once when fewer than `n` completions can still come (S16: a
    /// multishot in flight counts as unbounded); errors of the wait strategy. See
    /// [`Context::submit_timeout`] for a bounded wait.
    #[inline]
    pub fn submit(&self, n: usize) -> Result<(), Error> {
        self.submit_until(n, None)
    }

    /// Completions posted through the ring so far plus the local ones not consumed yet,
    /// wrapping (S1). Inside `submit`, where the owner consumes nothing, it grows by one per
    /// completion posted either way: what `submit(n)` counts.
    #[inline]
    fn posted(&self) -> u32 {
        let v = self.view();
        // SAFETY: the owner's own counter.
        let local = unsafe { v.shared().local.len() };
        v.shared()
            .completed
            .load(Ordering::Acquire)
            .wrapping_add(local)
    }

    #[inline]
    fn posted_since(&self, start: u32) -> usize {
        self.posted().wrapping_sub(start) as usize
    }

    /// S1 with a deadline: like [`Context::submit`], but gives up after `timeout` with
    /// [`Error::TimedOut`]. The entries stay submitted.
    ///
    /// # Errors
    /// [`Error::TimedOut`]; [`Error::NoClock`] if the context has no clock.
    pub fn submit_timeout(&self, n: usize, timeout: Duration) -> Result<(), Error> {
        let clock = self.rtio.clock.ok_or(Error::NoClock)?;
        self.submit_until(n, Some(clock.now() + timeout))
    }

    #[inline(always)]
    fn submit_until(&self, n: usize, deadline: Option<Instant>) -> Result<(), Error> {
        let shared = self.shared();
        // SAFETY: the owner's own list.
        let local = || unsafe { shared.local.len() };
        // Relaxed: only a baseline to count from (an Acquire load reads no fresher value);
        // the load after dispatching is Acquire, so what it counts is there to consume.
        let (local0, ring0) = (local(), shared.completed.load(Ordering::Relaxed));
        self.dispatch_pending();
        // Entries that completed while dispatching, the owner's own ones first (they need
        // no second load of the ring's counter): no timers to run, no wait.
        let local_posts = local().wrapping_sub(local0) as usize;
        if n == 0 || local_posts >= n {
            return Ok(());
        }
        let ring_posts = shared.completed.load(Ordering::Acquire).wrapping_sub(ring0) as usize;
        if local_posts + ring_posts >= n {
            return Ok(());
        }
        let start = ring0.wrapping_add(local0);
        match (deadline, self.general()) {
            // `submit_timeout` links the wait itself.
            (Some(_), _) => self.wait_posted(start, n, deadline),
            (None, Some(g)) => (g.wait)(self, start, n),
            // Only plain NOPs were ever built, and each completed during the dispatch: no
            // other completion can come (S16).
            (None, None) => Err(Error::WouldHang),
        }
    }

    /// [`General::wait`]: [`Context::wait_posted`] without a deadline.
    #[cold]
    fn wait_forever(&self, start: u32, n: usize) -> Result<(), Error> {
        self.wait_posted(start, n, None)
    }

    /// Waits until `n` completions were posted since `start` (S1), refusing at once a wait
    /// that could never end (S16). Inlined into its two callers, [`Context::wait_forever`]
    /// and `submit_timeout`, each with its deadline known.
    #[inline(always)]
    fn wait_posted(&self, start: u32, n: usize, deadline: Option<Instant>) -> Result<(), Error> {
        // What may still reach the ring is read before what has (a completion landing in
        // between only makes this more lenient).
        if let Some(can_come) = self.can_still_post() {
            if n > self.posted_since(start) + can_come {
                return Err(Error::WouldHang);
            }
        }
        self.block_until(|| self.posted_since(start) >= n, deadline)
    }

    /// How many completions may still be posted to the ring (entries in flight that report
    /// to it); `None` while a multishot lives (any number may come). An upper bound: a
    /// NO_RESPONSE entry in flight counts although it posts nothing.
    fn can_still_post(&self) -> Option<usize> {
        let r = self.rtio;
        // SAFETY: owner-only counters; the owner is the ring's single consumer.
        let (kept, multishots, occupancy) = unsafe {
            (
                u32::from(*self.shared().kept.get()),
                *self.shared().multishots.get(),
                self.shared().ring.occupancy(r.cells) + self.shared().local.len(),
            )
        };
        if multishots > 0 {
            return None;
        }
        let reserved = self.shared().reserved.get();
        Some(reserved.saturating_sub(kept).saturating_sub(occupancy) as usize)
    }

    /// S16: whether no completion is ready and none can ever be posted.
    pub(crate) fn nothing_can_post(&self) -> bool {
        self.can_still_post() == Some(0) && !self.has_completion()
    }

    /// Owner bookkeeping for S16: `n` entries now keep their results in their slots (+) or
    /// are no longer tracked by a waiter (-).
    pub(crate) fn track_kept(&self, added: u32, removed: u32) {
        // SAFETY: owner-only counter.
        unsafe {
            let k = &mut *self.shared().kept.get();
            // At most `SQ` entries (below 2^16) are kept at a time.
            *k = (u32::from(*k) + added).saturating_sub(removed) as u16;
        }
    }

    /// Owner bookkeeping for S16: entries that will return their own slots were dispatched
    /// or orphaned (+), or came back (-).
    pub(crate) fn track_returning(&self, added: u32, removed: u32) {
        // SAFETY: owner-only counter.
        unsafe {
            let k = &mut *self.shared().returning.get();
            // At most `SQ` entries (below 2^16) return their own slots at a time.
            *k = (u32::from(*k) + added).saturating_sub(removed) as u16;
        }
    }

    /// Owner bookkeeping for S16: a multishot entry was prepared (+) or ended (-).
    pub(crate) fn track_multishot(&self, added: bool) {
        // SAFETY: `&self` is the unique owner.
        unsafe { self.shared().track_multishot(added) }
    }

    /// Blocks with the context's wait strategy until `cond` holds or `deadline` passes,
    /// running due timers meanwhile.
    pub(crate) fn block_until(
        &self,
        mut cond: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        let r = self.rtio;
        loop {
            if let Some(t) = r.timer_ops {
                (t.process)(r);
            }
            if cond() {
                return Ok(());
            }
            let now = r.clock.map(|c| c.now());
            if let (Some(d), Some(now)) = (deadline, now) {
                if now >= d {
                    return Err(Error::TimedOut);
                }
            }
            self.wait.register(&self.shared().notify);
            if cond() {
                return Ok(());
            }
            let next_timer = r.timer_ops.and_then(|t| (t.next_deadline)(r));
            let until = match (deadline, next_timer) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.wait.block(until, r.clock);
        }
    }

    /// Takes the next completion, if one is ready (S14, polling). Its queue slot is released;
    /// its buffer comes with it (S3).
    // Inlined: the owner's plain completions (NOPs, callbacks, ... completed during
    // `submit`) are taken here; any other goes to `try_consume_any`, one function, which
    // the runtime's own consume sites (blocking consume, futures, drop) call directly.
    #[inline]
    pub fn try_consume(&self) -> Option<Completion> {
        let v = self.view();
        // The owner's own completions first (`post.rs`: chain order, S6).
        // SAFETY: the local list is the owner's.
        let idx = unsafe { v.shared().local.first() };
        if idx == NONE {
            return self.consume_general();
        }
        let sqe = v.slot(idx).sqe_ptr();
        // SAFETY: the op is immutable after prepare; read alone.
        if unsafe { addr_of!((*sqe).op).read() }.hands_back_buffer() {
            return self.consume_general();
        }
        // SAFETY: owner; `idx` is the list's first.
        unsafe { v.shared().local.pop(v) };
        // SAFETY: as above.
        let userdata = unsafe { addr_of!((*sqe).userdata).read() };
        // SAFETY: the entry is DONE, off the list, and hands nothing back.
        Some(unsafe { Self::plain_completion(v, idx, v.slot(idx).result(), userdata) })
    }

    /// The completion of a DONE entry that hands nothing back (plain NOPs, callbacks,
    /// timers, tiny writes, ...): one terminal completion, no buffer, no pool blocks. Frees
    /// its slot and gives its credit back.
    ///
    /// # Safety
    /// Owner only (`v` is the owner's view); the entry is DONE, taken off the local list or
    /// the ring, and nothing references its slot any more.
    #[inline(always)]
    unsafe fn plain_completion(v: View, idx: u16, result: i32, userdata: usize) -> Completion {
        // SAFETY: precondition.
        unsafe { v.free_slot(idx) };
        v.shared().reserved.give(1);
        Completion {
            result,
            userdata,
            flags: CqeFlags::from_bits(0),
            buffer: Buffer::None,
        }
    }

    /// [`Context::try_consume`] whole, out of line: the local list's first completion, or
    /// else the ring's next one (after running due timers).
    #[inline(never)]
    pub(crate) fn try_consume_any(&self) -> Option<Completion> {
        let v = self.view();
        let r = self.rtio;
        // SAFETY: the local list is the owner's.
        let raw = match unsafe { v.shared().local.pop(v) } {
            // A local completion: its result waits in its slot; never pool blocks.
            Some(idx) => Raw {
                slot: idx,
                flags: 0,
                pool_start: 0,
                result: v.slot(idx).result(),
            },
            None => {
                // S8: polling alone advances timers (a clock without alarms calls nothing
                // else); what they complete goes through the ring. Not while local
                // completions wait: one is returned now, and the next call polls.
                executor::poll_timers(r);
                // SAFETY: the owner is the ring's single consumer.
                unsafe { v.shared().ring.pop(r.cells) }?
            }
        };
        let sqe = v.slot(raw.slot).sqe_ptr();
        // SAFETY: `userdata` and the op are immutable after prepare; each is read alone.
        let userdata = unsafe { addr_of!((*sqe).userdata).read() };
        // SAFETY: as above.
        let op = unsafe { addr_of!((*sqe).op).read() };
        if !op.hands_back_buffer() {
            // Nothing to hand back (shots are pool reads').
            // SAFETY: the entry is DONE, taken off a list or the ring, and hands nothing back.
            return Some(unsafe { Self::plain_completion(v, raw.slot, raw.result, userdata) });
        }
        // SAFETY: owner-only field.
        match unsafe { *v.shared().buffer_consumer.get() } {
            // SAFETY: `&self` is the unique owner.
            // `f` builds the `Option` in place: no copy of the `Completion` here.
            Some(f) => unsafe { f(self.rtio, raw, userdata) },
            // Every entry with a buffer op was built by `Chain::push`, which stored it.
            None => unreachable!("rtio: a buffer completion without its consumer"),
        }
    }

    /// Builders: an entry that hands a buffer back was built (see `Shared::buffer_consumer`):
    /// a pool read (`pool`), whose completions need `complete_general`, or an entry holding a
    /// caller's buffer, for which `complete_caller` is enough until a pool read is built.
    #[inline(always)]
    pub(crate) fn uses_buffers(&self, pool: bool) {
        // SAFETY: owner-only field; `&self` is the unique owner.
        let consumer = unsafe { &mut *self.shared().buffer_consumer.get() };
        if pool {
            *consumer = Some(complete_general);
        } else if consumer.is_none() {
            *consumer = Some(complete_caller);
        }
    }

    /// Takes the buffer out of a DONE entry.
    ///
    /// # Safety
    /// Owner only; the entry is DONE (terminal) and not referenced elsewhere.
    #[inline]
    pub(crate) unsafe fn take_buffer(
        &self,
        idx: u16,
        ring_pool: Option<BlockRange>,
        result: Result<usize, Error>,
    ) -> Buffer {
        // SAFETY: precondition.
        unsafe { take_buffer(self.rtio, idx, ring_pool, result) }
    }

    /// Blocks until a completion is ready and takes it (S14).
    ///
    /// # Errors
    /// [`Error::WouldHang`] at once when nothing is outstanding that could ever post one
    /// (S16); errors of the wait strategy.
    pub fn consume(&self) -> Result<Completion, Error> {
        self.consume_until(None)
    }

    fn consume_until(&self, deadline: Option<Instant>) -> Result<Completion, Error> {
        if let Some(c) = self.try_consume() {
            return Ok(c);
        }
        if self.nothing_can_post() {
            return Err(Error::WouldHang);
        }
        let mut got = None;
        self.block_until(
            || {
                got = self.try_consume_any();
                got.is_some()
            },
            deadline,
        )?;
        got.ok_or(Error::TimedOut)
    }

    /// Like [`Context::consume`], but gives up after `timeout`.
    ///
    /// # Errors
    /// [`Error::TimedOut`]; [`Error::NoClock`] without a clock.
    pub fn consume_timeout(&self, timeout: Duration) -> Result<Completion, Error> {
        let clock = self.rtio.clock.ok_or(Error::NoClock)?;
        self.consume_until(Some(clock.now() + timeout))
    }

    /// Whether a completion is ready.
    pub fn has_completion(&self) -> bool {
        executor::poll_timers(self.rtio);
        // SAFETY: the owner is the single consumer, and the local list is its own.
        unsafe { self.shared().local.len() > 0 || self.shared().ring.ready(self.rtio.cells) }
    }

    /// Cancels an entry (S7). Not yet dispatched: it and the rest of its chain complete with
    /// `Canceled` now, which can be before a predecessor still in flight completes (chain
    /// order, S6, holds among the entries that run; Zephyr instead posts the cancelled
    /// entries when the executor reaches them). In flight: the iodev's cancel hook may abort it; a multishot entry
    /// stops re-arming. Already complete: nothing happens.
    ///
    /// # Errors
    /// [`Error::Stale`] if the handle no longer names a live entry; nothing is touched.
    /// [`Error::InvalidArgument`] for a transaction member after the head: a transaction is
    /// cancelled through its head (S5); nothing is touched.
    pub fn cancel(&self, h: OpHandle) -> Result<(), Error> {
        self.cancel_op(h, false).map(|_| ())
    }

    /// For [`crate::ChainHandle::cancel`]: cancels `h` if it has not completed and can be
    /// cancelled on its own (`Ok(true)`); `Ok(false)` for a live entry that completed, or
    /// that only an earlier entry can cancel.
    pub(crate) fn cancel_if_pending(&self, h: OpHandle) -> Result<bool, Error> {
        self.cancel_op(h, true)
    }

    fn cancel_op(&self, h: OpHandle, skip_refused: bool) -> Result<bool, Error> {
        // A cancelled entry completes through the ring, even a plain NOP's.
        self.uses_general();
        let r = self.rtio;
        let slot = r.slots().get(h.idx as usize).ok_or(Error::Stale)?;
        let st = slot.state.current(h.gen()).ok_or(Error::Stale)?;
        if st.phase() == Phase::Free {
            return Err(Error::Stale);
        }
        // SAFETY: the runtime's bits are written before prepare and only read afterwards; we
        // read the field alone, without a reference to an entry a driver may hold.
        let meta = unsafe { addr_of!((*slot.sqe_ptr()).meta).read() };
        if meta.has(Meta::NO_CANCEL) {
            // Between a READ that lent its buffer and the WRITE that took it: the buffer may
            // still be in the read's hands, so cancel through the read or earlier.
            return if skip_refused {
                Ok(false)
            } else {
                Err(Error::InvalidArgument)
            };
        }
        if meta.has(Meta::MEMBER) {
            // S5: a transaction is one operation; its head's handle cancels it.
            return if skip_refused {
                Ok(false)
            } else {
                Err(Error::InvalidArgument)
            };
        }
        match st.phase() {
            Phase::Prepared => {
                // A head not submitted leaves the pending list (a successor, submitted or
                // not, is on no list: the walk finds nothing).
                self.unlink_pending(h.idx);
                executor::cancel_chain(r, h.idx, h.gen);
                Ok(true)
            }
            Phase::Inflight => {
                executor::cancel_inflight(r, h.idx, h.gen);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Removes every prepared but unsubmitted entry. An entry that holds a caller buffer
    /// (READ, WRITE, TRANSCEIVE) completes with [`Error::Canceled`] so that its buffer comes
    /// back (S3); the others are released without a completion.
    pub fn drop_all(&self) {
        let r = self.rtio;
        // SAFETY: owner-only list.
        let mut cur = unsafe { self.shared().pending.take_all() };
        while cur != NONE {
            // SAFETY: owner-only link, read before the head is removed.
            let next_head = unsafe { lists::next(self.view(), cur) };
            let mut m = cur;
            let mut n = 0;
            let mut want: Option<u16> = None;
            while m != NONE {
                let st = self.slot(m).state.load();
                // A successor cancelled before submit ended the chain; its slot may since
                // belong to another chain (stale generation).
                if want.is_some_and(|g| g != st.tag()) || st.phase() != Phase::Prepared {
                    break;
                }
                // SAFETY: prepared entries are the owner's.
                let s = unsafe { &*self.slot(m).sqe_ptr() };
                let (next, next_gen) =
                    if s.flags.contains(Flags::CHAINED) || s.flags.contains(Flags::TRANSACTION) {
                        (s.next, Some(s.next_gen))
                    } else {
                        (NONE, None)
                    };
                if s.flags.contains(Flags::MULTISHOT) {
                    self.track_multishot(false);
                }
                if !self.give_back_unsubmitted(m, Error::Canceled, true) {
                    n += 1;
                }
                (m, want) = (next, next_gen);
            }
            r.unreserve(n);
            cur = next_head;
        }
    }
}

/// The general paths of a context whose builders made entries other than plain NOPs
/// ([`Context::uses_general`]).
static GENERAL: General = General {
    consume: Context::try_consume_any,
    wait: Context::wait_forever,
    reclaim: Context::take_returned,
    publish: crate::post::publish_behind,
};

/// [`Context::try_consume`] for an entry that holds a caller's buffer (a READ, WRITE or
/// TRANSCEIVE that is not a pool read), in a context whose builders made no pool read yet
/// (`Context::uses_buffers`): such an entry has one completion, no shots and no pool blocks,
/// so its buffer comes back without `complete_general`'s decoding, which such a program does
/// not link.
///
/// # Safety
/// The caller is the context's owner; `raw` was taken off its ring or local list, for an
/// entry that holds a caller's buffer.
unsafe fn complete_caller(r: &'static Rtio, raw: Raw, userdata: usize) -> Option<Completion> {
    let v = r.view();
    // SAFETY: terminal completion: the entry is DONE and the owner's again (precondition).
    let buffer = unsafe { caller_buffer(&*v.slot(raw.slot).sqe_ptr()) };
    // SAFETY: owner; nothing references the slot any more.
    unsafe { v.free_slot(raw.slot) };
    v.shared().reserved.give(1);
    Some(Completion {
        result: raw.result,
        userdata,
        flags: CqeFlags::from_bits(raw.flags),
        buffer,
    })
}

/// [`Context::try_consume`] for an entry with a buffer: decodes its flags, builds
/// its pool buffer or hands back the entry's own, and frees the slot of a terminal
/// completion. Out of line, once per program: inlined at every consume site it cost the
/// firmware programs about 650 B each, for 30-40 instructions per buffer completion.
///
/// # Safety
/// The caller is the context's owner; `raw` was taken off its ring or local list.
unsafe fn complete_general(r: &'static Rtio, raw: Raw, userdata: usize) -> Option<Completion> {
    let sqe = r.slot(raw.slot).sqe_ptr();
    let result = crate::error::decode(raw.result);
    let flags = CqeFlags::from_bits(raw.flags);
    let len = *result.as_ref().unwrap_or(&0);
    let ring_pool = match (flags.contains(CqeFlags::POOL), r.pool) {
        (true, Some(pool)) => Some(pool.range_for(raw.pool_start, len)),
        _ => None,
    };
    let buffer = if flags.contains(CqeFlags::MORE) {
        pool_buffer(r, ring_pool, len)
    } else {
        // SAFETY: flags are written before prepare and only read afterwards.
        if unsafe { addr_of!((*sqe).flags).read() }.contains(Flags::MULTISHOT) {
            // SAFETY: owner (precondition).
            unsafe { r.shared().track_multishot(false) };
        }
        // SAFETY: terminal completion: the entry is DONE and the owner's again.
        let b = unsafe { take_buffer(r, raw.slot, ring_pool, result) };
        // SAFETY: owner; nothing references the slot any more.
        unsafe { r.view().free_slot(raw.slot) };
        b
    };
    r.unreserve(1);
    Some(Completion {
        result: raw.result,
        userdata,
        flags,
        buffer,
    })
}

fn pool_buffer(r: &Rtio, range: Option<BlockRange>, len: usize) -> Buffer {
    match (range, r.pool) {
        (Some(range), Some(pool)) if !range.is_none() => {
            // SAFETY: the completion handed this range over to us.
            Buffer::Pool(unsafe { PoolBuf::from_raw(pool, range, len) })
        }
        _ => Buffer::None,
    }
}

/// Takes the buffer out of a DONE entry.
///
/// # Safety
/// Owner only; the entry is DONE (terminal) and not referenced elsewhere.
#[inline]
unsafe fn take_buffer(
    r: &Rtio,
    idx: u16,
    ring_pool: Option<BlockRange>,
    result: Result<usize, Error>,
) -> Buffer {
    // SAFETY: precondition.
    let s = unsafe { &mut *r.slot(idx).sqe_ptr() };
    if s.flags.contains(Flags::MEMPOOL) {
        let range = ring_pool.or_else(|| s.buf().map(|b| BlockRange::unpack(b.pool_range)));
        if let Some(b) = s.buf_mut() {
            b.pool_range = 0;
        }
        return pool_buffer(r, range, *result.as_ref().unwrap_or(&0));
    }
    // SAFETY: precondition.
    unsafe { caller_buffer(s) }
}

/// The caller's buffer (or buffers) that a DONE entry holds: none for an op that holds none
/// or a READ that lent its buffer on (HANDOFF).
///
/// # Safety
/// Owner only; the entry is DONE (terminal), not a pool read, and not referenced elsewhere;
/// its slot is freed right after (the buffer is handed back once).
#[inline]
unsafe fn caller_buffer(s: &Sqe) -> Buffer {
    // SAFETY: the builders stored 'static slices whose ownership the entry holds; the
    // terminal completion hands them back exactly once (precondition).
    #[allow(clippy::undocumented_unsafe_blocks)]
    unsafe {
        match s.op {
            Op::Read if s.meta.has(Meta::HANDOFF) => Buffer::None,
            Op::Read => s.buf().map_or(Buffer::None, |b| {
                Buffer::Mut(core::slice::from_raw_parts_mut(b.ptr, b.len))
            }),
            Op::Write if s.meta.has(Meta::HANDOFF) => s.buf().map_or(Buffer::None, |b| {
                Buffer::Mut(core::slice::from_raw_parts_mut(b.ptr, b.len))
            }),
            Op::Write => s.buf().map_or(Buffer::None, |b| {
                Buffer::Ref(core::slice::from_raw_parts(b.ptr, b.len))
            }),
            Op::Transceive => s.txrx().map_or(Buffer::None, |t| Buffer::Pair {
                tx: core::slice::from_raw_parts(t.tx, t.tx_len),
                rx: core::slice::from_raw_parts_mut(t.rx, t.rx_len),
            }),
            _ => Buffer::None,
        }
    }
}
