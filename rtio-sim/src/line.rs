//! A simulated GPIO line: an output pin a driver sets and a device model reads (a display's
//! D/C line, a chip's reset), shared between the two.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A GPIO line between a driver (which sets it, through `embedded_hal::digital::OutputPin`)
/// and a device model (which reads it with [`Line::is_high`]). Clones are the same wire.
///
/// A model reads the line when it executes a transfer, at the transfer's start on the bus
/// thread: as on hardware, a driver must not change the line while a transfer that depends
/// on it is still queued (blocking drivers never do; their transfers finish first).
///
/// ```
/// use embedded_hal::digital::{OutputPin, StatefulOutputPin};
/// let mut dc = rtio_sim::Line::new(false);
/// let seen_by_the_model = dc.clone();
/// dc.set_high().unwrap();
/// assert!(seen_by_the_model.is_high());
/// assert!(dc.is_set_high().unwrap());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Line(Arc<AtomicBool>);

impl Line {
    /// A line at `high`.
    pub fn new(high: bool) -> Line {
        Line(Arc::new(AtomicBool::new(high)))
    }
    /// Whether the line is high.
    pub fn is_high(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
    /// Drives the line.
    pub fn set(&self, high: bool) {
        self.0.store(high, Ordering::Release);
    }
}

impl embedded_hal::digital::ErrorType for Line {
    type Error = core::convert::Infallible;
}

impl embedded_hal::digital::OutputPin for Line {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.set(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.set(true);
        Ok(())
    }
}

impl embedded_hal::digital::StatefulOutputPin for Line {
    fn is_set_high(&mut self) -> Result<bool, Self::Error> {
        Ok(Line::is_high(self))
    }
    fn is_set_low(&mut self) -> Result<bool, Self::Error> {
        Ok(!Line::is_high(self))
    }
}

impl embedded_hal::digital::InputPin for Line {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        Ok(Line::is_high(self))
    }
    fn is_low(&mut self) -> Result<bool, Self::Error> {
        Ok(!Line::is_high(self))
    }
}
