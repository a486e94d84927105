//! The executor: walks chains and transactions and decides what each completion starts or
//! cancels (S2-S8, S13, S15); the completions themselves are posted by `post.rs`, the timers
//! kept by `timer.rs`.
//!
//! It runs in place, in whatever context calls it: the owner's `submit`, or the interrupt
//! handler (or thread) that completes an operation. Nothing here allocates or blocks; loops
//! are bounded by the number of slots.

use crate::error::Code;
use crate::iodev::{resume_addr, resume_of, Iodev, ResumeFn, Shot, Token};
use crate::post::{bounded, buffer_len, capacity, drop_pool, post, post_in_run, post_shot, Sink};
use crate::slot::Phase;
use crate::sqe::{Flags, Meta, Op, Sqe, NONE};
use crate::state::{OpHandle, RawToken, Rtio, TimerOps, View};
use crate::timer;
use crate::Error;
use core::ptr::addr_of;

fn sqe(r: &Rtio, idx: u16) -> *mut Sqe {
    r.slot(idx).sqe_ptr()
}

/// Owner side of submit: starts a prepared chain's head (its successors stay PREPARED until
/// their predecessors complete). Completions of this run go through the ring (kept
/// entries: to their slots).
#[inline]
pub(crate) fn submit_chain(r: &'static Rtio, head: u16) {
    submit_chain_to(r, head, &Sink::ring());
}

/// [`submit_chain`] for the owner's `submit`: what completes during the run itself goes to
/// the owner's local list (`post.rs`).
///
/// # Safety
/// The caller is the context's owner, on its own thread.
#[inline]
pub(crate) unsafe fn submit_chain_owner(r: &'static Rtio, head: u16) {
    // SAFETY: the caller is the owner (precondition).
    submit_chain_to(r, head, &unsafe { Sink::owner() });
}

/// Owner: completes a plain head (`Meta::PLAIN`: one NOP, no iodev, no flags) in place.
///
/// # Safety
/// The caller is the context's owner, on its own thread; `v` is `r`'s slot view; `head`
/// was taken off the pending list.
#[inline(always)]
pub(crate) unsafe fn complete_plain(r: &'static Rtio, v: View, head: u16) {
    // The pending list holds no cancelled entry (a cancel unlinks it, and nobody else can
    // take a prepared one): the head is the owner's, PREPARED, and completes at once.
    v.slot(head).state.complete_in_place();
    // SAFETY: owner (precondition); the entry is DONE now and on no list.
    unsafe { crate::post::post_plain(r, v, head) };
}

#[inline(always)]
fn submit_chain_to(r: &'static Rtio, head: u16, sink: &Sink) {
    // What completes from here on may need the owner's general consume paths, which the
    // builder of every entry that is not plain stores (`Context::uses_general`).
    #[cfg(debug_assertions)]
    {
        // SAFETY: the owner's own field, read on its thread (we are the owner here).
        let stored = unsafe { (*r.shared().general.get()).is_some() };
        assert!(
            stored,
            "rtio: an entry was dispatched without the general paths"
        );
    }
    // SAFETY: prepared entries are the owner's (we are the owner here).
    let hs = unsafe { &*sqe(r, head) };
    let linked = hs.flags.contains(Flags::CHAINED) || hs.flags.contains(Flags::TRANSACTION);
    // The head came off the owner's pending list, or was built and dispatched at once
    // (futures, scopes): nobody else can start or take it (`SlotState::start_owned`).
    r.slot(head).state.start_owned();
    if !linked {
        // The common case: one entry, nothing follows it.
        if hs.op == Op::Nop && hs.iodev.is_none() {
            post(r, head, Code::OK0, sink);
        } else {
            run(r, head, Code::OK0, sink);
        }
        return;
    }
    // A transaction's members start with it; the successors are not touched: each is
    // started (or found cancelled, or its link stale) when its predecessor completes.
    start_members(r, hs);
    run(r, head, Code::OK0, sink);
}

/// Moves PREPARED entry `idx` (generation `gen`) to INFLIGHT; a transaction head takes its
/// members along (they are dispatched with it). `false` if it was cancelled or the link is
/// stale.
fn try_start(r: &'static Rtio, idx: u16, gen: u16) -> bool {
    let started = r.slot(idx).state.start(gen);
    if started {
        // SAFETY: header read of an entry we just started.
        start_members(r, unsafe { &*sqe(r, idx) });
    }
    started
}

