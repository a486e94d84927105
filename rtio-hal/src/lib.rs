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
//! * **an iodev becomes an embedded-hal device**: [`I2cHandle`] and [`SpiHandle`]
//!   implement `embedded_hal::i2c::I2c` / `embedded_hal::spi::SpiDevice` and their
//!   `embedded_hal_async` counterparts, so existing driver crates run over rtio unchanged.
//!   Every operation (SPI: `Read`, `Write`, `Transfer`, `TransferInPlace`, `DelayNs`) of any
//!   length and in any number becomes one rtio transaction on the caller's own buffers
//!   ([`rtio::Scope::chain`]: no copy, no pool), bounded by a LINK_TIMEOUT (`with_timeout`),
//!   so a hung device gives `TimedOut` with nothing left in flight. The one limit is the
//!   context: `n` operations need `n + 1` entries at once, and a larger transaction is
//!   refused with both sizes ([`Error::entries_needed`]);
//!   [`Serial`] makes a UART iodev an `embedded_io` / `embedded_io_async` byte stream.
//!
//! [`Error`] wraps an [`rtio::Error`] and implements the embedded-hal and embedded-io error
//! traits, so errors keep their meaning across the boundary (NACK stays `NoAcknowledge`,
//! `Overrun` stays `Overrun`); it also names the operation of a transaction that failed
//! ([`Error::operation`]).
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

mod async_iodev;
mod delay;
mod i2c;
mod i2c_iodev;
mod serial;
mod spi;
mod spi_iodev;
mod transfer;
mod worker;

pub use async_iodev::{AsyncI2cIodev, AsyncSpiIodev};
pub use delay::Delay;
pub use i2c::{I2cHandle, MAX_TARGETS};
pub use i2c_iodev::I2cIodev;
pub use serial::Serial;
pub use spi::SpiHandle;
pub use spi_iodev::SpiIodev;
pub use transfer::{DEFAULT_TIMEOUT, MAX_ENTRIES};

mod error;

pub use error::Error;
pub(crate) use error::{from_i2c, from_spi};
