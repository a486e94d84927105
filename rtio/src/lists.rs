//! The owner's lists of slots: the free slots, the prepared chain heads that wait for
//! `submit` (S1), and the completions the owner made itself (`post.rs`, S6).
//!
//! Each is a list linked through the slots' owner links (`Slot::onext`; a slot is on at most
//! one of them, or on the returned stack, at a time) and is touched only by the context's
//! owner, through the unique `Context`: plain loads and stores, no atomics, no critical
//! section. The lists do not know what a slot is; the context's slot view tells them where a
//! slot's link is ([`Links`]), so this module sits below the state that holds them.
//!
//! Every list starts as zero bits (a context lives in `.bss`), and zero is a slot index, not
//! [`NONE`]: the first claim makes them empty (`init`).
//!
//! ```text
//!   free:     head -> 5 -> 2 -> NONE          then never-used slots from `fresh` up
//!   pending:  head -> 3 -> 7 <- tail          (FIFO: submit dispatches in prepare order)
//!   local:    head -> 1 -> 4 <- tail          (FIFO: consumed in posting order)
//! ```

use crate::sqe::NONE;
use core::cell::UnsafeCell;

/// Where slot `idx`'s owner link is: implemented by the context's slot view.
pub(crate) trait Links: Copy {
    /// The owner link of slot `idx`.
    fn link(self, idx: u16) -> *mut u16;
}

/// The slot linked after `idx` on whichever owner list holds it.
///
/// # Safety
/// Owner only; `idx` is on one of the owner's lists.
#[inline(always)]
pub(crate) unsafe fn next<L: Links>(l: L, idx: u16) -> u16 {
    // SAFETY: owner-only link (precondition).
    unsafe { *l.link(idx) }
}

/// The free slots: a LIFO of slots used before (a slot just freed is warm in the cache), then
/// the slots never used, from `fresh` up. Owner-only.
///
/// It keeps no count: whether `n` slots are free is read off the list itself (its first `n`
/// links, then the fresh slots left), so taking and giving back one slot is a pop and a push.
#[derive(Debug)]
pub(crate) struct FreeList {
    head: UnsafeCell<u16>,
    /// Slots below this index have been used at least once; the rest never were.
    fresh: UnsafeCell<u16>,
}

impl FreeList {
    /// All zero, for `.bss`; not usable before [`FreeList::init`].
    pub(crate) const fn new() -> Self {
        FreeList {
            head: UnsafeCell::new(0),
            fresh: UnsafeCell::new(0),
        }
    }

    /// Makes the list empty: every slot is still fresh (the first claim).
    ///
    /// # Safety
    /// Owner only.
    pub(crate) unsafe fn init(&self) {
        // SAFETY: owner-only field (precondition).
        unsafe { *self.head.get() = NONE }
    }

    /// Whether `n` more slots of `sq` are free: the first `n` on the list, or as many as it
    /// holds and then never-used ones: at most `n` links read (for one slot, the head).
    ///
    /// # Safety
    /// Owner only.
    #[inline(always)]
    pub(crate) unsafe fn fits<L: Links>(&self, l: L, n: usize, sq: usize) -> bool {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            let mut cur = *self.head.get();
            for k in 0..n {
                if cur == NONE {
                    return *self.fresh.get() as usize + (n - k) <= sq;
                }
                cur = *l.link(cur);
            }
            true
        }
    }

    /// Takes `n` free slots, handing each to `f(k, idx)` (`k` counts from 0).
    ///
    /// # Safety
    /// Owner only; [`FreeList::fits`] said yes for `n`.
    #[inline(always)]
    pub(crate) unsafe fn take<L: Links>(&self, l: L, n: usize, mut f: impl FnMut(usize, u16)) {
        // SAFETY: owner-only fields and links (precondition); `n` slots are free, so the
        // fresh index stays below `sq` when the list runs out.
        unsafe {
            for k in 0..n {
                let head = *self.head.get();
                let idx = if head != NONE {
                    *self.head.get() = *l.link(head);
                    head
                } else {
                    let fresh = *self.fresh.get();
                    *self.fresh.get() = fresh + 1;
                    fresh
                };
                f(k, idx);
            }
        }
    }

    /// Gives slot `idx` back.
    ///
    /// # Safety
    /// Owner only; `idx` was taken and is on no list.
    #[inline(always)]
    pub(crate) unsafe fn put<L: Links>(&self, l: L, idx: u16) {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            *l.link(idx) = *self.head.get();
            *self.head.get() = idx;
        }
    }
}