/// Starts the members that follow the just-started transaction head `s`, if any.
#[inline]
fn start_members(r: &'static Rtio, mut s: &Sqe) {
    while s.flags.contains(Flags::TRANSACTION) && s.next != NONE {
        // Members cannot be cancelled on their own (Context::cancel refuses them), so
        // they are PREPARED here and ours to start.
        let m = s.next;
        r.slot(m).state.start_owned();
        // SAFETY: header read of an entry we own (started with its head).
        s = unsafe { &*sqe(r, m) };
    }
}

/// Executes an INFLIGHT entry and every successor that completes in place.
#[inline]
fn run(r: &'static Rtio, idx: u16, carry: Code, sink: &Sink) {
    drive(r, idx, carry, None, sink);
}

/// The executor's one loop. Entry `idx` is INFLIGHT: executed with `carry` when `done` is
/// `None`, else it has just completed with `done` (a driver's token). Each entry that
/// completes is finished (posted, its successor decided) and the successor started, as long
/// as entries complete in place (S13).
///
/// `execute` and `finish` are called from here alone, so both are inlined once: a chain
/// link costs no call of either.
fn drive(r: &'static Rtio, mut idx: u16, mut carry: Code, mut done: Option<Code>, sink: &Sink) {
    loop {
        let res = match done.take() {
            Some(res) => res,
            None => match execute(r, idx, carry, sink) {
                Some(res) => res,
                None => return, // handed to a driver, a timer or a signal
            },
        };
        let next = finish(r, idx, res, sink);
        if next.idx == NONE || !try_start(r, next.idx, next.gen) {
            return; // nothing follows, or it was cancelled, or the link is stale
        }
        (idx, carry) = (next.idx, next.carry);
    }
}

/// What `execute` and `finish` hand back: the successor to start (`idx == NONE`: none), the
/// generation its link names and the result it sees (S4). Eight bytes: one register.
#[derive(Clone, Copy)]
struct Next {
    idx: u16,
    gen: u16,
    carry: Code,
}

impl Next {
    /// Nothing to start.
    const NONE: Next = Next {
        idx: NONE,
        gen: 0,
        carry: Code::OK0,
    };
}

/// Runs an INFLIGHT entry. Returns its result when it completed in place; `None` when it
/// was handed on (to its driver, a timer, a signal) or needs nothing more.
#[inline(always)]
fn execute(r: &'static Rtio, idx: u16, carry: Code, sink: &Sink) -> Option<Code> {
    let p = sqe(r, idx);
    if let Err(e) = carry.get() {
        // SAFETY: the entry is INFLIGHT and the executor owns it until it hands a token out;
        // a field write, no reference kept.
        unsafe { (*p).carry = crate::error::to_carry(e) };
    }
    arm_link_timeout(r, idx);
    // SAFETY: as above. Shared, not `&mut`: the owner may read this entry's header at any
    // time (`Context::cancel`), and a `&mut` to the whole entry would race with that (Miri).
    // Made after `arm_link_timeout`, which reads chain headers through their own pointers.
    let s = unsafe { &*p };
    match s.op {
        Op::Nop if s.iodev.is_none() => Some(Code::OK0),
        Op::Callback => {
            let cb = s.callback()?;
            let prev = match crate::error::from_carry(s.carry) {
                Some(e) => Err(e),
                None => carry.get(),
            };
            Some(Code::of((cb.f)(prev, cb.arg)))
        }
        Op::Delay => {
            let Some(clock) = r.clock else {
                return Some(Code::err(Error::NoClock));
            };
            // SAFETY: `time` is the active member for DELAY; the executor owns the payload,
            // and `s` is not used again.
            let t = unsafe { &mut *Sqe::time_ptr(p) };
            t.arm(clock.now());
            match r.timer_ops {
                Some(ops) => (ops.insert)(r, idx),
                None => return Some(Code::err(Error::NoClock)),
            }
            None
        }
        Op::LinkTimeout => {
            // Reached on its own: its operation already completed (or it heads a chain,
            // which prepare refuses). It has nothing left to bound.
            Some(Code::OK0)
        }
        Op::Await if s.iodev.is_none() => {
            let old = r.slot(idx).state.arm();
            if old.cancel_requested() {
                Some(Code::CANCELED)
            } else if old.signaled() {
                Some(Code::OK0)
            } else {
                None
            }
        }
        _ => match s.iodev {
            Some(dev) if sink.is_owner() && Iodev::of(dev).hands_back() => {
                dispatch_owned(r, idx, Iodev::of(dev))
            }
            Some(dev) => {
                Iodev::of(dev).submit(Token::from_raw(RawToken { rtio: r, idx }));
                None
            }
            None => Some(Code::err(Error::NotSupported)),
        },
    }
}

