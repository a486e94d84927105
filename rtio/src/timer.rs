//! Armed timers (DELAY and LINK_TIMEOUT entries, S8), in two structures that together
//! bound every critical section (S18).
//!
//! * The **FIFO**: a doubly-linked list of timers whose deadlines never decrease. Timers of
//!   one duration armed one after another (every LINK_TIMEOUT of a driver, a periodic DELAY)
//!   arrive in deadline order, so they are appended at the tail, and removed from anywhere
//!   (a LINK_TIMEOUT whose operation completed first), in O(1).
//! * The **heap**: a binary min-heap for the others (a deadline earlier than the FIFO's
//!   tail). O(log n): at most 16 levels for the largest context, 10 at 1,024 timers.
//!
//! Both order by deadline, then by arming order, and the earliest timer is the earlier of
//! the FIFO's head and the heap's root, so equal deadlines fire in submission order. Neither
//! needs storage of its own: heap position `i` is kept in slot `i` (its `heap` field), an
//! entry's FIFO links in its slot's queue link (a timer is never in an iodev queue), and
//! each armed entry records where it is in its payload (`heap_pos`).
//!
//! ```text
//!   FIFO:  head -> [7: 100 µs] <-> [2: 100 µs] <-> [9: 250 µs] <- tail     (appended)
//!   heap:  [4: 80 µs | 5: 90 µs | 1: 120 µs]                            (root first)
//!   earliest: min(FIFO head, heap root) = 4
//! ```
//!
//! Every operation is one critical section of bounded length; the walk of due timers takes
//! one timer per critical section. The earliest deadline is also published in a seqlock
//! ([`Earliest`]) so that polling with nothing due takes no critical section at all.

use crate::sqe::{Op, TimePayload, NONE};
use crate::state::{Rtio, Timers};
use crate::time::Instant;
use core::ptr::addr_of;

/// In `heap_pos`: the timer is on the FIFO.
const IN_FIFO: u16 = NONE - 1;

/// Previous and next of FIFO member `idx`.
///
/// # Safety
/// Under the timer critical section; `idx` is a timer entry.
#[inline(always)]
unsafe fn links(r: &Rtio, idx: u16) -> *mut [u16; 2] {
    r.slot(idx).timer_links()
}

/// # Safety
/// Under the timer critical section; `idx` is an armed timer entry not on the FIFO.
unsafe fn fifo_push(r: &Rtio, t: &Timers, idx: u16) {
    let tail = t.tail.get();
    // SAFETY: preconditions; `tail` is a FIFO member when not `NONE`.
    unsafe {
        *links(r, idx) = [tail, NONE];
        (*payload(r, idx)).heap_pos = IN_FIFO;
        if tail == NONE {
            t.head.set(idx);
        } else {
            (*links(r, tail))[1] = idx;
        }
    }
    t.tail.set(idx);
}

/// # Safety
/// Under the timer critical section; `idx` is on the FIFO.
unsafe fn fifo_unlink(r: &Rtio, t: &Timers, idx: u16) {
    // SAFETY: preconditions; its neighbours are FIFO members when not `NONE`.
    unsafe {
        let [prev, next] = *links(r, idx);
        if prev == NONE {
            t.head.set(next);
        } else {
            (*links(r, prev))[1] = next;
        }
        if next == NONE {
            t.tail.set(prev);
        } else {
            (*links(r, next))[0] = prev;
        }
        (*payload(r, idx)).heap_pos = NONE;
    }
}

/// The earliest armed timer: the earlier of the FIFO's head and the heap's root.
///
/// # Safety
/// Under the timer critical section.
unsafe fn earliest(r: &Rtio, t: &Timers) -> Option<u16> {
    let h = t.head.get();
    // SAFETY: precondition; position 0 is valid when count > 0.
    let root = (t.count.get() > 0).then(|| unsafe { at_pos(r, 0) });
    match (h, root) {
        (NONE, x) => x,
        (h, None) => Some(h),
        // SAFETY: both are armed timers.
        (h, Some(x)) => Some(if unsafe { before(r, x, h) } { x } else { h }),
    }
}

/// A due timer taken off the heap, with what its firing needs (read while it was still
/// ours: once off the heap, a LINK_TIMEOUT's target may complete and its slot be reused).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Due {
    pub idx: u16,
    pub op: Op,
    pub target: u16,
    pub target_gen: u16,
}

