//! `DelayNs` from the context's clock.

use rtio::{Context, Duration};

/// Delays from the context's clock (a DELAY entry, S8): implements
/// `embedded_hal::delay::DelayNs` (blocking with the context's wait strategy: the thread
/// parks on `std`) and `embedded_hal_async::delay::DelayNs` (the task is woken when the
/// delay completes). Delays round up to whole microseconds.
///
/// ```
/// use embedded_hal::delay::DelayNs;
/// use rtio::{Rtio, Storage};
/// static STORAGE: Storage<2, 2> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK); // with `std`: the host clock
/// let ctx = RTIO.claim().unwrap();
/// let mut delay = rtio_hal::Delay::new(&ctx);
/// let t0 = std::time::Instant::now();
/// delay.delay_ms(3);
/// assert!(t0.elapsed() >= std::time::Duration::from_millis(3));
/// ```
///
/// # Panics
/// A context without a clock cannot time anything: its delays panic with a message saying
/// so ([`rtio::Rtio::with_clock`] gives it one).
#[derive(Debug, Clone, Copy)]
pub struct Delay<'c> {
    ctx: &'c Context,
}

impl<'c> Delay<'c> {
    /// Delays on `ctx`'s clock.
    pub fn new(ctx: &'c Context) -> Self {
        Delay { ctx }
    }

    /// When no entry is free for a DELAY: wait on the clock itself.
    fn fallback(&self, ns: u32) {
        let rtio = self.ctx.rtio();
        let start = rtio
            .now()
            .expect("rtio_hal::Delay needs a context with a clock (Rtio::with_clock)");
        let end = start + Duration::from_micros((ns as u64).div_ceil(1000));
        while rtio.now().is_some_and(|t| t < end) {
            core::hint::spin_loop();
        }
    }
}

impl embedded_hal::delay::DelayNs for Delay<'_> {
    fn delay_ns(&mut self, ns: u32) {
        if crate::transfer::delay_blocking(self.ctx, ns).is_err() {
            self.fallback(ns);
        }
    }
}

impl embedded_hal_async::delay::DelayNs for Delay<'_> {
    async fn delay_ns(&mut self, ns: u32) {
        if crate::transfer::delay(self.ctx, ns).await.is_err() {
            self.fallback(ns);
        }
    }
}
