//! SysTick as an instruction counter for benchmarks.
//!
//! QEMU has no DWT cycle counter. Under `-icount shift=0` every instruction takes 1 ns of
//! virtual time and SysTick counts SYSCLK, so with SYSDIV = 0 (200 MHz in QEMU) one tick is
//! exactly 5 instructions. Without `-icount` the figures follow host speed and mean nothing.

use cortex_m::peripheral::{syst::SystClkSource, SYST};

/// A free-running 24-bit down-counter.
pub struct Counter {
    syst: SYST,
}

impl core::fmt::Debug for Counter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Counter")
    }
}

impl Counter {
    /// Starts SysTick from its maximum, no interrupt.
    pub fn start(mut syst: SYST) -> Counter {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.disable_interrupt();
        syst.enable_counter();
        Counter { syst }
    }

    /// The current count (counts down).
    #[inline(always)]
    pub fn now(&self) -> u32 {
        let _ = &self.syst;
        SYST::get_current()
    }

    /// Ticks from `start` to `end` (both from [`Counter::now`]; less than 2^24 apart).
    pub fn ticks(start: u32, end: u32) -> u32 {
        start.wrapping_sub(end) & 0x00FF_FFFF
    }
}
