//! The completion ring: many producers (iodev interrupts, threads), one consumer (the owner).
//!
//! Capacity is never exceeded because every producer holds a *reservation* taken when its
//! submission entry was acquired (S9): at most `len` entries are claimed and not yet consumed,
//! so a producer never finds its cell occupied.
//!
//! ```text
//!            consumer (owner)                 producers (any context)
//!                 head                               tail
//!                  v                                  v
//!   cells:  [ ready | ready | claimed | ready | empty | empty ]
//!                  `-- read, tag := 0, head += 1       `-- i = tail.fetch_add(1);
//!                                                          write cell i % len;
//!                                                          tag := READY|slot (Release)
//! ```
//!
//! * `tail` is written only by producers (`fetch_add`, which hands out distinct indices).
//! * `head` is written only by the consumer.
//! * A cell belongs to the producer that claimed its index until it stores a non-zero `tag`
//!   (Release); it then belongs to the consumer, which reads it after loading the tag (Acquire)
//!   and hands it back by storing `tag = 0` (Release). The next producer of that cell claimed
//!   its index only after a new reservation, which the consumer released after this store.
//! * A producer that was interrupted between claim and publish delays the consumer (it sees
//!   an empty cell at `head`), it never corrupts anything.

use crate::sync::{AtomicU32, Ordering, UnsafeCell};

/// One completion as it sits in the ring: 8 bytes.
#[derive(Debug)]
pub struct CqeCell {
    /// 0 = empty; otherwise `READY | flags << 24 | pool_start << 16 | slot`.
    tag: AtomicU32,
    result: UnsafeCell<i32>,
}

const READY: u32 = 1 << 31;

/// A raw completion read out of the ring.
///
/// `repr(C)` in the order of a cell's tag (slot, pool block, flags; then the result), so that
/// the eight bytes passed in one register are the tag's bits already: packing and unpacking a
/// cell is a mask, not a shift per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Raw {
    pub slot: u16,
    /// First pool block, when `flags` has POOL (the count follows from the length).
    pub pool_start: u8,
    /// Completion flags (7 bits).
    pub flags: u8,
    pub result: i32,
}

impl CqeCell {
    /// An empty cell.
    #[allow(clippy::new_without_default)]
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        CqeCell {
            tag: AtomicU32::new(0),
            result: UnsafeCell::new(0),
        }
    }
    /// An empty cell.
    #[cfg(loom)]
    pub fn new() -> Self {
        CqeCell {
            tag: AtomicU32::new(0),
            result: UnsafeCell::new(0),
        }
    }
}

/// The index after `i` in a ring of `len` cells. Indices run over a multiple of `len`, so
/// `i % len` stays continuous when they wrap: at 2^32 for a power-of-two `len`, at the
/// largest multiple of `len` below 2^32 otherwise.
#[inline(always)]
fn advance(i: u32, len: usize) -> u32 {
    if len.is_power_of_two() {
        i.wrapping_add(1)
    } else {
        let wrap = (u32::MAX / len as u32) * len as u32;
        if i + 1 >= wrap {
            0
        } else {
            i + 1
        }
    }
}

/// The cell of ring index `i`: a mask for a power-of-two ring, else a 32-bit remainder (a
/// 64-bit division costs tens of cycles on x86-64, and is a library call on Cortex-M0).
#[inline(always)]
fn cell_of(i: u32, len: usize) -> usize {
    if len.is_power_of_two() {
        i as usize & (len - 1)
    } else {
        (i % len as u32) as usize
    }
}

/// Claims the next producer index: one `fetch_add` for a power-of-two ring, a
/// compare-and-swap loop (wrapping at a multiple of `len`) otherwise.
///
/// AcqRel: the cell we claim was last read by the consumer, who handed it back by giving a
/// credit, but that credit may have gone to another producer (we took ours earlier).
/// Chaining the claims orders our write after that producer's claim, hence after its credit,
/// hence after the consumer's read of the cell (loom:
/// loom_credits_recycle_cells_across_wraparound).
#[inline(always)]
fn claim(tail: &AtomicU32, len: usize) -> u32 {
    if len.is_power_of_two() {
        tail.fetch_add(1, Ordering::AcqRel)
    } else {
        let mut cur = tail.load(Ordering::Relaxed);
        loop {
            match tail.compare_exchange_weak(
                cur,
                advance(cur, len),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(i) => return i,
                Err(now) => cur = now,
            }
        }
    }
}

/// Producer and consumer indices of one ring.
#[derive(Debug)]
pub(crate) struct Ring {
    tail: AtomicU32,
    head: UnsafeCell<u32>,
}

