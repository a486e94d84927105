//! The I2C protocol: what a target model implements, and how a transfer reaches it.

use crate::bus::{corrupt, fault_error, Bus, Protocol};
use crate::device::{walk, BusDevice, Member, Wire};
use crate::fault::Fault;
use crate::I2cKind;
use rtio::{Dev, Error, Token};
use std::vec::Vec;

/// The model of an I2C target, as the bus sees it.
///
/// A bus transaction is: [`I2cTarget::start`] (START or repeated START with the direction,
/// `Err(Nack)` to refuse the address), then bytes ([`I2cTarget::write`] / [`I2cTarget::read`];
/// adjacent operations of one direction are one stream with no START between them, as the
/// embedded-hal contract states), and [`I2cTarget::stop`] once at the end.
///
/// ```
/// use rtio_sim::{Bus, I2cTarget};
/// use rtio::Error;
/// /// A one-register device that counts its reads.
/// #[derive(Default)]
/// struct Counter(u8);
/// impl I2cTarget for Counter {
///     fn write(&mut self, _data: &[u8]) -> Result<(), Error> { Err(Error::Nack) } // read-only
///     fn read(&mut self, buf: &mut [u8]) -> Result<(), Error> {
///         self.0 += 1;
///         buf.fill(self.0);
///         Ok(())
///     }
/// }
/// let dev = Bus::i2c("i2c-target-doc", 400_000).attach_i2c(0x20, Counter::default());
/// dev.with(|c| assert_eq!(c.0, 0));
/// ```
pub trait I2cTarget: Send + 'static {
    /// START or repeated START addressed to this target. `Err(Nack)` refuses the address.
    ///
    /// # Errors
    /// [`Error::Nack`] when the target does not acknowledge (for example while busy).
    fn start(&mut self, read: bool) -> Result<(), Error> {
        let _ = read;
        Ok(())
    }
    /// START or repeated START at `address`: what a target that answers at several
    /// addresses ([`Bus::attach_i2c_many`]) implements; the default calls
    /// [`I2cTarget::start`].
    ///
    /// # Errors
    /// As [`I2cTarget::start`].
    fn start_at(&mut self, address: u8, read: bool) -> Result<(), Error> {
        let _ = address;
        self.start(read)
    }
    /// Bytes written by the controller.
    ///
    /// # Errors
    /// [`Error::Nack`] when the target refuses a data byte.
    fn write(&mut self, data: &[u8]) -> Result<(), Error>;
    /// Bytes read by the controller.
    ///
    /// # Errors
    /// A device-specific failure.
    fn read(&mut self, buf: &mut [u8]) -> Result<(), Error>;
    /// STOP: the end of the bus transaction.
    fn stop(&mut self) {}
}

/// The I2C protocol, for [`BusDevice`]: START (or repeated START) with the direction where it
/// changes, bytes, one STOP at the end of the transfer.
#[derive(Debug)]
pub struct I2c;

/// A target attached to a simulated I2C bus: an iodev whose transfers take bus time.
///
/// ```
/// use rtio_sim::{Bus, Tmp105};
/// let bus = Bus::i2c("i2c-doc", 400_000);
/// let tmp = bus.attach_i2c(0x48, Tmp105::new(25.0));
/// assert_eq!(tmp.address(), 0x48);
/// ```
pub type I2cDevice<T> = BusDevice<T, I2c>;

impl Bus {
    /// Attaches an I2C target at `address` (7-bit).
    ///
    /// # Panics
    /// If this bus is not an I2C bus.
    pub fn attach_i2c<T: I2cTarget>(
        &'static self,
        address: u8,
        target: T,
    ) -> &'static I2cDevice<T> {
        self.attach(address, target)
    }
}

impl Bus {
    /// Attaches one I2C target that answers at each of `addresses` (a 24C16-style EEPROM
    /// whose blocks are addresses, a device with a general-call address): one model, one
    /// device (and iodev) per address, in the order given. The model learns the address of
    /// each transfer from [`I2cTarget::start_at`].
    ///
    /// # Panics
    /// If this bus is not an I2C bus.
    pub fn attach_i2c_many<T: I2cTarget>(
        &'static self,
        addresses: &[u8],
        target: T,
    ) -> Vec<&'static I2cDevice<T>> {
        let shared: &'static std::sync::Mutex<T> =
            std::boxed::Box::leak(std::boxed::Box::new(std::sync::Mutex::new(target)));
        addresses
            .iter()
            .map(|&a| self.attach_shared(a, shared))
            .collect()
    }
}

impl<T: I2cTarget> BusDevice<T, I2c> {
    /// A typed handle for chain builders.
    pub fn dev(&'static self) -> Dev<I2cKind> {
        Dev::new_unchecked(self.iodev())
    }
    /// The 7-bit address.
    pub fn address(&self) -> u8 {
        self.bus_id()
    }
}

impl<T: I2cTarget> Wire<T> for I2c {
    const PROTOCOL: Protocol = Protocol::I2c;

    fn execute(
        t: &mut T,
        bus: &Bus,
        address: u8,
        token: &mut Token,
        fault: Option<Fault>,
    ) -> Result<usize, Error> {
        // The direction of the last START: a new one only where it changes (adjacent
        // operations of one direction are one stream, as embedded-hal states).
        let mut dir: Option<bool> = None;
        let mut start = |t: &mut T, read: bool| -> Result<(), Error> {
            if dir != Some(read) {
                dir = Some(read);
                t.start_at(address, read)?;
            }
            fault_error(fault)
        };
        let res = walk(token, |m| match m {
            Member::Nop => Ok(0),
            Member::Write(data) => {
                start(t, false)?;
                t.write(data)?;
                Ok(data.len())
            }
            Member::Read(buf) => {
                start(t, true)?;
                t.read(buf)?;
                corrupt(fault, buf);
                Ok(buf.len())
            }
            Member::I2cConfigure { hz } => {
                bus.set_hz(hz);
                Ok(0)
            }
            Member::I2cRecover => Ok(0),
            // The controller holds the bus (no STOP) for the time; it is part of the
            // transfer's time.
            Member::DelayNs(_) => Ok(0),
            _ => Err(Error::NotSupported),
        });
        if dir.is_some() {
            t.stop();
        }
        res
    }
}
