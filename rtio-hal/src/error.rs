//! The adapters' error: an [`rtio::Error`] that speaks the embedded-hal and embedded-io
//! error traits.

/// An rtio error as drivers see it through the embedded-hal / embedded-io traits.
///
/// The orphan rule keeps `rtio::Error` from implementing those traits outside the runtime,
/// so the adapters return this wrapper; [`Error::rtio`] (or `From`) gives the runtime's error
/// back.
///
/// ```
/// use embedded_io::{Error as _, ErrorKind};
/// let e = rtio_hal::Error::from(rtio::Error::TimedOut);
/// assert_eq!(e.kind(), ErrorKind::TimedOut);
/// assert_eq!(rtio::Error::from(e), rtio::Error::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(rtio::Error);

impl Error {
    /// The runtime's error.
    pub fn rtio(self) -> rtio::Error {
        self.0
    }
}

impl From<rtio::Error> for Error {
    fn from(e: rtio::Error) -> Self {
        Error(e)
    }
}

impl From<Error> for rtio::Error {
    fn from(e: Error) -> Self {
        e.0
    }
}

impl PartialEq<rtio::Error> for Error {
    fn eq(&self, other: &rtio::Error) -> bool {
        self.0 == *other
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}

impl core::error::Error for Error {}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> embedded_hal::i2c::ErrorKind {
        use embedded_hal::i2c::{ErrorKind as K, NoAcknowledgeSource};
        match self.0 {
            rtio::Error::Nack => K::NoAcknowledge(NoAcknowledgeSource::Unknown),
            rtio::Error::Bus => K::Bus,
            rtio::Error::Overrun => K::Overrun,
            _ => K::Other,
        }
    }
}

impl embedded_hal::spi::Error for Error {
    fn kind(&self) -> embedded_hal::spi::ErrorKind {
        use embedded_hal::spi::ErrorKind as K;
        match self.0 {
            rtio::Error::Overrun => K::Overrun,
            _ => K::Other,
        }
    }
}

impl embedded_hal::digital::Error for Error {
    fn kind(&self) -> embedded_hal::digital::ErrorKind {
        embedded_hal::digital::ErrorKind::Other
    }
}

impl embedded_io::Error for Error {
    fn kind(&self) -> embedded_io::ErrorKind {
        use embedded_io::ErrorKind as K;
        match self.0 {
            rtio::Error::TimedOut => K::TimedOut,
            rtio::Error::Canceled => K::Interrupted,
            rtio::Error::NotSupported => K::Unsupported,
            rtio::Error::InvalidArgument => K::InvalidInput,
            rtio::Error::NoMemory | rtio::Error::QueueFull => K::OutOfMemory,
            _ => K::Other,
        }
    }
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
