//! Interrupt masking, measured: the firmware's critical-section implementation, and the
//! drivers' own critical sections, each timing how long interrupts stay masked.
//!
//! The runtime masks through the `critical-section` crate (so does `cortex_m::singleton!`,
//! whose sections therefore count as the runtime's: the bench program calls it before it
//! measures); this
//! module is that crate's implementation for the board (single core, PRIMASK). Drivers mask
//! through [`driver`] instead, so that the two are measured apart: [`take_max`] returns the
//! longest span of each since the last call. A span is timed from SysTick's current value
//! right after masking to its value right before unmasking (nested sections are timed each
//! on its own, up to a depth of [`DEPTH`]). Spans are in SysTick ticks: the figures mean
//! something only while SysTick runs (the bench program starts it; elsewhere every span
//! reads 0) and under `-icount`, where one tick is a fixed number of instructions.
//!
//! The timing is compiled in only with the cargo feature `mask-monitor` (the runner builds
//! the bench program a second time with it): it costs instructions in every section, which
//! would distort the other figures. Without the feature the sections only mask and unmask,
//! and [`take_max`] returns zeros. With it, the monitor's own instructions inside a section
//! (the bookkeeping between the two SysTick reads) are included in its span.

use core::ptr::read_volatile;
use critical_section::{CriticalSection, RawRestoreState};
use portable_atomic::{AtomicU32, AtomicUsize, Ordering};

/// Nesting depth that is timed (deeper sections still mask correctly, untimed).
pub const DEPTH: usize = 4;

const SYST_CVR: usize = 0xE000_E018;

/// SysTick's current value (counts down, 24 bits).
#[inline(always)]
pub fn systick_now() -> u32 {
    // SAFETY: SYST_CVR is the SysTick current-value register of every Cortex-M3; reading it
    // has no side effect (the COUNTFLAG is in CSR, not here).
    unsafe { read_volatile(SYST_CVR as *const u32) }
}

/// Ticks between two [`systick_now`] readings less than 2^24 ticks apart.
#[inline(always)]
pub fn ticks(start: u32, end: u32) -> u32 {
    start.wrapping_sub(end) & 0x00FF_FFFF
}

/// Whether this build measures masked sections (cargo feature `mask-monitor`).
pub const MONITOR: bool = cfg!(feature = "mask-monitor");

/// Start times of the open sections. Touched only with interrupts masked (single core), so
/// Relaxed loads and stores (plain LDR/STR) are enough.
#[allow(dead_code)] // without the monitor
struct Spans {
    depth: AtomicUsize,
    start: [AtomicU32; DEPTH],
}

#[allow(dead_code)]
static SPANS: Spans = Spans {
    depth: AtomicUsize::new(0),
    start: [const { AtomicU32::new(0) }; DEPTH],
};
static RUNTIME_MAX: AtomicU32 = AtomicU32::new(0);
static DRIVER_MAX: AtomicU32 = AtomicU32::new(0);

#[inline(always)]
#[cfg(feature = "mask-monitor")]
fn open() {
    let d = SPANS.depth.load(Ordering::Relaxed);
    if let Some(s) = SPANS.start.get(d) {
        s.store(systick_now(), Ordering::Relaxed);
    }
    SPANS.depth.store(d + 1, Ordering::Relaxed);
}

#[inline(always)]
#[cfg(not(feature = "mask-monitor"))]
fn open() {}

#[inline(always)]
#[cfg(not(feature = "mask-monitor"))]
fn close(_max: &AtomicU32) {}

#[inline(always)]
#[cfg(feature = "mask-monitor")]
fn close(max: &AtomicU32) {
    let d = SPANS.depth.load(Ordering::Relaxed).wrapping_sub(1);
    SPANS.depth.store(d, Ordering::Relaxed);
    if let Some(s) = SPANS.start.get(d) {
        let t = ticks(s.load(Ordering::Relaxed), systick_now());
        if t > max.load(Ordering::Relaxed) {
            max.store(t, Ordering::Relaxed);
        }
    }
}

