//! I2C targets with register maps: a TMP105-like temperature sensor and an AT24C-like EEPROM.

use super::bus::{corrupt, fault_error, leak_iodev, Bus, BusClient, Protocol};
use super::fault::{Fault, Faults};
use super::I2cKind;
use crate::iodev::{Dev, Iodev, IodevApi, OpId, Request, Token};
use crate::Error;
use std::boxed::Box;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec;
use std::vec::Vec;

/// The model of an I2C target, as the bus sees it.
///
/// A bus transaction is: [`I2cTarget::start`] (START or repeated START with the direction,
/// `Err(Nack)` to refuse the address), then bytes ([`I2cTarget::write`] / [`I2cTarget::read`];
/// adjacent operations of one direction are one stream with no START between them, as the
/// embedded-hal contract states), and [`I2cTarget::stop`] once at the end.
///
/// ```
/// use rtio::sim::{Bus, I2cTarget};
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

/// A target attached to a simulated I2C bus: an iodev whose transfers take bus time.
///
/// ```
/// use rtio::sim::{Bus, Tmp105};
/// let bus = Bus::i2c("i2c-doc", 400_000);
/// let tmp = bus.attach_i2c(0x48, Tmp105::new(25.0));
/// tmp.with(|t| t.set_celsius(-10.0));
/// assert_eq!(tmp.with(|t| t.celsius()), -10.0);
/// let _dev = tmp.dev(); // a typed handle for chains
/// ```
pub struct I2cDevice<T: I2cTarget> {
    bus: &'static Bus,
    address: u8,
    target: Mutex<T>,
    faults: Faults,
    iodev: OnceLock<&'static Iodev>,
}

impl<T: I2cTarget> core::fmt::Debug for I2cDevice<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("I2cDevice")
            .field("bus", &self.bus.name())
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

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
        assert_eq!(
            self.protocol(),
            Protocol::I2c,
            "attach_i2c on a non-I2C bus"
        );
        let d: &'static I2cDevice<T> = Box::leak(Box::new(I2cDevice {
            bus: self,
            address,
            target: Mutex::new(target),
            faults: Faults::new(),
            iodev: OnceLock::new(),
        }));
        let _ = d.iodev.set(leak_iodev(d));
        d
    }
}

