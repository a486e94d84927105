//! Adapters between iodevs and the embedded-hal family (feature `embedded-hal`).
//!
//! Both directions:
//!
//! * **a blocking driver becomes an iodev**: [`I2cIodev`] wraps any blocking
//!   `embedded_hal::i2c::I2c` bus and a target address, [`SpiIodev`] any blocking
//!   `embedded_hal::spi::SpiDevice`. Operations run off the caller's path: from
//!   [`I2cIodev::step`] (poll-driven, `no_std`: call it from the main loop or a low-priority
//!   interrupt) or from a worker thread ([`I2cIodev::spawn_worker`], `std`). A transaction of
//!   several entries becomes one `transaction` call with the matching operations, so the
//!   embedded-hal contract holds: one START and one STOP on I2C (repeated START only where
//!   the direction changes), chip select held on SPI;
//! * **an iodev becomes an embedded-hal-async device**: [`I2cHandle`] and [`SpiHandle`]
//!   implement `embedded_hal_async::i2c::I2c` / `embedded_hal_async::spi::SpiDevice` (and
//!   the blocking traits too), so existing driver crates run over rtio unchanged;
//!   [`Serial`] makes a UART iodev an `embedded_io` / `embedded_io_async` byte stream.
//!
//! [`crate::Error`] implements the embedded-hal and embedded-io error traits, so errors keep
//! their meaning across the boundary (NACK stays `NoAcknowledge`, `Overrun` stays `Overrun`).
//!
//! ```
//! use embedded_hal::i2c::{Error, ErrorKind, NoAcknowledgeSource};
//! let e = rtio::Error::Nack;
//! assert_eq!(Error::kind(&e), ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown));
//! ```
#![forbid(unsafe_code)]

mod blocking;
mod handle;
mod serial;

pub use blocking::{I2cIodev, SpiIodev};
pub use handle::{I2cHandle, SpiHandle, MAX_ENTRIES};
pub use serial::Serial;

use crate::Error;

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> embedded_hal::i2c::ErrorKind {
        use embedded_hal::i2c::{ErrorKind as K, NoAcknowledgeSource};
        match self {
            Error::Nack => K::NoAcknowledge(NoAcknowledgeSource::Unknown),
            Error::Bus => K::Bus,
            Error::Overrun => K::Overrun,
            _ => K::Other,
        }
    }
}

impl embedded_hal::spi::Error for Error {
    fn kind(&self) -> embedded_hal::spi::ErrorKind {
        use embedded_hal::spi::ErrorKind as K;
        match self {
            Error::Overrun => K::Overrun,
            _ => K::Other,
        }
    }
}

impl embedded_io::Error for Error {
    fn kind(&self) -> embedded_io::ErrorKind {
        use embedded_io::ErrorKind as K;
        match self {
            Error::TimedOut => K::TimedOut,
            Error::Canceled => K::Interrupted,
            Error::NotSupported => K::Unsupported,
            Error::InvalidArgument => K::InvalidInput,
            Error::NoMemory | Error::QueueFull => K::OutOfMemory,
            _ => K::Other,
        }
    }
}

/// Runs an adapter future to completion for the blocking embedded-hal traits: parks the
/// thread between completions on `std` (a completion unparks it), spins otherwise.
pub(crate) fn block<F: core::future::Future>(fut: F) -> F::Output {
    #[cfg(feature = "std")]
    {
        use std::sync::Arc;
        use std::task::{Context as TaskCx, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = TaskCx::from_waker(&waker);
        let mut fut = core::pin::pin!(fut);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            // Timers (LINK_TIMEOUT, DELAY) also advance on the context's alarm thread.
            std::thread::park_timeout(std::time::Duration::from_millis(10));
        }
    }
    #[cfg(not(feature = "std"))]
    crate::block_on(fut)
}

/// Maps an embedded-hal I2C error to the rtio error a completion carries.
pub(crate) fn from_i2c<E: embedded_hal::i2c::Error>(e: E) -> Error {
    use embedded_hal::i2c::ErrorKind as K;
    match e.kind() {
        K::NoAcknowledge(_) => Error::Nack,
        K::Bus | K::ArbitrationLoss => Error::Bus,
        K::Overrun => Error::Overrun,
        _ => Error::Device(0),
    }
}

/// Maps an embedded-hal SPI error to the rtio error a completion carries.
pub(crate) fn from_spi<E: embedded_hal::spi::Error>(e: E) -> Error {
    use embedded_hal::spi::ErrorKind as K;
    match e.kind() {
        K::Overrun => Error::Overrun,
        K::ModeFault | K::ChipSelectFault => Error::Bus,
        _ => Error::Device(0),
    }
}

#[cfg(all(test, feature = "std"))]
mod tests;
