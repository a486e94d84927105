//! Waiting strategies for the blocking calls (S14): spin, WFE/WFI-style sleep, thread park.
//!
//! A blocking call registers the strategy's waker with the context, re-checks its condition,
//! then blocks; every completion wakes the registered waker, from whatever context it runs in.

use crate::time::{Clock, Instant};
use atomic_waker::AtomicWaker;
use core::task::{RawWaker, RawWakerVTable, Waker};
use portable_atomic::{AtomicBool, Ordering};

/// A context's completion notifier: wakes the owner's registered waker when a completion is
/// posted, and costs one load when nobody waits.
///
/// Lost wake-ups are excluded Dekker-style: a completer publishes (SeqCst) and then reads
/// `waiting` (SeqCst); a waiter sets `waiting` (SeqCst), issues a SeqCst fence, then re-checks
/// its condition. In the single total order one of the two sees the other.
#[derive(Debug)]
pub struct Notify {
    waiting: AtomicBool,
    waker: AtomicWaker,
}

impl Notify {
    pub(crate) const fn new() -> Self {
        Notify {
            waiting: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }

    /// Registers `waker` to be woken by the next completion. The caller re-checks its
    /// condition afterwards.
    pub fn register(&self, waker: &Waker) {
        self.waker.register(waker);
        // Pairs with the completer's SeqCst publication and load in `notify`.
        self.waiting.store(true, Ordering::SeqCst);
        portable_atomic::fence(Ordering::SeqCst);
    }

    /// Wakes the registered waker, if any. Called after a SeqCst publication.
    #[inline]
    pub(crate) fn notify(&self) {
        if self.waiting.load(Ordering::SeqCst) {
            self.waiting.store(false, Ordering::Relaxed);
            self.waker.wake();
        }
    }
}

/// How a blocking call waits.
pub trait Wait: Sync {
    /// Registers this strategy's waker before the final check of the condition.
    fn register(&self, notify: &Notify);
    /// Blocks until woken, or until `until` (by `clock`) if given. May return early.
    fn block(&self, until: Option<Instant>, clock: Option<&'static dyn Clock>);
}

/// Busy-waits. Lowest latency; burns the core.
#[derive(Debug, Default, Clone, Copy)]
pub struct Spin;

/// The spin strategy.
pub static SPIN: Spin = Spin;

impl Wait for Spin {
    fn register(&self, _notify: &Notify) {}
    fn block(&self, _until: Option<Instant>, _clock: Option<&'static dyn Clock>) {
        core::hint::spin_loop();
    }
}

/// Sleeps the core with WFE between completions (Cortex-M); completions execute SEV, so a
/// completion that lands between the check and the sleep is not lost (the event latches).
/// On other architectures it spins.
#[derive(Debug, Default, Clone, Copy)]
pub struct Wfe;

/// The WFE strategy.
pub static WFE: Wfe = Wfe;

fn sev() {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    // SAFETY: SEV only sets the event register.
    unsafe {
        core::arch::asm!("sev", options(nomem, nostack, preserves_flags))
    };
}

static SEV_VTABLE: RawWakerVTable = RawWakerVTable::new(
    |p| RawWaker::new(p, &SEV_VTABLE),
    |_| sev(),
    |_| sev(),
    |_| {},
);

/// A waker that executes SEV: for executors that sleep with WFE.
pub fn sev_waker() -> Waker {
    // SAFETY: the vtable functions ignore the data pointer and are thread-safe.
    unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &SEV_VTABLE)) }
}

impl Wait for Wfe {
    fn register(&self, notify: &Notify) {
        notify.register(&sev_waker());
    }
    fn block(&self, _until: Option<Instant>, _clock: Option<&'static dyn Clock>) {
        #[cfg(all(target_arch = "arm", target_os = "none"))]
        // SAFETY: WFE waits for an event or interrupt; it has no other effect.
        unsafe {
            core::arch::asm!("wfe", options(nomem, nostack, preserves_flags))
        };
        #[cfg(not(all(target_arch = "arm", target_os = "none")))]
        core::hint::spin_loop();
    }
}

#[cfg(feature = "std")]
mod park {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    /// Parks the thread; completions unpark it (host, feature `std`).
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Park;

    /// The park strategy.
    pub static PARK: Park = Park;

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    std::thread_local! {
        static WAKER: Waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    }

    /// A waker that unparks the current thread (host executors, tests; feature `std`).
    pub fn thread_waker() -> Waker {
        WAKER.with(Waker::clone)
    }

    impl Wait for Park {
        fn register(&self, notify: &Notify) {
            WAKER.with(|w| notify.register(w));
        }
        fn block(&self, until: Option<Instant>, clock: Option<&'static dyn Clock>) {
            match (until, clock) {
                (Some(at), Some(c)) => {
                    let now = c.now();
                    if at > now {
                        std::thread::park_timeout((at - now).into());
                    }
                }
                _ => std::thread::park(),
            }
        }
    }
}

#[cfg(feature = "std")]
pub use park::{thread_waker, Park, PARK};

/// The waker `block_on` polls with: unparks this thread (`std`), or executes SEV.
pub(crate) fn block_on_waker() -> Waker {
    #[cfg(feature = "std")]
    {
        park::thread_waker()
    }
    #[cfg(not(feature = "std"))]
    {
        sev_waker()
    }
}

/// How `block_on` sleeps between polls.
pub(crate) fn block_on_sleep() {
    #[cfg(feature = "std")]
    std::thread::park_timeout(std::time::Duration::from_millis(1));
    #[cfg(all(not(feature = "std"), target_arch = "arm", target_os = "none"))]
    // SAFETY: WFE waits for an event or interrupt; it has no other effect.
    unsafe {
        core::arch::asm!("wfe", options(nomem, nostack, preserves_flags))
    };
    #[cfg(all(
        not(feature = "std"),
        not(all(target_arch = "arm", target_os = "none"))
    ))]
    core::hint::spin_loop();
}

/// The strategy `Rtio::claim` uses: park on `std`, spin otherwise.
#[cfg(feature = "std")]
pub(crate) static DEFAULT_WAIT: &dyn Wait = &PARK;
#[cfg(not(feature = "std"))]
pub(crate) static DEFAULT_WAIT: &dyn Wait = &SPIN;