/// A FIFO of slots through their owner links: the prepared chain heads, in prepare order,
/// that `submit` dispatches (S1), and the body of [`Local`]. Owner-only.
#[derive(Debug)]
pub(crate) struct Pending {
    head: UnsafeCell<u16>,
    tail: UnsafeCell<u16>,
}

impl Pending {
    /// All zero, for `.bss`; not usable before [`Pending::init`].
    pub(crate) const fn new() -> Self {
        Pending {
            head: UnsafeCell::new(0),
            tail: UnsafeCell::new(0),
        }
    }

    /// Makes the list empty (the first claim).
    ///
    /// # Safety
    /// Owner only.
    pub(crate) unsafe fn init(&self) {
        // SAFETY: owner-only fields (precondition).
        unsafe {
            *self.head.get() = NONE;
            *self.tail.get() = NONE;
        }
    }

    /// Appends slot `idx`.
    ///
    /// # Safety
    /// Owner only; `idx` is on no list.
    #[inline(always)]
    pub(crate) unsafe fn push<L: Links>(&self, l: L, idx: u16) {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            *l.link(idx) = NONE;
            let tail = *self.tail.get();
            if tail == NONE {
                *self.head.get() = idx;
            } else {
                *l.link(tail) = idx;
            }
            *self.tail.get() = idx;
        }
    }

    /// Takes the oldest slot.
    ///
    /// # Safety
    /// Owner only.
    #[inline(always)]
    pub(crate) unsafe fn pop<L: Links>(&self, l: L) -> Option<u16> {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            let head = *self.head.get();
            if head == NONE {
                return None;
            }
            let next = *l.link(head);
            *self.head.get() = next;
            if next == NONE {
                *self.tail.get() = NONE;
            }
            Some(head)
        }
    }

    /// Removes `idx`, if it is on the list (a cancel before submit, `drop_all`). Walks the
    /// list: prepared heads are few, and this is never on a hot path.
    ///
    /// # Safety
    /// Owner only.
    pub(crate) unsafe fn unlink<L: Links>(&self, l: L, idx: u16) {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            let mut prev = NONE;
            let mut cur = *self.head.get();
            while cur != NONE {
                let next = *l.link(cur);
                if cur == idx {
                    if prev == NONE {
                        *self.head.get() = next;
                    } else {
                        *l.link(prev) = next;
                    }
                    if *self.tail.get() == cur {
                        *self.tail.get() = prev;
                    }
                    return;
                }
                prev = cur;
                cur = next;
            }
        }
    }

    /// Detaches the whole list: its first slot, or [`NONE`]; the rest follow through
    /// [`next`]. The list is empty afterwards.
    ///
    /// # Safety
    /// Owner only.
    #[inline(always)]
    pub(crate) unsafe fn take_all(&self) -> u16 {
        // SAFETY: owner-only fields (precondition).
        unsafe {
            let h = *self.head.get();
            *self.head.get() = NONE;
            *self.tail.get() = NONE;
            h
        }
    }
}

/// The owner's local completions: a FIFO of DONE entries, their results in their slots
/// (`post.rs`), with the count `submit(n)` and the S16 bound read. Owner-only.
///
/// The count is also what `submit(n)` counts local posts by: the owner consumes nothing
/// while it is inside `submit`, so there the count grows by one per completion posted.
#[derive(Debug)]
pub(crate) struct Local {
    fifo: Pending,
    /// At most `SQ` (below 2^16): each is a slot.
    len: UnsafeCell<u16>,
}

impl Local {
    /// All zero, for `.bss`; not usable before [`Local::init`].
    pub(crate) const fn new() -> Self {
        Local {
            fifo: Pending::new(),
            len: UnsafeCell::new(0),
        }
    }

    /// Makes the list empty (the first claim).
    ///
    /// # Safety
    /// Owner only.
    pub(crate) unsafe fn init(&self) {
        // SAFETY: precondition.
        unsafe { self.fifo.init() }
    }