impl Ring {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Ring {
            tail: AtomicU32::new(0),
            head: UnsafeCell::new(0),
        }
    }
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Ring {
            tail: AtomicU32::new(0),
            head: UnsafeCell::new(0),
        }
    }

    /// Posts one completion.
    ///
    /// # Safety
    /// - The caller holds a reservation for one cell (see the module docs), so at most
    ///   `cells.len()` entries are claimed and not consumed.
    /// - `cells` is the same slice for every call on this ring.
    #[inline]
    pub(crate) unsafe fn push(&self, cells: &[CqeCell], raw: Raw) {
        // Ordering: see `claim`.
        let i = claim(&self.tail, cells.len());
        let cell = &cells[cell_of(i, cells.len())];
        // SAFETY: the reservation guarantees this cell was consumed (tag 0, Released by the
        // consumer's store in `pop`, acquired through the reservation counter), so no one else
        // touches `result` until we publish.
        cell.result.with_mut(|p| unsafe { p.write(raw.result) });
        // Release: pairs with the Acquire load in `pop`, publishing `result`. SeqCst: the
        // completer then reads the owner's `waiting` flag (`wait::Notify`); a store-load
        // pair needs the single total order or a wake-up could be lost.
        cell.tag.store(
            READY
                | ((raw.flags & 0x7F) as u32) << 24
                | (raw.pool_start as u32) << 16
                | raw.slot as u32,
            Ordering::SeqCst,
        );
    }

    /// Takes the completion at the head, if it is published.
    ///
    /// # Safety
    /// - Only one thread (the owner) calls `pop` on this ring.
    /// - `cells` is the same slice as for `push`.
    #[inline]
    pub(crate) unsafe fn pop(&self, cells: &[CqeCell]) -> Option<Raw> {
        // SAFETY: `head` is consumer-only (precondition).
        let head = self.head.with(|p| unsafe { *p });
        let cell = &cells[cell_of(head, cells.len())];
        // Acquire: pairs with the Release store in `push`.
        let tag = cell.tag.load(Ordering::Acquire);
        if tag == 0 {
            return None;
        }
        // SAFETY: the tag is published, so the producer is done with the cell.
        let result = cell.result.with(|p| unsafe { *p });
        // Release: hands the cell back; pairs with the producer that claims it next (through
        // the reservation counter's Acquire).
        cell.tag.store(0, Ordering::Release);
        // SAFETY: consumer-only.
        self.head
            .with_mut(|p| unsafe { *p = advance(head, cells.len()) });
        Some(Raw {
            slot: tag as u16,
            flags: ((tag >> 24) & 0x7F) as u8,
            pool_start: (tag >> 16) as u8,
            result,
        })
    }

    /// Whether no completion is claimed or posted and not consumed: every producer index
    /// handed out was consumed. Consumer only (the owner).
    ///
    /// # Safety
    /// As for [`Ring::pop`].
    #[inline(always)]
    pub(crate) unsafe fn is_idle(&self) -> bool {
        // SAFETY: consumer-only read of `head`.
        let head = self.head.with(|p| unsafe { *p });
        // Relaxed: nothing is read on the strength of this load (it decides where the
        // owner's own completion goes; an Acquire load would read no fresher value).
        self.tail.load(Ordering::Relaxed) == head
    }

    /// Cells claimed by producers and not yet consumed: published completions plus the ones
    /// being written (consumer only; a lower bound is never needed, so a racing claim that
    /// is counted early is fine).
    ///
    /// # Safety
    /// As for [`Ring::pop`].
    pub(crate) unsafe fn occupancy(&self, cells: &[CqeCell]) -> u32 {
        // SAFETY: consumer-only read of `head`.
        let head = self.head.with(|p| unsafe { *p });
        let tail = self.tail.load(Ordering::Acquire);
        let len = cells.len();
        if len.is_power_of_two() {
            tail.wrapping_sub(head)
        } else {
            let wrap = (u32::MAX / len as u32) * len as u32;
            if tail >= head {
                tail - head
            } else {
                wrap - head + tail
            }
        }
    }

    /// Whether a completion is ready at the head (consumer only).
    ///
    /// # Safety
    /// As for [`Ring::pop`].
    pub(crate) unsafe fn ready(&self, cells: &[CqeCell]) -> bool {
        // SAFETY: consumer-only read of `head`.
        let head = self.head.with(|p| unsafe { *p });
        cells[cell_of(head, cells.len())]
            .tag
            .load(Ordering::Acquire)
            != 0
    }
}

/// The ring's credits: completion cells reserved by acquired entries and pending shots (S9).
///
/// Taking credits is a compare-and-swap that fails at once when the ring could overflow;
/// returning them is a `fetch_sub`. A producer pushes only while it holds a credit, so it
/// never finds its cell occupied.
#[derive(Debug)]
pub(crate) struct Reservations {
    n: AtomicU32,
}