impl<T: I2cTarget> I2cDevice<T> {
    /// The untyped iodev.
    pub fn iodev(&'static self) -> &'static Iodev {
        self.iodev.get_or_init(|| leak_iodev(self))
    }
    /// A typed handle for chain builders.
    pub fn dev(&'static self) -> Dev<I2cKind> {
        Dev::new(self.iodev())
    }
    /// A handle of your own kind `K` (hand-written, `#[rtio_iodev]`, or generated from the
    /// devicetree), so chains are checked against what your device can do.
    pub fn dev_as<K: crate::caps::Kind>(&'static self) -> Dev<K> {
        Dev::new(self.iodev())
    }
    /// The 7-bit address.
    pub fn address(&self) -> u8 {
        self.address
    }
    /// The bus it sits on.
    pub fn bus(&self) -> &'static Bus {
        self.bus
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

impl<T: I2cTarget> IodevApi for I2cDevice<T> {
    fn submit(&'static self, token: Token) {
        self.bus.submit(self, token);
    }
    fn cancel(&'static self, op: OpId) {
        self.bus.cancel(op);
    }
}

impl<T: I2cTarget> BusClient for I2cDevice<T> {
    fn faults(&self) -> &Faults {
        &self.faults
    }
    fn bus_id(&self) -> u8 {
        self.address
    }

    fn execute(&'static self, token: &mut Token, fault: Option<Fault>) -> Result<usize, Error> {
        let mut t = self.target.lock().unwrap_or_else(|e| e.into_inner());
        let mut head_len = 0;
        let mut dir: Option<bool> = None;
        let mut res = Ok(());
        for i in 0..token.transaction_len() {
            let Some(req) = token.member(i) else { break };
            let step = match req {
                Request::Nop => Ok(0),
                Request::Write(data) => {
                    let r = if dir != Some(false) {
                        dir = Some(false);
                        t.start(false)
                    } else {
                        Ok(())
                    };
                    r.and_then(|_| fault_error(fault))
                        .and_then(|_| t.write(data))
                        .map(|_| data.len())
                }
                Request::Read(buf) => {
                    let r = if dir != Some(true) {
                        dir = Some(true);
                        t.start(true)
                    } else {
                        Ok(())
                    };
                    r.and_then(|_| fault_error(fault))
                        .and_then(|_| t.read(buf))
                        .map(|_| {
                            corrupt(fault, buf);
                            buf.len()
                        })
                }
                Request::ReadPool { .. } => {
                    let buf = token.member_pool_buf(i);
                    match buf {
                        Ok(buf) => {
                            let r = if dir != Some(true) {
                                dir = Some(true);
                                t.start(true)
                            } else {
                                Ok(())
                            };
                            r.and_then(|_| fault_error(fault))
                                .and_then(|_| t.read(buf))
                                .map(|_| {
                                    corrupt(fault, buf);
                                    buf.len()
                                })
                        }
                        Err(e) => Err(e),
                    }
                }
                Request::I2cConfigure { hz } => {
                    self.bus.set_hz(hz);
                    Ok(0)
                }
                Request::I2cRecover => Ok(0),
                _ => Err(Error::NotSupported),
            };
            match step {
                Ok(n) if i == 0 => head_len = n,
                Ok(_) => {}
                Err(e) => {
                    res = Err(e);
                    break;
                }
            }
        }
        if dir.is_some() {
            t.stop();
        }
        res.map(|_| head_len)
    }
}

/// A TMP105-like temperature sensor.
///
/// Registers, selected by the pointer register (the first byte written):
/// `0` temperature (read-only, 12-bit left-justified two's complement, 0.0625 °C/LSB),
/// `1` configuration (8-bit; bits 6:5 select 9- to 12-bit resolution, and the model starts
/// at 12 bits, `0x60`, where the real part powers up at 9), `2` T_LOW and `3` T_HIGH
/// (16-bit). A read without a new pointer reads the last register pointed to, as on the
/// real part.
///
/// ```
/// use rtio::sim::{I2cTarget, Tmp105};
/// let mut t = Tmp105::new(25.5);
/// t.write(&[0x00]).unwrap();
/// let mut b = [0u8; 2];
/// t.read(&mut b).unwrap();
/// assert_eq!(b, [0x19, 0x80]);
/// assert_eq!(Tmp105::decode(b), 25.5);
/// ```
#[derive(Debug, Clone)]
pub struct Tmp105 {
    temp_raw: i16,
    pointer: u8,
    config: u8,
    t_low: u16,
    t_high: u16,
    reads: u64,
}

impl Tmp105 {
    /// A sensor reading `celsius`.
    pub fn new(celsius: f32) -> Self {
        let mut t = Tmp105 {
            temp_raw: 0,
            pointer: 0,
            config: 0x60,
            t_low: 0x4B00,
            t_high: 0x5000,
            reads: 0,
        };
        t.set_celsius(celsius);
        t
    }
    /// Sets the temperature the sensor reads (rounded to 0.0625 °C).
    pub fn set_celsius(&mut self, c: f32) {
        let counts = (c * 16.0).round().clamp(-2048.0, 2047.0) as i16;
        self.temp_raw = counts << 4;
    }
    /// The temperature the sensor reads.
    pub fn celsius(&self) -> f32 {
        Self::decode(self.temp_raw.to_be_bytes())
    }
    /// The configuration register.
    pub fn config(&self) -> u8 {
        self.config
    }
    /// The pointer register.
    pub fn pointer(&self) -> u8 {
        self.pointer
    }
    /// The T_HIGH register.
    pub fn t_high(&self) -> u16 {
        self.t_high
    }
    /// The T_LOW register.
    pub fn t_low(&self) -> u16 {
        self.t_low
    }
    /// Register reads served so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }
    /// Decodes the two temperature-register bytes into °C.
    pub fn decode(bytes: [u8; 2]) -> f32 {
        (i16::from_be_bytes(bytes) >> 4) as f32 / 16.0
    }
}

impl I2cTarget for Tmp105 {
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let Some((&p, rest)) = data.split_first() else {
            return Ok(());
        };
        if p > 3 {
            return Err(Error::Nack);
        }
        self.pointer = p;
        match (p, rest) {
            (1, [c, ..]) => self.config = *c,
            (2, [h, l, ..]) => self.t_low = u16::from_be_bytes([*h, *l]),
            (3, [h, l, ..]) => self.t_high = u16::from_be_bytes([*h, *l]),
            _ => {}
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        self.reads += 1;
        let reg: [u8; 2] = match self.pointer {
            0 => {
                // Resolution R1:R0 = 9..12 bits: the low bits read as zero.
                let bits = 9 + ((self.config >> 5) & 3) as u32;
                let mask = !((1i16 << (4 + 12 - bits)) - 1);
                (self.temp_raw & mask).to_be_bytes()
            }
            1 => [self.config, self.config],
            2 => self.t_low.to_be_bytes(),
            _ => self.t_high.to_be_bytes(),
        };
        for (i, b) in buf.iter_mut().enumerate() {
            *b = reg[i % 2];
        }
        Ok(())
    }
}

/// An AT24C-like EEPROM: 2-byte address pointer, page writes that wrap within a page, and a
/// write cycle during which the part does not acknowledge its address (ACK polling).
///
/// ```
/// use rtio::sim::{At24c, I2cTarget};
/// let mut e = At24c::new(4096, 32);
/// e.start(false).unwrap();
/// e.write(&[0x00, 0x10, 1, 2, 3]).unwrap(); // address 0x0010, three data bytes
/// e.stop(); // the write cycle starts
/// assert_eq!(&e.memory()[0x10..0x13], &[1, 2, 3]);
/// ```
#[derive(Debug, Clone)]
pub struct At24c {
    mem: Vec<u8>,
    page: usize,
    pointer: usize,
    /// Bytes received in this write transaction: address bytes first.
    addr_bytes: usize,
    pending: Vec<(usize, u8)>,
    busy_until: Option<StdInstant>,
    write_cycle: StdDuration,
    writes: u64,
}

impl At24c {
    /// An erased (0xFF) EEPROM of `size` bytes with `page`-byte pages and a 5 ms write cycle.
    pub fn new(size: usize, page: usize) -> Self {
        At24c {
            mem: vec![0xFF; size.max(1)],
            page: page.max(1),
            pointer: 0,
            addr_bytes: 0,
            pending: Vec::new(),
            busy_until: None,
            write_cycle: StdDuration::from_millis(5),
            writes: 0,
        }
    }
    /// Sets the write-cycle time (tWR).
    pub fn with_write_cycle(mut self, d: crate::Duration) -> Self {
        self.write_cycle = StdDuration::from_micros(d.as_micros());
        self
    }
    /// The memory contents.
    pub fn memory(&self) -> &[u8] {
        &self.mem
    }
    /// Page writes committed so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }
    /// Whether a write cycle is in progress (the part NACKs its address).
    pub fn busy(&self) -> bool {
        self.busy_until.is_some_and(|t| StdInstant::now() < t)
    }
}

impl I2cTarget for At24c {
    fn start(&mut self, _read: bool) -> Result<(), Error> {
        if self.busy() {
            return Err(Error::Nack);
        }
        self.addr_bytes = 0;
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        for &b in data {
            match self.addr_bytes {
                0 => {
                    self.pointer = ((b as usize) << 8) % self.mem.len();
                    self.addr_bytes = 1;
                }
                1 => {
                    self.pointer = ((self.pointer & !0xFF) | b as usize) % self.mem.len();
                    self.addr_bytes = 2;
                }
                _ => {
                    self.pending.push((self.pointer, b));
                    // Page writes wrap inside the page, as on the real part.
                    let base = self.pointer - self.pointer % self.page;
                    self.pointer = (base + (self.pointer + 1 - base) % self.page) % self.mem.len();
                }
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        for b in buf {
            *b = self.mem[self.pointer];
            self.pointer = (self.pointer + 1) % self.mem.len();
        }
        Ok(())
    }

    fn stop(&mut self) {
        if !self.pending.is_empty() {
            for (a, b) in self.pending.drain(..) {
                self.mem[a] = b;
            }
            self.writes += 1;
            // The write cycle starts at STOP, the end of the bus transfer.
            let stop = super::bus::transfer_end().unwrap_or_else(StdInstant::now);
            self.busy_until = Some(stop + self.write_cycle);
        }
        self.addr_bytes = 0;
    }
}
