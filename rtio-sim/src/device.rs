//! The bus-device core shared by I2C and SPI: a target model behind an address or chip
//! select on a [`Bus`], its fault script, its iodev, and the one walk over a transfer's
//! members that both protocols use.
//!
//! A protocol ([`Wire`]) only says how each member reaches its target model (I2C: START,
//! direction changes and STOP; SPI: chip select around full-duplex transfers); everything
//! else (queueing, cancellation, pool buffers, the typed handles) is here, once.

use crate::bus::{leak_iodev, Bus, BusClient, Protocol};
use crate::fault::{Fault, Faults};
use rtio::{Dev, Error, Iodev, IodevApi, OpId, Request, Token};
use std::boxed::Box;
use std::sync::{Mutex, OnceLock};

/// One transaction member as a target model sees it: pool reads are already resolved to the
/// bytes the transfer moves.
#[derive(Debug)]
pub(crate) enum Member<'a> {
    /// Nothing on the wire.
    Nop,
    /// Bytes from the controller.
    Write(&'a [u8]),
    /// Bytes to the controller, exactly as many as the entry asked for.
    Read(&'a mut [u8]),
    /// Both at once (SPI).
    Transceive { tx: &'a [u8], rx: &'a mut [u8] },
    /// Both at once on one buffer (SPI): sent, then overwritten with what came in.
    TransceiveInPlace(&'a mut [u8]),
    /// A wait with the bus held (SPI: chip select asserted); its time is part of the
    /// transfer's.
    DelayNs(u32),
    /// An I2C speed change.
    I2cConfigure { hz: u32 },
    /// An I2C bus recovery (nine clocks and a STOP).
    I2cRecover,
    /// A SPI clock and mode change.
    SpiConfigure { hz: u32 },
    /// An operation a bus device does not do.
    Unsupported,
}

/// The bytes a pool read moves: what the entry asked for, bounded by the blocks it got.
///
/// A pool buffer is whole blocks (S11), so it may be longer than the request; the device is
/// handed the requested length only, as a DMA transfer of that length would fill it.
pub(crate) fn pool_len(preferred: usize, got: usize) -> usize {
    preferred.min(got)
}

/// Calls `f` for every member of the transfer `token` in order, until one fails. Returns the
/// head member's byte count (the transfer's result) or the first error.
pub(crate) fn walk(
    token: &mut Token,
    mut f: impl FnMut(Member<'_>) -> Result<usize, Error>,
) -> Result<usize, Error> {
    let mut head = 0;
    for i in 0..token.transaction_len() {
        let pool = match token.member(i) {
            Some(Request::ReadPool { preferred, .. }) => Some(preferred),
            Some(_) => None,
            None => break,
        };
        let n = match pool {
            Some(preferred) => match token.member_pool_buf(i) {
                Ok(buf) => {
                    let n = pool_len(preferred, buf.len());
                    f(Member::Read(&mut buf[..n]))
                }
                Err(e) => Err(e),
            },
            None => {
                let m = match token.member(i) {
                    Some(Request::Nop) => Member::Nop,
                    Some(Request::Write(d)) => Member::Write(d),
                    Some(Request::Read(b)) => Member::Read(b),
                    Some(Request::Transceive { tx, rx }) => Member::Transceive { tx, rx },
                    Some(Request::TransceiveInPlace(b)) => Member::TransceiveInPlace(b),
                    Some(Request::DelayNs(ns)) => Member::DelayNs(ns),
                    Some(Request::I2cConfigure { hz }) => Member::I2cConfigure { hz },
                    Some(Request::I2cRecover) => Member::I2cRecover,
                    Some(Request::SpiConfigure { hz, .. }) => Member::SpiConfigure { hz },
                    _ => Member::Unsupported,
                };
                f(m)
            }
        }?;
        if i == 0 {
            head = n;
        }
    }
    Ok(head)
}

/// How one bus protocol runs a transfer against a target model of type `T`.
pub trait Wire<T>: Send + Sync + 'static {
    /// The protocol of the buses this wire attaches to.
    const PROTOCOL: Protocol;
    /// Runs every member of `token` against `target`; returns the head member's byte count.
    #[doc(hidden)]
    fn execute(
        target: &mut T,
        bus: &Bus,
        id: u8,
        token: &mut Token,
        fault: Option<Fault>,
    ) -> Result<usize, Error>;
}

/// A target model attached to a simulated bus: an iodev whose transfers take bus time.
///
/// `W` is the protocol ([`crate::I2c`] or [`crate::Spi`]); the aliases [`crate::I2cDevice`]
/// and [`crate::SpiDevice`] name the two.
///
/// ```
/// use rtio_sim::{Bus, Tmp105};
/// let bus = Bus::i2c("device-doc", 400_000);
/// let tmp = bus.attach_i2c(0x48, Tmp105::new(25.0));
/// tmp.with(|t| t.set_celsius(-10.0));
/// assert_eq!(tmp.with(|t| t.celsius()), -10.0);
/// assert_eq!((tmp.address(), tmp.bus().name()), (0x48, "device-doc"));
/// let _dev = tmp.dev(); // a typed handle for chains
/// ```
pub struct BusDevice<T: 'static, W> {
    bus: &'static Bus,
    id: u8,
    /// The model: shared by the devices of a target that answers at several addresses.
    target: &'static Mutex<T>,
    faults: Faults,
    iodev: OnceLock<&'static Iodev>,
    _wire: core::marker::PhantomData<fn() -> W>,
}

impl<T: 'static, W> core::fmt::Debug for BusDevice<T, W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BusDevice")
            .field("bus", &self.bus.name())
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// Attaches `target` to this bus at `id` (I2C address or SPI chip select).
    ///
    /// # Panics
    /// If this bus does not speak `W`'s protocol.
    pub(crate) fn attach<T: Send + 'static, W: Wire<T>>(
        &'static self,
        id: u8,
        target: T,
    ) -> &'static BusDevice<T, W> {
        assert_eq!(
            self.protocol(),
            W::PROTOCOL,
            "a {:?} device attached to a {:?} bus",
            W::PROTOCOL,
            self.protocol()
        );
        self.attach_shared(id, Box::leak(Box::new(Mutex::new(target))))
    }

    /// Attaches the model `target` (already shared) at `id`.
    pub(crate) fn attach_shared<T: Send + 'static, W: Wire<T>>(
        &'static self,
        id: u8,
        target: &'static Mutex<T>,
    ) -> &'static BusDevice<T, W> {
        assert_eq!(
            self.protocol(),
            W::PROTOCOL,
            "a {:?} device attached to a {:?} bus",
            W::PROTOCOL,
            self.protocol()
        );
        let d: &'static BusDevice<T, W> = Box::leak(Box::new(BusDevice {
            bus: self,
            id,
            target,
            faults: Faults::new(),
            iodev: OnceLock::new(),
            _wire: core::marker::PhantomData,
        }));
        let _ = d.iodev.set(leak_iodev(d));
        d
    }
}

