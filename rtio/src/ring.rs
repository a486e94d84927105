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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw {
    pub slot: u16,
    /// Completion flags (7 bits).
    pub flags: u8,
    /// First pool block, when `flags` has POOL (the count follows from the length).
    pub pool_start: u8,
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
        // Relaxed: distinct indices are all we need; the cell is published by the tag store.
        let i = self.tail.fetch_add(1, Ordering::Relaxed);
        let cell = &cells[i as usize % cells.len()];
        // SAFETY: the reservation guarantees this cell was consumed (tag 0, Released by the
        // consumer's store in `pop`, acquired through the reservation counter), so no one else
        // touches `result` until we publish.
        cell.result.with_mut(|p| unsafe { p.write(raw.result) });
        // Release: pairs with the Acquire load in `pop`, publishing `result`.
        cell.tag.store(
            READY
                | ((raw.flags & 0x7F) as u32) << 24
                | (raw.pool_start as u32) << 16
                | raw.slot as u32,
            Ordering::Release,
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
        let cell = &cells[head as usize % cells.len()];
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
        self.head.with_mut(|p| unsafe { *p = head.wrapping_add(1) });
        Some(Raw {
            slot: tag as u16,
            flags: ((tag >> 24) & 0x7F) as u8,
            pool_start: (tag >> 16) as u8,
            result,
        })
    }

    /// Whether a completion is ready at the head (consumer only).
    ///
    /// # Safety
    /// As for [`Ring::pop`].
    pub(crate) unsafe fn ready(&self, cells: &[CqeCell]) -> bool {
        // SAFETY: consumer-only read of `head`.
        let head = self.head.with(|p| unsafe { *p });
        cells[head as usize % cells.len()]
            .tag
            .load(Ordering::Acquire)
            != 0
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Two producers (two interrupt priorities) against the consumer: every completion is
    /// seen exactly once, each producer's in order, and nothing is read half-written.
    #[test]
    fn loom_two_producers_one_consumer() {
        loom::model(|| {
            let state = Arc::new((
                Ring::new(),
                [CqeCell::new(), CqeCell::new(), CqeCell::new()],
            ));
            let mut hs = Vec::new();
            for p in 0..2u16 {
                let s = state.clone();
                hs.push(loom::thread::spawn(move || {
                    // SAFETY: 3 cells, at most 3 pushes in flight.
                    unsafe {
                        s.0.push(
                            &s.1,
                            Raw {
                                slot: p,
                                flags: 0,
                                result: 10 + p as i32,
                                pool_start: 7,
                            },
                        )
                    };
                }));
            }
            let mut seen = Vec::new();
            // SAFETY: single consumer.
            while seen.len() < 2 {
                if let Some(r) = unsafe { state.0.pop(&state.1) } {
                    assert_eq!(r.result, 10 + r.slot as i32);
                    assert_eq!(r.pool_start, 7);
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
}