/// The owner's own run hands entry `idx` to its driver, which declared that it may complete
/// inside `submit` (`Iodev::completes_in_place`). A completion made before the driver's
/// `submit` returns (in place, or by an interrupt or thread that was quicker) is handed back (`complete`, `SlotState::hand_back`) and returned, so
/// the owner finishes it in this run, on its local list, like a NOP; a later one is posted
/// by its completer as usual. `None`: the driver holds the token.
#[inline(never)]
fn dispatch_owned(r: &'static Rtio, idx: u16, dev: &'static Iodev) -> Option<Code> {
    let slot = r.slot(idx);
    slot.state.enter_dispatch();
    // A driver that panics (with unwinding) after its token completed would strand the
    // handed-back completion: the guard posts it then, through the ring. Forgotten on the
    // normal path, so it costs nothing there.
    let guard = UnwindGuard { r, idx };
    dev.submit(Token::from_raw(RawToken { rtio: r, idx }));
    core::mem::forget(guard);
    // The completer stored the result before it handed the completion back (Release), and
    // `leave_dispatch` acquires it.
    slot.state
        .leave_dispatch()
        .then(|| Code::from_raw(slot.result()))
}

/// See [`dispatch_owned`]: runs only while a driver's `submit` unwinds.
struct UnwindGuard {
    r: &'static Rtio,
    idx: u16,
}

impl Drop for UnwindGuard {
    #[cold]
    fn drop(&mut self) {
        let slot = self.r.slot(self.idx);
        if slot.state.leave_dispatch() {
            let res = Code::from_raw(slot.result());
            drive(self.r, self.idx, Code::OK0, Some(res), &Sink::ring());
        }
    }
}

/// Whether a LINK_TIMEOUT follows the transaction that starts at `idx` (the LT_NEXT bit of its
/// last member, which the caller owns: the successor's own header is not read).
fn lt_follows(r: &Rtio, idx: u16) -> bool {
    let mut cur = idx;
    loop {
        // SAFETY: header fields of in-flight entries are immutable; read alone.
        let (flags, next, meta) = unsafe {
            let p = sqe(r, cur);
            (
                addr_of!((*p).flags).read(),
                addr_of!((*p).next).read(),
                addr_of!((*p).meta).read(),
            )
        };
        if flags.contains(Flags::TRANSACTION) && next != NONE {
            cur = next;
            continue;
        }
        return meta.has(Meta::LT_NEXT);
    }
}

fn successor(r: &Rtio, idx: u16) -> (u16, Flags, u16) {
    let mut cur = idx;
    loop {
        // SAFETY: header fields of in-flight entries are immutable.
        let s = unsafe { &*sqe(r, cur) };
        if s.flags.contains(Flags::TRANSACTION) && s.next != NONE {
            cur = s.next;
            continue;
        }
        return if s.flags.contains(Flags::CHAINED) {
            (s.next, s.flags, s.next_gen)
        } else {
            (NONE, s.flags, 0)
        };
    }
}

