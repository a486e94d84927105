//! Time: instants, durations and the clock that DELAY, LINK_TIMEOUT and deadlines use (S8).
//!
//! Time is counted in microseconds of a monotonic clock. A context gets its clock at
//! construction ([`crate::Rtio::with_clock`]); on the host, the `std` feature provides
//! `StdClock`. A clock may also raise alarms: when the earliest deadline of a context changes,
//! the runtime calls [`Clock::set_alarm`], and the clock's interrupt (or thread) calls
//! [`crate::Rtio::on_alarm`] when it is due. Clocks without alarms still work: timers are then
//! advanced whenever the owner polls or waits.

use core::ops::{Add, Sub};

/// A point in time, in microseconds since the clock's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The instant `us` microseconds after the epoch.
    pub const fn from_micros(us: u64) -> Self {
        Instant(us)
    }
    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

/// A span of time in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Duration {
    /// Zero duration.
    pub const ZERO: Duration = Duration(0);
    /// `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        Duration(us)
    }
    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1000))
    }
    /// `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1_000_000))
    }
    /// The duration in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_since(earlier)
    }
}

#[cfg(feature = "std")]
impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> Self {
        std::time::Duration::from_micros(d.0)
    }
}

/// A monotonic clock, optionally with an alarm.
pub trait Clock: Sync {
    /// The current time.
    fn now(&self) -> Instant;

    /// Requests that `rtio.on_alarm()` be called at or after `at`. A later call replaces the
    /// request. The default does nothing: timers then advance only when the owner polls or
    /// waits (which is enough for blocking and polling users).
    fn set_alarm(&self, at: Instant, rtio: &'static crate::Rtio) {
        let _ = (at, rtio);
    }
}

#[cfg(feature = "std")]
mod std_clock {
    use super::{Clock, Instant};
    use std::sync::{Condvar, Mutex, OnceLock};
    use std::vec::Vec;

    /// The host's monotonic clock, with alarms served by one background thread.
    #[derive(Debug, Default)]
    pub struct StdClock {
        _private: (),
    }

    /// The process-wide host clock.
    pub static STD_CLOCK: StdClock = StdClock { _private: () };

    fn epoch() -> std::time::Instant {
        static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
        *EPOCH.get_or_init(std::time::Instant::now)
    }

    type Alarms = Vec<(Instant, &'static crate::Rtio)>;

    fn alarms() -> &'static (Mutex<Alarms>, Condvar) {
        static ALARMS: OnceLock<(Mutex<Alarms>, Condvar)> = OnceLock::new();
        ALARMS.get_or_init(|| {
            std::thread::Builder::new()
                .name("rtio-alarm".into())
                .spawn(alarm_thread)
                .expect("spawn the rtio alarm thread");
            (Mutex::new(Vec::new()), Condvar::new())
        })
    }

    fn alarm_thread() {
        let (lock, cv) = alarms();
        let mut list = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = STD_CLOCK.now();
            let mut due = Vec::new();
            list.retain(|&(at, r)| {
                if at <= now {
                    due.push(r);
                    false
                } else {
                    true
                }
            });
            if !due.is_empty() {
                drop(list);
                for r in due {
                    r.on_alarm();
                }
                list = lock.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let next = list.iter().map(|a| a.0).min();
            list = match next {
                Some(at) => {
                    let d = std::time::Duration::from_micros(at.as_micros() - now.as_micros());
                    cv.wait_timeout(list, d)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => cv.wait(list).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }

    impl Clock for StdClock {
        fn now(&self) -> Instant {
            Instant::from_micros(epoch().elapsed().as_micros() as u64)
        }

        fn set_alarm(&self, at: Instant, rtio: &'static crate::Rtio) {
            let (lock, cv) = alarms();
            let mut list = lock.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(a) = list.iter_mut().find(|a| core::ptr::eq(a.1, rtio)) {
                a.0 = at;
            } else {
                list.push((at, rtio));
            }
            cv.notify_one();
        }
    }
}

#[cfg(feature = "std")]
pub use std_clock::{StdClock, STD_CLOCK};

/// A clock that only moves when told to: for deterministic tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: portable_atomic::AtomicU64,
}

impl ManualClock {
    /// A clock at time zero.
    pub const fn new() -> Self {
        ManualClock {
            now: portable_atomic::AtomicU64::new(0),
        }
    }
    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.now
            .fetch_add(d.as_micros(), portable_atomic::Ordering::AcqRel);
    }
    /// Sets the clock to `t` (it may not go backwards; earlier values are ignored).
    pub fn set(&self, t: Instant) {
        self.now
            .fetch_max(t.as_micros(), portable_atomic::Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        Instant(self.now.load(portable_atomic::Ordering::Acquire))
    }
}