/// The payload of timer entry `idx`.
///
/// # Safety
/// Entry `idx` is an armed (or being armed) DELAY or LINK_TIMEOUT: its payload is `time`,
/// and its timer fields are touched only under the timer critical section.
#[inline(always)]
unsafe fn payload(r: &Rtio, idx: u16) -> *mut TimePayload {
    // SAFETY: forms a pointer only; callers uphold the contract above.
    unsafe { crate::sqe::Sqe::time_ptr(r.slot(idx).sqe_ptr()) }
}

/// Heap position `pos` holds this slot index.
///
/// # Safety
/// Under the timer critical section; `pos < slots.len()`.
#[inline(always)]
unsafe fn at_pos(r: &Rtio, pos: u16) -> u16 {
    // SAFETY: the heap cells are touched only under the timer critical section.
    unsafe { *r.slot(pos).heap_cell() }
}

/// # Safety
/// As [`at_pos`]; `idx` is an armed timer entry.
#[inline(always)]
unsafe fn place(r: &Rtio, pos: u16, idx: u16) {
    // SAFETY: under the timer critical section (precondition).
    unsafe {
        *r.slot(pos).heap_cell() = idx;
        (*payload(r, idx)).heap_pos = pos;
    }
}

/// Whether timer `a` fires before timer `b`: earlier deadline, or equal deadline and armed
/// earlier (the sequence numbers of timers armed at the same instant are close; a wrapping
/// difference orders them).
///
/// # Safety
/// Both are armed timer entries; under the timer critical section.
#[inline(always)]
unsafe fn before(r: &Rtio, a: u16, b: u16) -> bool {
    // SAFETY: preconditions.
    let (a, b) = unsafe { (&*payload(r, a), &*payload(r, b)) };
    let (da, db) = (a.deadline(), b.deadline());
    da < db || (da == db && (a.seq.wrapping_sub(b.seq) as i16) < 0)
}

/// # Safety
/// Under the timer critical section; `pos < count`.
unsafe fn sift_up(r: &Rtio, mut pos: u16) {
    // SAFETY: preconditions; every position touched is below `count`.
    unsafe {
        let idx = at_pos(r, pos);
        while pos > 0 {
            let parent = (pos - 1) / 2;
            let p = at_pos(r, parent);
            if !before(r, idx, p) {
                break;
            }
            place(r, pos, p);
            pos = parent;
        }
        place(r, pos, idx);
    }
}

/// # Safety
/// Under the timer critical section; `pos < count`.
unsafe fn sift_down(r: &Rtio, mut pos: u16, count: u16) {
    // SAFETY: preconditions; children are checked against `count`.
    unsafe {
        let idx = at_pos(r, pos);
        loop {
            let left = 2 * pos as u32 + 1;
            if left >= count as u32 {
                break;
            }
            let right = left + 1;
            let mut child = left as u16;
            if right < count as u32 && before(r, at_pos(r, right as u16), at_pos(r, child)) {
                child = right as u16;
            }
            let c = at_pos(r, child);
            if !before(r, c, idx) {
                break;
            }
            place(r, pos, c);
            pos = child;
        }
        place(r, pos, idx);
    }
}

/// Arms timer entry `idx` (its deadline is set). Sets the clock's alarm when it is now the
/// earliest.
pub(crate) fn insert(r: &'static Rtio, idx: u16) {
    // SAFETY: the caller (the executor) arms an entry it owns: its deadline is set and no one
    // else reads it until it is on the heap or the FIFO.
    let at = unsafe { (*payload(r, idx)).deadline() };
    let first = critical_section::with(|cs| {
        let t = r.shared().timers.borrow(cs);
        let seq = t.seq.get();
        t.seq.set(seq.wrapping_add(1));
        // SAFETY: under the timer critical section; `idx` is a timer entry being armed; the
        // tail (if any) and the heap's positions below `count` are armed timers.
        unsafe {
            (*payload(r, idx)).seq = seq;
            let tail = t.tail.get();
            if tail != NONE && (*payload(r, tail)).deadline() <= at {
                // The common case: behind the tail, so not the earliest (the head is at least
                // as early and armed before): nothing else changes.
                fifo_push(r, t, idx);
                return false;
            }
            if tail == NONE {
                fifo_push(r, t, idx);
            } else {
                let n = t.count.get();
                t.count.set(n + 1);
                place(r, n, idx);
                sift_up(r, n);
            }
            let first = earliest(r, t) == Some(idx);
            if first {
                r.shared().timer_hint.publish(at);
            }
            first
        }
    });
    if let (true, Some(c)) = (first, r.clock) {
        c.set_alarm(Instant::from_micros(at), r);
    }
}