/// Arms the LINK_TIMEOUT that follows `idx`, if any.
fn arm_link_timeout(r: &'static Rtio, idx: u16) {
    // SAFETY: a field read of the header, immutable while the entry is in flight.
    let flags = unsafe { core::ptr::addr_of!((*sqe(r, idx)).flags).read() };
    if !flags.contains(Flags::CHAINED) && !flags.contains(Flags::TRANSACTION) {
        return;
    }
    // A context without a clock has no LINK_TIMEOUT (`prepare` refuses one with `NoClock`):
    // one test instead of the walk to the last member.
    let Some(clock) = r.clock else { return };
    if !lt_follows(r, idx) {
        return;
    }
    let (lt, _, lt_gen) = successor(r, idx);
    if lt == NONE {
        return;
    }
    let slot = &r.slot(lt);
    if !slot.state.start(lt_gen) {
        return;
    }
    // SAFETY: we just made the LT entry INFLIGHT, so the executor owns its payload; `time` is
    // the active member for LINK_TIMEOUT (LT_NEXT is set only before one). No `&mut` to the
    // whole entry: the owner may read its header (`Context::cancel`).
    let t = unsafe { &mut *Sqe::time_ptr(sqe(r, lt)) };
    t.arm(clock.now());
    t.target = idx;
    // S8: the timer bounds this use of the target, never a later user of its slot.
    t.target_gen = r.slot(idx).gen();
    if let Some(ops) = r.timer_ops {
        (ops.insert)(r, lt);
    }
}

/// Completes a token's entry and runs what follows.
fn complete(t: RawToken, res: Result<usize, Error>) {
    let (r, idx) = (t.rtio, t.idx);
    let res = Code::of(bounded(r, idx, res));
    let slot = r.slot(idx);
    if slot.state.may_hand_back() {
        // The owner is inside the driver's `submit` for this entry (`dispatch_owned`): it
        // finishes the entry itself once `submit` returns, if it has not returned yet.
        slot.set_result(res.raw());
        if slot.state.hand_back() {
            return;
        }
    }
    let flags = crate::post::header_flags(r, idx);
    if !flags.contains(Flags::CHAINED) && !flags.contains(Flags::TRANSACTION) {
        // Unlinked (most interrupt completions): nothing follows, nothing to convert
        // (`finish`'s first case), so the completion is posted straight away.
        post(r, idx, res, &Sink::ring());
        return;
    }
    drive(r, idx, Code::OK0, Some(res), &Sink::ring());
}

/// Posts the terminal completions of the transaction at `idx` and decides the successor
/// (S4, S5, S8). Returns the successor to start. Called from [`drive`] alone.
#[inline(always)]
fn finish(r: &'static Rtio, idx: u16, mut res: Code, sink: &Sink) -> Next {
    // SAFETY: a field read of the header, immutable while the entry is in flight.
    let flags = unsafe { core::ptr::addr_of!((*sqe(r, idx)).flags).read() };
    // Read everything we need before posting: a posted entry may be consumed and reused.
    let (mut succ, mut succ_gen, lt_next, carry_code);
    let link_flags = if !flags.contains(Flags::TRANSACTION) {
        if !flags.contains(Flags::CHAINED) {
            // Unlinked: nothing follows, and no LINK_TIMEOUT bounds it (a bounded entry is
            // chained to its timeout), so there is no TimedOut to convert.
            (succ, succ_gen, lt_next, carry_code) = (NONE, 0, false, 0);
        } else {
            // One link of a chain: no members to walk.
            if res == Code::CANCELED && r.slot(idx).state.load().timed_out() {
                res = Code::TIMED_OUT;
            }
            // SAFETY: header fields of an in-flight entry are immutable; read alone.
            (succ, succ_gen, lt_next, carry_code) = unsafe {
                let p = sqe(r, idx);
                (
                    addr_of!((*p).next).read(),
                    addr_of!((*p).next_gen).read(),
                    addr_of!((*p).meta).read().has(Meta::LT_NEXT),
                    addr_of!((*p).carry).read(),
                )
            };
        }
        // One posting site for both, so the owner's local post is inlined once for them.
        post_in_run(r, idx, res, sink);
        if succ == NONE {
            return Next::NONE;
        }
        flags
    } else {
        if res == Code::CANCELED && r.slot(idx).state.load().timed_out() {
            res = Code::TIMED_OUT;
        }
        // SAFETY: header read.
        carry_code = unsafe { (*sqe(r, idx)).carry };
        let link_flags;
        (succ, link_flags, succ_gen) = successor(r, idx);
        lt_next = post_members(r, idx, res, sink);
        link_flags
    };
    // What the successor sees (S4): the first error of the chain, else this result.
    let first_err = match crate::error::from_carry(carry_code) {
        Some(e) => Code::err(e),
        None => res,
    };
    // LINK_TIMEOUT right after: it reports whether it fired, and is skipped over.
    let mut flags = link_flags;
    if succ != NONE && lt_next {
        let lt = succ;
        let lt_slot = &r.slot(lt);
        let st = lt_slot.state.load();
        if st.tag() == succ_gen && st.phase() == Phase::Inflight {
            // Ours (armed for this chain): its header may be read now.
            let (after, lt_flags, after_gen) = successor(r, lt);
            if let Some(ops) = r.timer_ops {
                (ops.remove)(r, lt);
            }
            post(
                r,
                lt,
                if res == Code::TIMED_OUT {
                    Code::TIMED_OUT
                } else {
                    Code::OK0
                },
                sink,
            );
            succ = after;
            succ_gen = after_gen;
            flags = lt_flags;
        }
    }
    if succ == NONE {
        return Next::NONE; // the LINK_TIMEOUT was the last entry
    }
    if res.is_err() && !link_flags.contains(Flags::HARDLINK) && !flags.contains(Flags::HARDLINK) {
        cancel_from(r, succ, succ_gen, sink);
        return Next::NONE;
    }
    Next {
        idx: succ,
        gen: succ_gen,
        carry: first_err,
    }
}