impl Reservations {
    /// No credits taken.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Reservations {
            n: AtomicU32::new(0),
        }
    }
    /// No credits taken.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Reservations {
            n: AtomicU32::new(0),
        }
    }

    /// Takes `n` credits if at most `cap` are then taken; fails at once otherwise.
    #[inline]
    pub(crate) fn take(&self, n: u32, cap: u32) -> bool {
        // Acquire: pairs with `give`'s Release, so the consumer's hand-back of the cell
        // (`tag = 0` in `pop`) happens before our producer writes it again. Release too: a
        // later taker that reads our value then also follows that hand-back (not relying on
        // release sequences through read-modify-writes, which loom does not model). Only the
        // exchange that takes the credits needs them: the loads before it (and a refusal)
        // read nothing on their strength, so they are Relaxed.
        self.n
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |r| {
                (r + n <= cap).then_some(r + n)
            })
            .is_ok()
    }

    /// Returns `n` credits.
    #[inline]
    pub(crate) fn give(&self, n: u32) {
        // Release: pairs with `take`'s Acquire.
        self.n.fetch_sub(n, Ordering::Release);
    }

    /// Credits taken now.
    pub(crate) fn get(&self) -> u32 {
        self.n.load(Ordering::Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Model checks of the completion ring's protocol with loom (`RUSTFLAGS="--cfg loom"
    //! cargo test -p rtio --release --lib loom`). The ring, its cells and its credits are the
    //! runtime's own code; only the atomics and cells are loom's.
    extern crate std;
    use super::*;
    use loom::sync::Arc;
    use std::vec::Vec;

    /// Bounded preemptions keep the state space small enough for CI while still covering
    /// every interleaving with that many context switches (loom's recommendation).
    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut b = loom::model::Builder::new();
        b.preemption_bound = Some(3);
        // The spinning waits (for a credit, for a completion) take many branches.
        b.max_branches = 100_000;
        b.check(f);
    }

    fn raw(slot: u16, result: i32) -> Raw {
        Raw {
            slot,
            flags: 0,
            pool_start: 0,
            result,
        }
    }

    /// Two producers (two interrupt priorities) against the consumer: every completion is
    /// seen exactly once, each producer's in order, and nothing is read half-written.
    #[test]
    fn loom_two_producers_one_consumer() {
        model(|| {
            let state = Arc::new((
                Ring::new(),
                [CqeCell::new(), CqeCell::new(), CqeCell::new()],
            ));
            let mut hs = Vec::new();
            for p in 0..2u16 {
                let s = state.clone();
                hs.push(loom::thread::spawn(move || {
                    // SAFETY: 3 cells, at most 2 pushes in flight.
                    unsafe { s.0.push(&s.1, raw(p, 10 + p as i32)) };
                }));
            }
            let mut seen = Vec::new();
            while seen.len() < 2 {
                // SAFETY: single consumer.
                if let Some(r) = unsafe { state.0.pop(&state.1) } {
                    assert_eq!(r.result, 10 + r.slot as i32);
                    seen.push(r.slot);
                } else {
                    loom::thread::yield_now();
                }
            }
            for h in hs {
                h.join().unwrap();
            }
            seen.sort();
            assert_eq!(seen, [0, 1]);
        });
    }

    /// Credits recycle cells across wraparound (ring of two cells, the runtime's acquire
    /// path): the owner takes a credit for each of two entries, hands one to an interrupt and
    /// completes the other in place; it consumes a completion, gives the credit back, takes it
    /// for a third entry and completes that in place too, while the interrupt may not have
    /// pushed yet. Whichever pushes third writes the cell the owner consumed first: loom
    /// checks that write is ordered after the owner's read, and that nothing is lost.
    #[test]
    fn loom_credits_recycle_cells_across_wraparound() {
        model(|| {
            let state = Arc::new((
                Ring::new(),
                [CqeCell::new(), CqeCell::new()],
                Reservations::new(),
            ));
            assert!(state.2.take(1, 2) && state.2.take(1, 2));
            assert!(!state.2.take(1, 2), "two cells, two credits");
            let isr = {
                let s = state.clone();
                // SAFETY: the entry it completes holds a credit taken by the owner.
                loom::thread::spawn(move || unsafe { s.0.push(&s.1, raw(1, 100)) })
            };
            // SAFETY (all pushes and pops below): the owner completes entries it holds a
            // credit for, and is the single consumer.
            unsafe { state.0.push(&state.1, raw(0, 0)) };
            let mut seen = Vec::new();
            let pop = |seen: &mut Vec<i32>| loop {
                match unsafe { state.0.pop(&state.1) } {
                    Some(r) => {
                        assert_eq!(r.result / 100, r.slot as i32, "torn completion");
                        seen.push(r.result);
                        state.2.give(1);
                        return;
                    }
                    None => loom::thread::yield_now(),
                }
            };
            pop(&mut seen);
            assert!(state.2.take(1, 2));
            unsafe { state.0.push(&state.1, raw(0, 1)) };
            pop(&mut seen);
            pop(&mut seen);
            isr.join().unwrap();
            seen.sort();
            assert_eq!(seen, [0, 1, 100]);
            assert_eq!(state.2.get(), 0);
            assert!(unsafe { state.0.pop(&state.1) }.is_none());
        });
    }

    /// Complete-from-interrupt against consume, with the runtime's own slot state machine
    /// (`slot::SlotState`) around the ring: the owner acquires and writes an entry and starts
    /// it (`start`, AcqRel CAS); an "interrupt" that sees it in flight (Acquire) reads the
    /// entry, writes its buffer, finishes it (`finish`) and pushes the completion; the owner
    /// pops, reads userdata and buffer, recycles the slot (`recycle`, Release), gives the
    /// credit back, and reuses the slot at once for the next entry. Two interrupts, two
    /// slots, a ring of two cells, and a reuse racing the other interrupt: loom checks every
    /// entry and buffer access is ordered.
    #[test]
    fn loom_complete_from_interrupt_against_consume() {
        use crate::slot::{Phase, SlotState};
        use loom::cell::UnsafeCell as Cell;
        struct Slot {
            state: SlotState,
            userdata: Cell<usize>,
            buf: Cell<u8>,
        }
        struct Ctx {
            ring: Ring,
            cells: [CqeCell; 2],
            credits: Reservations,
            slots: [Slot; 2],
        }
        model(|| {
            let slot = || Slot {
                state: SlotState::new(),
                userdata: Cell::new(0),
                buf: Cell::new(0),
            };
            let c = Arc::new(Ctx {
                ring: Ring::new(),
                cells: [CqeCell::new(), CqeCell::new()],
                credits: Reservations::new(),
                slots: [slot(), slot()],
            });
            // Owner: acquire and prepare both entries, then start them.
            for (i, s) in c.slots.iter().enumerate() {
                assert!(c.credits.take(1, 2));
                s.state.acquire();
                let g = s.state.owned_gen();
                s.userdata.with_mut(|p| unsafe { *p = 10 + i });
                assert!(s.state.start(g.tag));
            }
            let mut isrs = Vec::new();
            for i in 0..2u16 {
                let c = c.clone();
                isrs.push(loom::thread::spawn(move || {
                    let s = &c.slots[i as usize];
                    // The interrupt fires for an operation it was handed (in flight).
                    while s.state.load().phase() != Phase::Inflight {
                        loom::thread::yield_now();
                    }
                    // SAFETY (model): the token holder owns the entry while in flight.
                    let ud = s.userdata.with(|p| unsafe { *p });
                    s.buf.with_mut(|p| unsafe { *p = ud as u8 });
                    s.state.finish();
                    // SAFETY: the entry holds a credit taken at acquire.
                    unsafe { c.ring.push(&c.cells, raw(i, 0)) };
                }));
            }
            // Owner: consume both; reuse each slot as soon as its completion is consumed.
            let mut got = Vec::new();
            while got.len() < 2 {
                // SAFETY: single consumer.
                let Some(r) = (unsafe { c.ring.pop(&c.cells) }) else {
                    loom::thread::yield_now();
                    continue;
                };
                let s = &c.slots[r.slot as usize];
                assert_eq!(s.state.load().phase(), Phase::Done);
                let ud = s.userdata.with(|p| unsafe { *p });
                assert_eq!(s.buf.with(|p| unsafe { *p }), ud as u8);
                got.push(ud);
                s.state.recycle();
                c.credits.give(1);
                // Reuse: acquire and write the slot again while the other interrupt may run.
                assert!(c.credits.take(1, 2));
                s.state.acquire();
                s.userdata.with_mut(|p| unsafe { *p = 20 });
                s.buf.with_mut(|p| unsafe { *p = 0 });
            }
            for h in isrs {
                h.join().unwrap();
            }
            got.sort();
            assert_eq!(got, [10, 11]);
            assert_eq!(c.credits.get(), 2);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod wrap_tests {
    use super::advance;

    #[test]
    fn indices_stay_continuous_across_the_wrap() {
        for len in [1usize, 2, 3, 5, 8, 12, 1000, 4096] {
            // Walk across the wrap point: each step must move to the next cell.
            let mut i = if len.is_power_of_two() {
                u32::MAX - 4
            } else {
                (u32::MAX / len as u32) * len as u32 - 5
            };
            for _ in 0..10 {
                let next = advance(i, len);
                assert_eq!(
                    next as usize % len,
                    (i as usize % len + 1) % len,
                    "len {len} at {i}"
                );
                i = next;
            }
        }
    }
}