/// The longest masked spans, in SysTick ticks, of the runtime's critical sections and of the
/// drivers' since the last call (which resets both).
pub fn take_max() -> (u32, u32) {
    // Masked, so that no section closes between the two swaps.
    cortex_m::interrupt::free(|_| {
        (
            RUNTIME_MAX.swap(0, Ordering::Relaxed),
            DRIVER_MAX.swap(0, Ordering::Relaxed),
        )
    })
}

struct BoardCs;
critical_section::set_impl!(BoardCs);

// SAFETY: single-core Cortex-M3: masking with PRIMASK excludes every other execution context
// (all interrupts and the thread); release restores PRIMASK as acquire found it, so nested
// sections stay masked until the outermost one ends.
unsafe impl critical_section::Impl for BoardCs {
    unsafe fn acquire() -> RawRestoreState {
        let primask = cortex_m::register::primask::read_raw();
        cortex_m::interrupt::disable();
        open();
        primask
    }

    unsafe fn release(primask: RawRestoreState) {
        close(&RUNTIME_MAX);
        // SAFETY: `primask` is the value `acquire` read; writing it back ends this section
        // and unmasks only if it was the outermost one (the caller's contract: release pairs
        // with acquire in LIFO order).
        unsafe { cortex_m::register::primask::write_raw(primask) };
    }
}

/// A driver's critical section: `f` runs with interrupts masked, and the span is measured
/// apart from the runtime's (see [`take_max`]).
#[inline(always)]
pub fn driver<R>(f: impl FnOnce(CriticalSection<'_>) -> R) -> R {
    let primask = cortex_m::register::primask::read_raw();
    cortex_m::interrupt::disable();
    open();
    // SAFETY: interrupts are masked on this single core until PRIMASK is restored below, and
    // the token cannot outlive `f`.
    let r = f(unsafe { CriticalSection::new() });
    close(&DRIVER_MAX);
    // SAFETY: restores PRIMASK as it was on entry (unmasks only if this was the outermost
    // section).
    unsafe { cortex_m::register::primask::write_raw(primask) };
    r
}

/// State that only one interrupt handler ever touches, so it needs no masking: a handler
/// cannot preempt itself, and [`HandlerOnly::with`] refuses any other caller (and a nested
/// call) with a panic. Drivers whose whole state machine runs in their interrupt keep it
/// here; other contexts hand work over by pending that interrupt ([`crate::board::pend`]).
pub struct HandlerOnly<T> {
    irq: u8,
    busy: core::cell::Cell<bool>,
    cell: core::cell::UnsafeCell<T>,
}

// SAFETY: the contents are reached only through `with`, which checks that the caller is the
// handler of interrupt `irq` and not already inside `with`. One handler runs at a time on a
// single core, and an exception cannot preempt itself, so there is never more than one
// reference. `T: Send` because the handler may not be the context that built the value.
unsafe impl<T: Send> Sync for HandlerOnly<T> {}

impl<T> HandlerOnly<T> {
    /// `value`, for the handler of external interrupt `irq`.
    pub const fn new(irq: u8, value: T) -> Self {
        HandlerOnly {
            irq,
            busy: core::cell::Cell::new(false),
            cell: core::cell::UnsafeCell::new(value),
        }
    }

    /// Runs `f` on the contents.
    ///
    /// # Panics
    /// When not called from the handler of this interrupt, or from inside `f`.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        use cortex_m::peripheral::{scb::VectActive, SCB};
        let here = matches!(SCB::vect_active(), VectActive::Interrupt { irqn } if irqn == self.irq);
        assert!(
            here && !self.busy.get(),
            "HandlerOnly state used outside its interrupt handler"
        );
        self.busy.set(true);
        // SAFETY: see the `Sync` impl: only this handler gets here, once at a time.
        let r = f(unsafe { &mut *self.cell.get() });
        self.busy.set(false);
        r
    }
}