/// Posts the members of the transaction that starts at `idx`, in order (S5): on success each
/// with its own length; on failure the first with the error and the rest `Canceled`. Returns
/// whether a LINK_TIMEOUT follows the last member (read before it is posted: it may then be
/// consumed and reused). Called from [`finish`] alone.
#[inline(always)]
fn post_members(r: &'static Rtio, idx: u16, res: Code, sink: &Sink) -> bool {
    let mut cur = idx;
    let mut first = true;
    loop {
        // SAFETY: header read before posting.
        let s = unsafe { &*sqe(r, cur) };
        let next = if s.flags.contains(Flags::TRANSACTION) {
            s.next
        } else {
            NONE
        };
        let lt_next = next == NONE && s.meta.has(Meta::LT_NEXT);
        // A transaction that succeeded reports each member's own length.
        let in_txn = !first || next != NONE;
        let member_res = match (first, res.is_err()) {
            (_, false) if in_txn => Code::ok(member_len(r, cur)),
            (true, _) => res,
            (false, _) => Code::CANCELED,
        };
        post_in_run(r, cur, member_res, sink);
        if next == NONE {
            return lt_next;
        }
        first = false;
        cur = next;
    }
}

/// A successful transaction member's own length: its buffer's (S5), and for a pool read the
/// part of the blocks it was handed, nothing if it was handed none (S11: a pool buffer is
/// never built from more than its blocks).
fn member_len(r: &Rtio, idx: u16) -> usize {
    buffer_len(r, idx).unwrap_or(0)
}

/// Cancels the PREPARED entries from `idx` to the end of the chain, posting `Canceled` for
/// each.
fn cancel_from(r: &'static Rtio, mut idx: u16, mut gen: u16, sink: &Sink) {
    while idx != NONE {
        let slot = &r.slot(idx);
        let taken = slot.state.take(gen);
        if !taken {
            return; // someone else (a cancel) already finished the rest
        }
        // SAFETY: header read; we own the entry now.
        let s = unsafe { &*sqe(r, idx) };
        let (next, next_gen) =
            if s.flags.contains(Flags::CHAINED) || s.flags.contains(Flags::TRANSACTION) {
                (s.next, s.next_gen)
            } else {
                (NONE, 0)
            };
        post(r, idx, Code::CANCELED, sink);
        idx = next;
        gen = next_gen;
    }
}

/// Owner: cancels a PREPARED entry (not dispatched) and the rest of its chain (S7).
pub(crate) fn cancel_chain(r: &'static Rtio, idx: u16, gen: u16) {
    cancel_from(r, idx, gen, &Sink::ring());
}

/// Owner: asks an INFLIGHT entry to stop (S7).
pub(crate) fn cancel_inflight(r: &'static Rtio, idx: u16, gen: u16) {
    request_cancel(r, idx, gen, false);
}

