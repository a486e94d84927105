//! The returned-slot stack: producers (interrupts, other threads) hand finished slots back to
//! the owner without a lock (NO_RESPONSE entries, orphaned futures); the owner takes them all
//! at once when its free list runs short.
//!
//! ```text
//!   producers (any context)                 owner
//!   next[idx] := top                        list := swap(top, EMPTY)   (Acquire)
//!   CAS top: old -> idx   (Release)         walk list through next[]
//!
//!   top -> idx3 -> idx1 -> idx0 -> EMPTY
//! ```
//!
//! * `top` holds index + 1 of the last slot pushed (0: empty); producers write it by CAS, the
//!   owner by swap.
//! * A slot's link belongs to its producer until the CAS publishes it (Release), then to the
//!   owner, which reads it after the swap (Acquire).
//! * Push-only with take-all has no ABA problem: whatever `top` a producer's CAS replaces is
//!   exactly the link it just wrote.

use crate::sync::{AtomicU32, Ordering};

/// End of a list (the same value as an absent slot index elsewhere).
pub(crate) const EMPTY: u16 = u16::MAX;

/// A lock-free, push-only stack of slot indices with a take-all for the owner.
#[derive(Debug)]
pub(crate) struct ReturnStack {
    /// Index + 1 of the top slot; 0 when empty.
    top: AtomicU32,
}

impl ReturnStack {
    /// An empty stack.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        ReturnStack {
            top: AtomicU32::new(0),
        }
    }
    /// An empty stack.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        ReturnStack {
            top: AtomicU32::new(0),
        }
    }

    /// Pushes slot `idx`; `set_next` stores its link (called again on every retry).
    ///
    /// # Safety
    /// - The caller owns slot `idx` (and its link) until this returns; it is on no other list.
    /// - `set_next` writes only the link of slot `idx`.
    pub(crate) unsafe fn push(&self, idx: u16, mut set_next: impl FnMut(u16)) {
        let mut top = self.top.load(Ordering::Relaxed);
        loop {
            set_next(if top == 0 { EMPTY } else { (top - 1) as u16 });
            // Release: publishes the link; pairs with the Acquire swap in `take_all`.
            match self.top.compare_exchange_weak(
                top,
                idx as u32 + 1,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(t) => top = t,
            }
        }
    }

    /// Whether anything was pushed since the last `take_all` (a hint for waiters).
    pub(crate) fn is_empty(&self) -> bool {
        // Acquire: a waiter that sees a push then takes it with `take_all`.
        self.top.load(Ordering::Acquire) == 0
    }

    /// Takes every pushed slot: returns the top index (`EMPTY` if none); the rest follow
    /// through the links the producers wrote.
    ///
    /// # Safety
    /// Only the owner calls it.
    pub(crate) unsafe fn take_all(&self) -> u16 {
        // Acquire: pairs with the Release CAS in `push`, so the links are visible.
        let top = self.top.swap(0, Ordering::Acquire);
        if top == 0 {
            EMPTY
        } else {
            (top - 1) as u16
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Model check of `Rtio::push_returned` against the owner's take-all (`take_returned`).
    extern crate std;
    use super::*;
    use loom::cell::UnsafeCell;
    use loom::sync::Arc;
    use std::vec::Vec;

    /// Two producers return three slots (one pushes two) while the owner takes the stack
    /// twice: every slot comes back exactly once, and each link is read only after its push
    /// published it (loom checks the link accesses).
    #[test]
    fn loom_push_returned_against_take_all() {
        let mut b = loom::model::Builder::new();
        b.preemption_bound = Some(3);
        b.check(|| {
            let st = Arc::new((
                ReturnStack::new(),
                [
                    UnsafeCell::new(0u16),
                    UnsafeCell::new(0),
                    UnsafeCell::new(0),
                ],
            ));
            let push = |st: &Arc<(ReturnStack, [UnsafeCell<u16>; 3])>, idx: u16| {
                let link = &st.1[idx as usize];
                // SAFETY: slot `idx` is this producer's until pushed; the closure writes
                // only its link.
                unsafe {
                    st.0.push(idx, |next| link.with_mut(|p| *p = next));
                }
            };
            let a = {
                let st = st.clone();
                loom::thread::spawn(move || {
                    push(&st, 0);
                    push(&st, 2);
                })
            };
            let b = {
                let st = st.clone();
                loom::thread::spawn(move || push(&st, 1))
            };
            let mut got = Vec::new();
            let take = |got: &mut Vec<u16>| {
                // SAFETY: this thread is the only owner.
                let mut cur = unsafe { st.0.take_all() };
                while cur != EMPTY {
                    got.push(cur);
                    cur = st.1[cur as usize].with(|p| unsafe { *p });
                }
            };
            take(&mut got);
            a.join().unwrap();
            b.join().unwrap();
            take(&mut got);
            got.sort();
            assert_eq!(got, [0, 1, 2]);
        });
    }
}
