//! The SPI protocol: what a target model implements, and how a transfer reaches it.

use crate::bus::{corrupt, fault_error, Bus, Protocol};
use crate::device::{walk, BusDevice, Member, Wire};
use crate::fault::Fault;
use crate::SpiKind;
use rtio::{Dev, Error, Token};

/// The model of a SPI target, as the bus sees it.
///
/// A bus transaction is [`SpiTarget::select`] (chip select asserted), one or more
/// [`SpiTarget::transfer`] calls (chip select held between them), and
/// [`SpiTarget::deselect`].
///
/// ```
/// use rtio_sim::{Bus, SpiTarget};
/// use rtio::Error;
/// /// Echoes each byte plus one (a full-duplex device).
/// struct Plus1;
/// impl SpiTarget for Plus1 {
///     fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
///         for (r, t) in rx.iter_mut().zip(tx) { *r = t.wrapping_add(1); }
///         Ok(())
///     }
/// }
/// let dev = Bus::spi("spi-target-doc", 1_000_000).attach_spi(2, Plus1);
/// assert_eq!(dev.cs(), 2);
/// ```
pub trait SpiTarget: Send + 'static {
    /// Chip select asserted.
    fn select(&mut self) {}
    /// One full-duplex transfer: `tx` is shifted out while `rx` is shifted in; the shorter
    /// side is padded (`tx` with 0x00, `rx` dropped). A read-only transfer has an empty `tx`,
    /// a write-only one an empty `rx`.
    ///
    /// # Errors
    /// A device-specific failure.
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error>;
    /// The controller waits `ns` nanoseconds with chip select held (embedded-hal's
    /// `Operation::DelayNs` inside a transaction); the bus time includes it. The default
    /// does nothing.
    fn delay_ns(&mut self, ns: u32) {
        let _ = ns;
    }
    /// Chip select released.
    fn deselect(&mut self) {}
}

/// The SPI protocol, for [`BusDevice`]: chip select asserted for the whole transfer,
/// full-duplex bytes, chip select released.
#[derive(Debug)]
pub struct Spi;

/// A target attached to a simulated SPI bus behind its own chip select.
///
/// ```
/// use rtio_sim::{Bus, SpiTarget};
/// use rtio::Error;
/// struct Quiet;
/// impl SpiTarget for Quiet {
///     fn transfer(&mut self, _tx: &[u8], rx: &mut [u8]) -> Result<(), Error> { rx.fill(0xFF); Ok(()) }
/// }
/// let dev = Bus::spi("spi-doc", 25_000_000).attach_spi(3, Quiet);
/// assert_eq!(dev.cs(), 3);
/// ```
pub type SpiDevice<T> = BusDevice<T, Spi>;

impl Bus {
    /// Attaches a SPI target on chip select `cs`.
    ///
    /// # Panics
    /// If this bus is not a SPI bus.
    pub fn attach_spi<T: SpiTarget>(&'static self, cs: u8, target: T) -> &'static SpiDevice<T> {
        self.attach(cs, target)
    }
}

impl<T: SpiTarget> BusDevice<T, Spi> {
    /// A typed handle for chain builders.
    pub fn dev(&'static self) -> Dev<SpiKind> {
        Dev::new_unchecked(self.iodev())
    }
    /// The chip-select line.
    pub fn cs(&self) -> u8 {
        self.bus_id()
    }
}

impl<T: SpiTarget> Wire<T> for Spi {
    const PROTOCOL: Protocol = Protocol::Spi;

    fn execute(
        t: &mut T,
        bus: &Bus,
        _cs: u8,
        token: &mut Token,
        fault: Option<Fault>,
    ) -> Result<usize, Error> {
        fault_error(fault)?;
        t.select();
        let res = walk(token, |m| match m {
            Member::Nop => Ok(0),
            Member::Write(tx) => {
                t.transfer(tx, &mut [])?;
                Ok(tx.len())
            }
            Member::Read(rx) => {
                t.transfer(&[], rx)?;
                corrupt(fault, rx);
                Ok(rx.len())
            }
            Member::Transceive { tx, rx } => {
                t.transfer(tx, rx)?;
                corrupt(fault, rx);
                Ok(tx.len().max(rx.len()))
            }
            Member::TransceiveInPlace(buf) => {
                // The wire shifts each byte out as the answer comes in: the model sees the
                // bytes sent and the buffer to fill as two sides, as on the wire.
                let tx = buf.to_vec();
                t.transfer(&tx, buf)?;
                corrupt(fault, buf);
                Ok(buf.len())
            }
            Member::DelayNs(ns) => {
                t.delay_ns(ns);
                Ok(0)
            }
            Member::SpiConfigure { hz } => {
                bus.set_hz(hz);
                Ok(0)
            }
            _ => Err(Error::NotSupported),
        });
        t.deselect();
        res
    }
}
