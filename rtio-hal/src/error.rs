//! The adapters' error: an [`rtio::Error`] that speaks the embedded-hal and embedded-io
//! error traits.

/// An rtio error as drivers see it through the embedded-hal / embedded-io traits.
///
/// The orphan rule keeps `rtio::Error` from implementing those traits outside the runtime,
/// so the adapters return this wrapper; [`Error::rtio`] (or `From`) gives the runtime's error
/// back. A handle's transaction error also says which operation it concerns
/// ([`Error::operation`]) and, for a transaction larger than the context, how many entries
/// it needed and how many the context has ([`Error::entries_needed`]). Two errors compare
/// equal when their rtio errors do; where they happened is detail.
///
/// ```
/// use embedded_io::{Error as _, ErrorKind};
/// let e = rtio_hal::Error::from(rtio::Error::TimedOut);
/// assert_eq!(e.kind(), ErrorKind::TimedOut);
/// assert_eq!(rtio::Error::from(e), rtio::Error::TimedOut);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Error {
    error: rtio::Error,
    operation: Option<usize>,
    entries: Option<(usize, usize)>,
}

impl Error {
    /// The runtime's error.
    pub fn rtio(self) -> rtio::Error {
        self.error
    }

    /// The operation of the transaction (0 is the first) that failed first, when the error
    /// came from one. A transaction fails as a whole on the bus, so its first operation
    /// usually carries a device's error (S5); a later index points at that operation.
    pub fn operation(self) -> Option<usize> {
        self.operation
    }

    /// For a transaction larger than the context ([`rtio::Error::InvalidArgument`]): the
    /// entries it needs (one per operation and the LINK_TIMEOUT) and the entries the context
    /// has. A transaction cannot be split, so the context must be given more entries.
    pub fn entries_needed(self) -> Option<(usize, usize)> {
        self.entries
    }

    pub(crate) fn at(error: rtio::Error, operation: Option<usize>) -> Self {
        Error {
            error,
            operation,
            entries: None,
        }
    }

    pub(crate) fn too_many_entries(needed: usize, size: usize) -> Self {
        Error {
            error: rtio::Error::InvalidArgument,
            operation: None,
            entries: Some((needed, size)),
        }
    }
}

impl From<rtio::Error> for Error {
    fn from(e: rtio::Error) -> Self {
        Error::at(e, None)
    }
}

impl From<Error> for rtio::Error {
    fn from(e: Error) -> Self {
        e.error
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.error == other.error
    }
}

impl Eq for Error {}

impl PartialEq<rtio::Error> for Error {
    fn eq(&self, other: &rtio::Error) -> bool {
        self.error == *other
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)?;
        if let Some((needed, size)) = self.entries {
            write!(
                f,
                ": the transaction needs {needed} entries at once, the context has {size}"
            )?;
        }
        if let Some(op) = self.operation {
            write!(f, " (operation {op} of the transaction)")?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> embedded_hal::i2c::ErrorKind {
        use embedded_hal::i2c::{ErrorKind as K, NoAcknowledgeSource};
        match self.error {
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
        match self.error {
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
        match self.error {
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