    /// Appends DONE entry `idx`.
    ///
    /// # Safety
    /// Owner only; the entry is DONE, its result stored, and no list links it.
    #[inline(always)]
    pub(crate) unsafe fn push<L: Links>(&self, l: L, idx: u16) {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            self.fifo.push(l, idx);
            *self.len.get() += 1;
        }
    }

    /// Takes the oldest local completion: its slot index.
    ///
    /// # Safety
    /// Owner only.
    #[inline(always)]
    pub(crate) unsafe fn pop<L: Links>(&self, l: L) -> Option<u16> {
        // SAFETY: owner-only fields and links (precondition).
        unsafe {
            let head = self.fifo.pop(l)?;
            *self.len.get() -= 1;
            Some(head)
        }
    }

    /// The oldest local completion, left on the list; [`NONE`] if there is none.
    ///
    /// # Safety
    /// Owner only.
    #[inline(always)]
    pub(crate) unsafe fn first(&self) -> u16 {
        // SAFETY: owner-only field (precondition).
        unsafe { *self.fifo.head.get() }
    }

    /// Local completions not consumed yet.
    ///
    /// # Safety
    /// Owner only.
    #[inline(always)]
    pub(crate) unsafe fn len(&self) -> u32 {
        // SAFETY: owner-only field (precondition).
        unsafe { u32::from(*self.len.get()) }
    }
}

#[cfg(test)]
mod tests {
    //! The lists over a plain array of links, as the context's slots provide them.
    extern crate std;
    use super::*;
    use core::cell::UnsafeCell;

    struct Slots([UnsafeCell<u16>; 4]);
    #[derive(Clone, Copy)]
    struct V<'a>(&'a Slots);
    impl Links for V<'_> {
        fn link(self, idx: u16) -> *mut u16 {
            self.0 .0[idx as usize].get()
        }
    }
    fn slots() -> Slots {
        Slots([const { UnsafeCell::new(0) }; 4])
    }

    #[test]
    fn free_list_hands_out_fresh_slots_then_the_last_freed_first() {
        let s = slots();
        let v = V(&s);
        let f = FreeList::new();
        // SAFETY: single-threaded test, the test is the owner.
        unsafe {
            f.init();
            let mut got = [NONE; 3];
            assert!(f.fits(v, 4, 4) && !f.fits(v, 5, 4));
            f.take(v, 3, |k, i| got[k] = i);
            assert_eq!(got, [0, 1, 2]);
            assert!(f.fits(v, 1, 4) && !f.fits(v, 2, 4), "one slot left of four");
            f.put(v, 1);
            f.put(v, 0);
            assert!(f.fits(v, 3, 4) && !f.fits(v, 4, 4), "two freed, one fresh");
            let mut again = [NONE; 3];
            f.take(v, 3, |k, i| again[k] = i);
            assert_eq!(again, [0, 1, 3], "freed LIFO, then the last fresh slot");
            assert!(!f.fits(v, 1, 4));
            f.put(v, 3);
            assert!(f.fits(v, 1, 4) && !f.fits(v, 2, 4), "one freed, none fresh");
        }
    }

    #[test]
    fn pending_keeps_prepare_order_and_unlinks_from_anywhere() {
        let s = slots();
        let v = V(&s);
        let p = Pending::new();
        // SAFETY: as above.
        unsafe {
            p.init();
            for i in [3, 0, 2, 1] {
                p.push(v, i);
            }
            p.unlink(v, 2); // middle
            p.unlink(v, 1); // tail
            p.unlink(v, 3); // head
            p.push(v, 3);
            let mut order = std::vec::Vec::new();
            let mut cur = p.take_all();
            while cur != NONE {
                order.push(cur);
                cur = next(v, cur);
            }
            assert_eq!(order, [0, 3]);
            assert_eq!(p.take_all(), NONE, "detached");
        }
    }

    #[test]
    fn local_is_a_fifo_that_counts_what_it_holds() {
        let s = slots();
        let v = V(&s);
        let l = Local::new();
        // SAFETY: as above.
        unsafe {
            l.init();
            assert_eq!(l.pop(v), None);
            l.push(v, 2);
            l.push(v, 0);
            assert_eq!(l.len(), 2);
            assert_eq!(l.pop(v), Some(2));
            l.push(v, 3);
            assert_eq!(l.pop(v), Some(0));
            assert_eq!(l.pop(v), Some(3));
            assert_eq!(l.pop(v), None);
            assert_eq!(l.len(), 0);
        }
    }
}