/// Sets CANCEL (and `extra` bits) on an INFLIGHT entry and aborts what the executor owns
/// itself (timers, awaits); iodev entries go to the driver's hook.
fn request_cancel(r: &'static Rtio, idx: u16, gen: u16, timeout: bool) {
    let slot = &r.slot(idx);
    let Some(old) = slot.state.request_cancel(gen, timeout) else {
        return;
    };
    // SAFETY: header read.
    let s = unsafe { &*sqe(r, idx) };
    match (s.op, s.iodev) {
        (Op::Delay, _) => {
            if r.timer_ops.is_some_and(|ops| (ops.remove)(r, idx)) {
                complete(RawToken { rtio: r, idx }, Err(Error::Canceled));
            }
        }
        (Op::Await, None) => {
            if old.armed() && !old.signaled() && !old.cancel_requested() {
                complete(RawToken { rtio: r, idx }, Err(Error::Canceled));
            }
        }
        (Op::LinkTimeout, _) => {}
        (_, Some(dev)) => {
            if s.op == Op::Await && old.armed() && !old.signaled() {
                // Parked in the driver (S15): the cancel takes the token back.
                if let Some(resume) = take_resume(r, idx) {
                    resume(Token::from_raw(RawToken { rtio: r, idx }));
                    return;
                }
            }
            Iodev::of(dev).cancel(crate::iodev::OpId::new(r, idx, gen));
        }
        (_, None) => {}
    }
}

/// Multishot shot (S2, S7, S9).
fn shot(t: RawToken, n: usize) -> Shot {
    let r = t.rtio;
    let slot = t.slot();
    if n > capacity(r, t.idx).unwrap_or(0) {
        // S11: a shot cannot be longer than the blocks it was handed.
        drop_pool(r, t.idx);
        complete(t, Err(Error::BadLength));
        return Shot::Stopped;
    }
    if slot.state.load().cancel_requested() {
        // Post the data we have (if any) as a shot if there is room, then the final Canceled.
        if n > 0 && r.reserve(1) {
            post_shot(r, t.idx, n);
        } else {
            if n > 0 {
                // S9: no cell for the last shot; it is counted, not lost silently.
                if let Some(dev) = t.iodev() {
                    dev.record_overrun(1);
                }
            }
            drop_pool(r, t.idx);
        }
        complete(t, Err(Error::Canceled));
        return Shot::Stopped;
    }
    if !r.reserve(1) {
        return Shot::Full(Token::from_raw(t));
    }
    post_shot(r, t.idx, n);
    Shot::Rearmed(Token::from_raw(t))
}

/// AWAIT reached by its iodev (S15).
fn await_signal(t: RawToken, resume: ResumeFn) -> Option<RawToken> {
    let p = sqe(t.rtio, t.idx);
    // SAFETY: the token holder owns the payload; `await_` is the active member for AWAIT (a
    // driver reaches here only with an AWAIT token). Field access only (see `header_flags`).
    unsafe {
        if let Some(a) = Sqe::await_ptr(p) {
            (*a).resume = Some(resume_addr(resume));
        }
    }
    let old = t.slot().state.arm();
    if old.signaled() || old.cancel_requested() {
        // The signal (or a cancel) came first: the driver completes it now with
        // `finish_await`, which reports `Canceled` for a cancel.
        let _ = take_resume(t.rtio, t.idx);
        Some(t)
    } else {
        None
    }
}

fn take_resume(r: &Rtio, idx: u16) -> Option<ResumeFn> {
    let p = sqe(r, idx);
    // SAFETY: whoever wins the ARMED/SIGNALED race owns the parked token's payload; `await_`
    // is the active member for AWAIT. Field access only (see `header_flags`).
    unsafe { (*Sqe::await_ptr(p)?).resume.take() }.map(resume_of)
}

/// Signals an AWAIT entry (S15).
pub(crate) fn signal(r: &'static Rtio, h: OpHandle) -> Result<(), Error> {
    let slot = r.slots().get(h.idx as usize).ok_or(Error::Stale)?;
    // S7: the full generation (tag and epoch) must name the live use; the tag is then
    // compared again, atomically, by the transition.
    slot.state.current(h.gen()).ok_or(Error::Stale)?;
    let old = slot.state.signal(h.gen).ok_or(Error::Stale)?;
    // Only AWAIT entries are ever ARMED, so the state word alone says whether this signal
    // completes one; the entry's header is not read (after the update above it may already
    // be completed, consumed and reused). A signal to any other live entry has no effect.
    if old.armed() && !old.signaled() && !old.cancel_requested() {
        let t = RawToken {
            rtio: r,
            idx: h.idx,
        };
        match take_resume(r, h.idx) {
            Some(resume) => resume(Token::from_raw(t)),
            None => complete(t, Ok(0)),
        }
    }
    Ok(())
}

