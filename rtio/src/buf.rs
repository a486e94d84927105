//! Static buffers without `static mut`: [`StaticBuf`] hands out its bytes once, as the
//! `&'static mut` an entry takes (S3), behind an atomic taken flag.
//!
//! ```
//! use rtio::StaticBuf;
//! static RX: StaticBuf<2> = StaticBuf::new();
//! static FRAME: StaticBuf<4> = StaticBuf::with([0xde, 0xad, 0xbe, 0xef]);
//!
//! let rx: &'static mut [u8; 2] = RX.take().expect("taken once");
//! assert!(RX.take().is_none()); // never twice: the first `&mut` may still be in flight
//! assert_eq!(FRAME.take().map(|f| f[0]), Some(0xde));
//! # let _ = rx;
//! ```
//!
//! Taking is the one step that needs care, and it is here, argued once: the flag goes from
//! `false` to `true` exactly once (a compare-and-swap, so two interrupts or threads cannot
//! both win), and only the winner forms the `&'static mut`. Nothing ever gives the buffer
//! back to the static: it travels with entries and completions from then on, so the bytes
//! have one owner for the rest of the program.

use core::cell::UnsafeCell;
use portable_atomic::{AtomicBool, Ordering};

/// A `static` byte buffer of `N` bytes, taken once as `&'static mut [u8; N]`.
///
/// Use it where firmware would declare a `static mut BUF: [u8; N]` and reborrow it through
/// a raw pointer. Builds on every target (thumbv6m through `portable-atomic`'s critical
/// section).
pub struct StaticBuf<const N: usize> {
    /// Set by the one successful [`StaticBuf::take`]; never cleared.
    taken: AtomicBool,
    /// Reached only through the `&'static mut` that `take` hands out once.
    bytes: UnsafeCell<[u8; N]>,
}

// SAFETY: the bytes are reached only through the single `&'static mut` that the one winning
// `take` creates (the taken flag's compare-and-swap elects it); `[u8; N]` is `Send`.
unsafe impl<const N: usize> Sync for StaticBuf<N> {}

impl<const N: usize> StaticBuf<N> {
    /// A zeroed buffer.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self::with([0; N])
    }

    /// A buffer holding `init` (data to write, a wavetable, a frame).
    pub const fn with(init: [u8; N]) -> Self {
        StaticBuf {
            taken: AtomicBool::new(false),
            bytes: UnsafeCell::new(init),
        }
    }

    /// The buffer, the first time; `None` ever after.
    // A `&mut` from `&self`, made once: the taken flag elects the one caller that gets it.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut [u8; N]> {
        // Relaxed suffices: the flag publishes nothing (no one writes the bytes before the
        // winner, and they never come back); the compare-and-swap's atomicity alone elects
        // the one taker.
        self.taken
            .compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)
            .ok()?;
        // SAFETY: this call won the flag's only `false -> true` transition, so no other
        // reference to the bytes exists or will ever be made; the static lives forever.
        Some(unsafe { &mut *self.bytes.get() })
    }

    /// Whether the buffer was taken.
    pub fn is_taken(&self) -> bool {
        self.taken.load(Ordering::Relaxed)
    }
}

impl<const N: usize> core::fmt::Debug for StaticBuf<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StaticBuf")
            .field("len", &N)
            .field("taken", &self.is_taken())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_once_with_its_initial_bytes() {
        static B: StaticBuf<3> = StaticBuf::with([1, 2, 3]);
        assert!(!B.is_taken());
        let b = B.take().unwrap();
        assert_eq!(*b, [1, 2, 3]);
        b[0] = 9;
        assert!(B.is_taken());
        assert!(B.take().is_none());
        assert_eq!(b[0], 9);
    }

    #[cfg(feature = "std")]
    #[test]
    fn racing_takers_get_it_once() {
        static B: StaticBuf<8> = StaticBuf::new();
        let wins: usize = std::thread::scope(|s| {
            let hs: std::vec::Vec<_> = (0..8)
                .map(|_| s.spawn(|| usize::from(B.take().is_some())))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(wins, 1);
    }
}
