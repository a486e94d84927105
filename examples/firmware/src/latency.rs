//! Interrupt latency, measured: SysTick ticks from the entry of an interrupt handler to the
//! moment the completion it produced is posted.
//!
//! [`enter`] stamps every external interrupt (the `handlers!` macro calls it first thing).
//! [`PROBE`] is an [`rtio::wait::Wait`] strategy that spins like [`rtio::wait::SPIN`] but
//! registers a waker with the context: the runtime wakes it right after it publishes a
//! completion, and the waker, when it runs in an interrupt, records the ticks since that
//! interrupt's entry. So a context claimed with [`PROBE`], blocked in `consume`, measures
//! "interrupt entry to completion posted" for the operation it waits for. Meaningful only
//! while SysTick runs, under `-icount`.

use crate::mask::{systick_now, ticks};
use core::task::{RawWaker, RawWakerVTable, Waker};
use portable_atomic::{AtomicI32, AtomicU32, Ordering};
use rtio::wait::{Notify, Wait};
use rtio::{Clock, Instant};

static ENTRY: AtomicU32 = AtomicU32::new(0);
static ENTRY_IRQ: AtomicI32 = AtomicI32::new(-1);
static LAST: AtomicU32 = AtomicU32::new(u32::MAX);
static LAST_IRQ: AtomicI32 = AtomicI32::new(-1);

/// Stamps the entry of external interrupt `irqn`.
#[inline(always)]
pub fn enter(irqn: i16) {
    ENTRY.store(systick_now(), Ordering::Relaxed);
    ENTRY_IRQ.store(irqn as i32, Ordering::Relaxed);
}

/// The last latency recorded since the previous call: (interrupt line, ticks).
pub fn take() -> Option<(i32, u32)> {
    let t = LAST.swap(u32::MAX, Ordering::Relaxed);
    (t != u32::MAX).then(|| (LAST_IRQ.load(Ordering::Relaxed), t))
}

fn posted() {
    let now = systick_now();
    // Only a completion posted by an interrupt handler has an interrupt latency.
    if cortex_m::peripheral::SCB::vect_active() != cortex_m::peripheral::scb::VectActive::ThreadMode
    {
        LAST.store(ticks(ENTRY.load(Ordering::Relaxed), now), Ordering::Relaxed);
        LAST_IRQ.store(ENTRY_IRQ.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(
    |p| RawWaker::new(p, &VTABLE),
    |_| posted(),
    |_| posted(),
    |_| {},
);

/// Spins, and records the latency of each completion posted from an interrupt.
#[derive(Debug, Clone, Copy)]
pub struct Probe;

/// The probe strategy.
pub static PROBE: Probe = Probe;

impl Wait for Probe {
    fn register(&self, notify: &Notify) {
        // SAFETY: the vtable functions ignore the data pointer and are thread-safe.
        let w = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
        notify.register(&w);
    }
    fn block(&self, _until: Option<Instant>, _clock: Option<&'static dyn Clock>) {
        core::hint::spin_loop();
    }
}