// --- timers (S8): the heap is `timer.rs` ----------------------------------------------------

/// Fires due timers if any is armed: one load when none is (the polling calls).
#[inline]
pub(crate) fn poll_timers(r: &'static Rtio) {
    if let (Some(clock), Some(ops)) = (r.clock, r.timer_ops) {
        if timer::maybe_due(r, || clock.now().as_micros()) {
            (ops.process)(r);
        }
    }
}

/// Fires due timers, if the context has any (a clock).
#[inline]
pub(crate) fn run_timers(r: &'static Rtio) {
    if let Some(ops) = r.timer_ops {
        (ops.process)(r);
    }
}

/// The timer code a context with a clock uses (`Rtio::with_clock`): referenced from nowhere
/// else, so it is linked only into programs that give a context a clock.
pub(crate) static TIMER_OPS: TimerOps = TimerOps {
    insert: timer::insert,
    remove: timer::remove,
    process: process_timers,
    next_deadline: timer::next_deadline,
};

/// Fires every due timer, each taken from the heap in its own short critical section.
fn process_timers(r: &'static Rtio) {
    let Some(clock) = r.clock else { return };
    loop {
        let now = clock.now().as_micros();
        let Some(due) = timer::pop_due(r, now) else {
            break;
        };
        if due.op == Op::LinkTimeout {
            // S8: cancels the use it was armed for; a later user of the slot has another
            // generation and is left alone. The LINK_TIMEOUT itself is posted by its target's
            // completion.
            request_cancel(r, due.target, due.target_gen, true);
        } else {
            complete(
                RawToken {
                    rtio: r,
                    idx: due.idx,
                },
                Ok(0),
            );
        }
    }
    if let Some(at) = timer::next_deadline(r) {
        clock.set_alarm(at, r);
    }
}

// --- A driver completes its token ------------------------------------------------------------
//
// [`Token`] is defined with the driver contract (`iodev.rs`), below the executor, which hands
// tokens to drivers. Completing one runs the executor (successors start in place, S13), so
// the methods that complete it are defined here, above both.

impl Token {
    /// Completes the operation (the whole transaction) with `result`.
    pub fn complete(self, result: Result<usize, Error>) {
        complete(self.into_raw(), result);
    }
    /// Completes the operation with `n` bytes transferred.
    pub fn ok(self, n: usize) {
        self.complete(Ok(n))
    }
    /// Completes the operation with an error (S4: its chain is cancelled unless hardlinked).
    pub fn err(self, e: Error) {
        self.complete(Err(e))
    }
    /// Multishot: posts one shot of `n` bytes from the pool buffer (S2) and re-arms. After a
    /// cancel, a shot with data is still posted, then the final `Canceled` completion; with
    /// `n = 0` only the final completion is posted. On an entry that is not multishot, a
    /// shot is its one completion: it completes `Ok(n)` and returns [`Shot::Stopped`].
    pub fn shot(self, n: usize) -> Shot {
        if !self.is_multishot() {
            self.ok(n);
            return Shot::Stopped;
        }
        shot(self.into_raw(), n)
    }
    /// AWAIT aimed at an iodev (S15): if the signal (or a cancel) already came, gives the
    /// token back to complete at once with [`Token::finish_await`]; `None` means it is
    /// parked, and `resume` is called with it when the signal (or a cancel) arrives; `resume`
    /// then calls [`Token::finish_await`] and lets the driver go on with its next operation.
    /// Until then the driver must not start other work: it holds the device (and its bus).
    pub fn await_signal(self, resume: ResumeFn) -> Option<Token> {
        await_signal(self.into_raw(), resume).map(Token::from_raw)
    }
    /// Completes an AWAIT: `Ok(0)` when signalled, `Canceled` when cancelled.
    pub fn finish_await(self) {
        let r = if self.is_canceled() {
            Err(Error::Canceled)
        } else {
            Ok(0)
        };
        self.complete(r)
    }
}

/// A token dropped without being completed completes its entry with [`Error::Dropped`], so
/// nothing is lost.
impl Drop for Token {
    fn drop(&mut self) {
        complete(self.raw(), Err(Error::Dropped));
    }
}