impl<T: Send + 'static, W: Wire<T>> BusDevice<T, W> {
    /// The untyped iodev.
    pub fn iodev(&'static self) -> &'static Iodev {
        self.iodev.get_or_init(|| leak_iodev(self))
    }
    /// A handle of your own kind `K` (hand-written, `#[rtio_iodev]`, or generated from the
    /// devicetree), so chains are checked against what your device can do.
    pub fn dev_as<K: rtio::caps::Kind>(&'static self) -> Dev<K> {
        Dev::new_unchecked(self.iodev())
    }
    /// The bus it sits on.
    pub fn bus(&self) -> &'static Bus {
        self.bus
    }
    /// Its I2C address or SPI chip select.
    pub fn bus_id(&self) -> u8 {
        self.id
    }
    /// The fault script of this device.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
    /// Runs `f` on the device model (to set inputs or inspect state).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.target.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl<T: Send + 'static, W: Wire<T>> IodevApi for BusDevice<T, W> {
    fn submit(&'static self, token: Token) {
        self.bus.submit(self, token);
    }
    fn cancel(&'static self, op: OpId) {
        self.bus.cancel(op);
    }
}

impl<T: Send + 'static, W: Wire<T>> BusClient for BusDevice<T, W> {
    fn faults(&self) -> &Faults {
        &self.faults
    }
    fn bus_id(&self) -> u8 {
        self.id
    }
    fn execute(&'static self, token: &mut Token, fault: Option<Fault>) -> Result<usize, Error> {
        let mut t = self.target.lock().unwrap_or_else(|e| e.into_inner());
        W::execute(&mut t, self.bus, self.id, token, fault)
    }
}
