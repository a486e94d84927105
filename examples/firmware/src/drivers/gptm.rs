//! General-purpose timers: the rtio [`Clock`] (a periodic tick with an alarm) and the ADC
//! trigger.
//!
//! QEMU's GPTM cannot be read back (TAR reads 0), so time is kept by counting the periodic
//! interrupts: [`Clock::now`] has the resolution of one period. The alarm is checked on every
//! tick and calls [`rtio::Rtio::on_alarm`] from the interrupt once due.
//!
//! QEMU: the period is exactly TAILR clocks; silicon counts TAILR+1 (see [`load_value`]).
#![forbid(unsafe_code)]

use crate::mask;
use crate::mmio::Mmio;
use core::cell::Cell;
use critical_section::Mutex;
use portable_atomic::{AtomicU32, Ordering};
use rtio::{Clock, Instant, Rtio};

const CFG: usize = 0x00;
const TAMR: usize = 0x04;
const CTL: usize = 0x0C;
const IMR: usize = 0x18;
const ICR: usize = 0x24;
const TAILR: usize = 0x28;

const TAMR_PERIODIC: u32 = 2;
const CTL_TAEN: u32 = 1 << 0;
const CTL_TAOTE: u32 = 1 << 5;
const TATO: u32 = 1 << 0;

/// TAILR for a period of `clocks` system clocks (QEMU: exactly TAILR; silicon: TAILR + 1).
pub const fn load_value(clocks: u32) -> u32 {
    if cfg!(feature = "silicon") {
        clocks - 1
    } else {
        clocks
    }
}

/// A function called on every tick.
type TickHook = Mutex<Cell<Option<fn()>>>;

/// A 32-bit periodic timer keeping time for an rtio context.
pub struct GptmClock {
    regs: Mmio,
    period_us: u32,
    ticks: AtomicU32,
    alarm: Mutex<Cell<Option<(Instant, &'static Rtio)>>>,
    /// Called on every tick (a driver that polls: see [`GptmClock::set_tick_hook`]).
    hook: TickHook,
}

impl core::fmt::Debug for GptmClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GptmClock")
            .field("period_us", &self.period_us)
            .field("ticks", &self.ticks.load(Ordering::Relaxed))
            .finish()
    }
}

impl GptmClock {
    /// A clock on the timer at `regs` ticking every `period_us` microseconds.
    pub const fn new(regs: Mmio, period_us: u32) -> Self {
        GptmClock {
            regs,
            period_us,
            ticks: AtomicU32::new(0),
            alarm: Mutex::new(Cell::new(None)),
            hook: Mutex::new(Cell::new(None)),
        }
    }

    /// Calls `f` from the timer interrupt on every tick, after the alarm check.
    pub fn set_tick_hook(&self, f: fn()) {
        mask::driver(|cs| self.hook.borrow(cs).set(Some(f)));
    }

    /// Starts the periodic tick; `sysclk_hz` is the timer's input clock.
    pub fn start(&self, sysclk_hz: u32) {
        let r = self.regs;
        r.write(CTL, 0);
        r.write(CFG, 0); // 32-bit
        r.write(TAMR, TAMR_PERIODIC);
        let clocks = (sysclk_hz as u64 * self.period_us as u64 / 1_000_000) as u32;
        r.write(TAILR, load_value(clocks));
        r.write(ICR, TATO);
        r.write(IMR, TATO);
        r.write(CTL, CTL_TAEN);
    }

    /// Ticks since start.
    pub fn ticks(&self) -> u32 {
        self.ticks.load(Ordering::Acquire)
    }

    /// The timer interrupt: count the tick, fire the alarm when due.
    pub fn on_interrupt(&self) {
        self.regs.write(ICR, TATO);
        let t = self.ticks.fetch_add(1, Ordering::AcqRel) + 1;
        let now = Instant::from_micros(t as u64 * self.period_us as u64);
        let due = mask::driver(|cs| {
            let a = self.alarm.borrow(cs);
            match a.get() {
                Some((at, rtio)) if at <= now => {
                    a.set(None);
                    Some(rtio)
                }
                _ => None,
            }
        });
        if let Some(rtio) = due {
            rtio.on_alarm();
        }
        if let Some(f) = mask::driver(|cs| self.hook.borrow(cs).get()) {
            f();
        }
    }
}

impl Clock for GptmClock {
    fn now(&self) -> Instant {
        Instant::from_micros(self.ticks() as u64 * self.period_us as u64)
    }

    fn set_alarm(&self, at: Instant, rtio: &'static Rtio) {
        mask::driver(|cs| self.alarm.borrow(cs).set(Some((at, rtio))));
    }
}

/// A timer that only produces the ADC trigger (CTL.TAOTE): no interrupt.
#[derive(Debug)]
pub struct AdcTrigger {
    regs: Mmio,
}

impl AdcTrigger {
    /// The timer at `regs`.
    pub const fn new(regs: Mmio) -> Self {
        AdcTrigger { regs }
    }

    /// Triggers the ADC every `clocks` system clocks.
    pub fn start(&self, clocks: u32) {
        let r = self.regs;
        r.write(CTL, 0);
        r.write(CFG, 0);
        r.write(TAMR, TAMR_PERIODIC);
        r.write(TAILR, load_value(clocks));
        r.write(IMR, 0);
        r.write(CTL, CTL_TAEN | CTL_TAOTE);
    }

    /// Stops the trigger.
    pub fn stop(&self) {
        self.regs.write(CTL, 0);
    }
}
