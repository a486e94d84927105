//! # rtio-hal: embedded-hal and embedded-io adapters for rtio
//!
//! Both directions:
//!
//! * **a blocking driver becomes an iodev**: [`I2cIodev`] wraps any blocking
//!   `embedded_hal::i2c::I2c` bus and a target address, [`SpiIodev`] any blocking
//!   `embedded_hal::spi::SpiDevice`. Operations run off the caller's path: from
//!   [`I2cIodev::step`] (poll-driven, `no_std`: call it from the main loop or a low-priority
//!   interrupt) or from a worker thread (`I2cIodev::spawn_worker`, feature `std`). A transaction of
//!   several entries becomes one `transaction` call with the matching operations, so the
//!   embedded-hal contract holds: one START and one STOP on I2C (repeated START only where
//!   the direction changes), chip select held on SPI;
//! * **an iodev becomes an embedded-hal-async device**: [`I2cHandle`] and [`SpiHandle`]
//!   implement `embedded_hal_async::i2c::I2c` / `embedded_hal_async::spi::SpiDevice` (and
//!   the blocking traits too), so existing driver crates run over rtio unchanged;
//!   [`Serial`] makes a UART iodev an `embedded_io` / `embedded_io_async` byte stream.
//!
//! [`Error`] wraps an [`rtio::Error`] and implements the embedded-hal and embedded-io error
//! traits, so errors keep their meaning across the boundary (NACK stays `NoAcknowledge`,
//! `Overrun` stays `Overrun`).
//!
//! ```
//! use embedded_hal::i2c::{Error as _, ErrorKind, NoAcknowledgeSource};
//! let e = rtio_hal::Error::from(rtio::Error::Nack);
//! assert_eq!(e.kind(), ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown));
//! assert_eq!(e.rtio(), rtio::Error::Nack);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

mod blocking;
mod handle;
mod serial;

pub use blocking::{I2cIodev, SpiIodev};
pub use handle::{I2cHandle, SpiHandle, MAX_ENTRIES};
pub use serial::Serial;

mod error;

pub use error::Error;

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
    rtio::block_on(fut)
}

/// Maps an embedded-hal I2C error to the rtio error a completion carries.
pub(crate) fn from_i2c<E: embedded_hal::i2c::Error>(e: E) -> rtio::Error {
    use embedded_hal::i2c::ErrorKind as K;
    use rtio::Error;
    match e.kind() {
        K::NoAcknowledge(_) => Error::Nack,
        K::Bus | K::ArbitrationLoss => Error::Bus,
        K::Overrun => Error::Overrun,
        _ => Error::Device(0),
    }
}

/// Maps an embedded-hal SPI error to the rtio error a completion carries.
pub(crate) fn from_spi<E: embedded_hal::spi::Error>(e: E) -> rtio::Error {
    use embedded_hal::spi::ErrorKind as K;
    use rtio::Error;
    match e.kind() {
        K::Overrun => Error::Overrun,
        K::ModeFault | K::ChipSelectFault => Error::Bus,
        _ => Error::Device(0),
    }
}