/// Disarms timer entry `idx`; `false` if it was not armed (it fired, or never was).
pub(crate) fn remove(r: &'static Rtio, idx: u16) -> bool {
    critical_section::with(|cs| {
        let t = r.shared().timers.borrow(cs);
        // SAFETY: under the timer critical section; `idx` is a timer entry (its payload is
        // `time`), armed or not; an unarmed one says so in `heap_pos`, or has a position
        // that does not hold it.
        unsafe {
            let pos = addr_of!((*payload(r, idx)).heap_pos).read();
            // Only the FIFO's head or the heap's root can have been the earliest: removing
            // anything else leaves the published deadline right.
            let maybe_first;
            if pos == IN_FIFO {
                maybe_first = t.head.get() == idx;
                fifo_unlink(r, t, idx);
            } else {
                let n = t.count.get();
                if pos >= n || at_pos(r, pos) != idx {
                    return false;
                }
                maybe_first = pos == 0;
                take_at(r, pos, n);
                t.count.set(n - 1);
            }
            if maybe_first {
                publish(r, earliest(r, t));
            }
        }
        true
    })
}

/// Removes the timer at `pos` from a heap of `n`.
///
/// # Safety
/// Under the timer critical section; `pos < n`.
unsafe fn take_at(r: &Rtio, pos: u16, n: u16) {
    // SAFETY: preconditions.
    unsafe {
        let gone = at_pos(r, pos);
        (*payload(r, gone)).heap_pos = NONE;
        let last = n - 1;
        if pos != last {
            let moved = at_pos(r, last);
            place(r, pos, moved);
            if pos > 0 && before(r, moved, at_pos(r, (pos - 1) / 2)) {
                sift_up(r, pos);
            } else {
                sift_down(r, pos, last);
            }
        }
    }
}

/// Takes the earliest timer if it is due at `now` (µs).
pub(crate) fn pop_due(r: &'static Rtio, now: u64) -> Option<Due> {
    critical_section::with(|cs| {
        let t = r.shared().timers.borrow(cs);
        // SAFETY: under the timer critical section; `earliest` names an armed timer.
        unsafe {
            let idx = earliest(r, t)?;
            let p = payload(r, idx);
            if (*p).deadline() > now {
                return None;
            }
            let due = Due {
                idx,
                op: addr_of!((*r.slot(idx).sqe_ptr()).op).read(),
                target: (*p).target,
                target_gen: (*p).target_gen,
            };
            if (*p).heap_pos == IN_FIFO {
                fifo_unlink(r, t, idx);
            } else {
                let n = t.count.get();
                take_at(r, 0, n);
                t.count.set(n - 1);
            }
            publish(r, earliest(r, t));
            Some(due)
        }
    })
}

/// The earliest deadline, if a timer is armed.
pub(crate) fn next_deadline(r: &Rtio) -> Option<Instant> {
    critical_section::with(|cs| {
        let t = r.shared().timers.borrow(cs);
        // SAFETY: under the timer critical section; `earliest` names an armed timer.
        unsafe { earliest(r, t).map(|i| Instant::from_micros((*payload(r, i)).deadline())) }
    })
}

/// Whether a timer may be due at `now` (µs), without the critical section: `false` only
/// when the earliest deadline read consistently is later (S18: polling with nothing due
/// masks nothing). A stale answer costs one poll: the next one, or any wait, sees it.
#[inline]
pub(crate) fn maybe_due(r: &Rtio, now: impl FnOnce() -> u64) -> bool {
    match r.shared().timer_hint.read() {
        Some(NEVER) => false,
        Some(at) => at <= now(),
        None => true,
    }
}

/// Publishes the earliest deadline (or "none") after a change.
///
/// # Safety
/// Under the timer critical section; `first` is an armed timer.
unsafe fn publish(r: &Rtio, first: Option<u16>) {
    // SAFETY: precondition.
    let at = first.map_or(NEVER, |i| unsafe { (*payload(r, i)).deadline() });
    r.shared().timer_hint.publish(at);
}

/// No timer armed.
const NEVER: u64 = u64::MAX;
