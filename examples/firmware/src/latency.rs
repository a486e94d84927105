//! Interrupt latency, measured: SysTick ticks from the entry of an interrupt handler to the
//! moment the completion it produced is posted.
//!
//! [`enter`] stamps every external interrupt (the `handlers!` macro calls it first thing,
//! a few instructions after the hardware's entry). [`measure`] registers a waker with the
//! context before the operation starts: the runtime wakes it right after it publishes a
//! completion, and the waker, when it runs in an interrupt, records the ticks since that
//! interrupt's entry: "interrupt entry to completion posted". Meaningful only while SysTick
//! runs, under `-icount`.

use crate::mask::{systick_now, ticks};
use core::future::Future;
use core::task::{Context as TaskCx, Poll, RawWaker, RawWakerVTable, Waker};
use portable_atomic::{AtomicI32, AtomicU32, Ordering};

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

/// A waker that records the latency of the completion that wakes it (see the module docs).
pub fn waker() -> Waker {
    // SAFETY: the vtable functions ignore the data pointer and are thread-safe.
    unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) }
}

/// Registers the probe's waker with `ctx` (by polling `ctx.next()` once), runs `start` (which
/// submits the operation, or waits for the input that completes it), then spins until the
/// next completion and returns it with its latency: (interrupt line, SysTick ticks from that
/// interrupt's entry to the completion posted). `None` when the completion was not posted
/// from an interrupt. Nothing else may be in flight on `ctx`.
pub fn measure(
    ctx: &rtio::Context,
    start: impl FnOnce(),
) -> (rtio::Completion, Option<(i32, u32)>) {
    let _ = take();
    let w = waker();
    let mut cx = TaskCx::from_waker(&w);
    let mut next = core::pin::pin!(ctx.next());
    // Polling registers the probe's waker. With nothing outstanding yet the future resolves
    // to `WouldHang` (S16), and the waker stays registered for the completion to come.
    if let Poll::Ready(Ok(c)) = next.as_mut().poll(&mut cx) {
        return (c, None); // a completion was already waiting: nothing to measure
    }
    start();
    // Spin on the ring alone: polling would also run due timers from thread mode, and the
    // DELAY must be completed by its interrupt to be measured.
    while !ctx.has_completion() {
        core::hint::spin_loop();
    }
    let lat = take();
    (crate::consume(ctx), lat)
}
