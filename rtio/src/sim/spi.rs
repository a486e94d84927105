//! SPI targets: a display controller with a framebuffer, and an SD-card-like block device.

use super::bus::{corrupt, fault_error, leak_iodev, Bus, BusClient, Protocol};
use super::fault::{Fault, Faults};
use super::SpiKind;
use crate::iodev::{Dev, Iodev, IodevApi, OpId, Request, Token};
use crate::Error;
use std::boxed::Box;
use std::sync::{Mutex, OnceLock};
use std::vec;
use std::vec::Vec;

/// The model of a SPI target, as the bus sees it.
///
/// A bus transaction is [`SpiTarget::select`] (chip select asserted), one or more
/// [`SpiTarget::transfer`] calls (chip select held between them), and
/// [`SpiTarget::deselect`].
///
/// ```
/// use rtio::sim::{Bus, SpiTarget};
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
    /// Chip select released.
    fn deselect(&mut self) {}
}

/// A target attached to a simulated SPI bus behind its own chip select.
///
/// ```
/// use rtio::sim::{Bus, SdCard};
/// let spi = Bus::spi("spi-doc", 25_000_000);
/// let sd = spi.attach_spi(0, SdCard::new(64));
/// assert_eq!(sd.cs(), 0);
/// assert_eq!(sd.with(|c| c.blocks()), 64);
/// ```
pub struct SpiDevice<T: SpiTarget> {
    bus: &'static Bus,
    cs: u8,
    target: Mutex<T>,
    faults: Faults,
    iodev: OnceLock<&'static Iodev>,
}

impl<T: SpiTarget> core::fmt::Debug for SpiDevice<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SpiDevice")
            .field("bus", &self.bus.name())
            .field("cs", &self.cs)
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// Attaches a SPI target on chip select `cs`.
    ///
    /// # Panics
    /// If this bus is not a SPI bus.
    pub fn attach_spi<T: SpiTarget>(&'static self, cs: u8, target: T) -> &'static SpiDevice<T> {
        assert_eq!(
            self.protocol(),
            Protocol::Spi,
            "attach_spi on a non-SPI bus"
        );
        let d: &'static SpiDevice<T> = Box::leak(Box::new(SpiDevice {
            bus: self,
            cs,
            target: Mutex::new(target),
            faults: Faults::new(),
            iodev: OnceLock::new(),
        }));
        let _ = d.iodev.set(leak_iodev(d));
        d
    }
}

impl<T: SpiTarget> SpiDevice<T> {
    /// The untyped iodev.
    pub fn iodev(&'static self) -> &'static Iodev {
        self.iodev.get_or_init(|| leak_iodev(self))
    }
    /// A typed handle for chain builders.
    pub fn dev(&'static self) -> Dev<SpiKind> {
        Dev::new(self.iodev())
    }
    /// A handle of your own kind `K` (hand-written, `#[rtio_iodev]`, or generated from the
    /// devicetree), so chains are checked against what your device can do.
    pub fn dev_as<K: crate::caps::Kind>(&'static self) -> Dev<K> {
        Dev::new(self.iodev())
    }
    /// The chip-select line.
    pub fn cs(&self) -> u8 {
        self.cs
    }
    /// The bus it sits on.
    pub fn bus(&self) -> &'static Bus {
        self.bus
    }
    /// The fault script of this device.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
    /// Runs `f` on the device model.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.target.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl<T: SpiTarget> IodevApi for SpiDevice<T> {
    fn submit(&'static self, token: Token) {
        self.bus.submit(self, token);
    }
    fn cancel(&'static self, op: OpId) {
        self.bus.cancel(op);
    }
}

impl<T: SpiTarget> BusClient for SpiDevice<T> {
    fn faults(&self) -> &Faults {
        &self.faults
    }
    fn bus_id(&self) -> u8 {
        self.cs
    }

    fn execute(&'static self, token: &mut Token, fault: Option<Fault>) -> Result<usize, Error> {
        let mut t = self.target.lock().unwrap_or_else(|e| e.into_inner());
        fault_error(fault)?;
        t.select();
        let mut head_len = 0;
        let mut res = Ok(());
        for i in 0..token.transaction_len() {
            let Some(req) = token.member(i) else { break };
            let step = match req {
                Request::Nop => Ok(0),
                Request::Write(tx) => t.transfer(tx, &mut []).map(|_| tx.len()),
                Request::Read(rx) => t.transfer(&[], rx).map(|_| {
                    corrupt(fault, rx);
                    rx.len()
                }),
                Request::Transceive { tx, rx } => t.transfer(tx, rx).map(|_| {
                    corrupt(fault, rx);
                    tx.len().max(rx.len())
                }),
                Request::ReadPool { .. } => match token.member_pool_buf(i) {
                    Ok(rx) => t.transfer(&[], rx).map(|_| {
                        corrupt(fault, rx);
                        rx.len()
                    }),
                    Err(e) => Err(e),
                },
                Request::SpiConfigure { hz, .. } => {
                    self.bus.set_hz(hz);
                    Ok(0)
                }
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
        t.deselect();
        res.map(|_| head_len)
    }
}

/// Display commands understood by [`Display`] (a subset of the ILI9341/ST7789 set).
pub mod cmd {
    /// Column address set: 4 bytes, start and end column, big-endian.
    pub const CASET: u8 = 0x2A;
    /// Page (row) address set: 4 bytes, start and end row, big-endian.
    pub const PASET: u8 = 0x2B;
    /// Memory write: RGB565 pixels, big-endian, filling the window row by row.
    pub const RAMWR: u8 = 0x2C;
    /// Display on.
    pub const DISPON: u8 = 0x29;
}

/// A display controller with an RGB565 framebuffer (ILI9341-like, 4-wire SPI with the
/// command byte first after chip select; the D/C line is folded into that framing).
///
/// ```
/// use rtio::sim::{cmd, Display, SpiTarget};
/// let mut d = Display::new(4, 2);
/// d.select();
/// d.transfer(&[cmd::RAMWR, 0xF8, 0x00, 0x07, 0xE0], &mut []).unwrap(); // red, green
/// d.deselect();
/// assert_eq!(d.pixel(0, 0), 0xF800);
/// assert_eq!(d.pixel(1, 0), 0x07E0);
/// ```
#[derive(Debug, Clone)]
pub struct Display {
    width: u16,
    height: u16,
    fb: Vec<u16>,
    /// Command of the current chip-select cycle, and bytes received after it.
    cmd: Option<u8>,
    args: Vec<u8>,
    cols: (u16, u16),
    rows: (u16, u16),
    cursor: (u16, u16),
    half: Option<u8>,
    frames: u64,
    pixels_written: u64,
    on: bool,
}

impl Display {
    /// A display of `width` x `height` pixels, black.
    pub fn new(width: u16, height: u16) -> Self {
        Display {
            width,
            height,
            fb: vec![0; width as usize * height as usize],
            cmd: None,
            args: Vec::new(),
            cols: (0, width.saturating_sub(1)),
            rows: (0, height.saturating_sub(1)),
            cursor: (0, 0),
            half: None,
            frames: 0,
            pixels_written: 0,
            on: false,
        }
    }
    /// Width in pixels.
    pub fn width(&self) -> u16 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u16 {
        self.height
    }
    /// The RGB565 pixel at (x, y).
    ///
    /// # Panics
    /// If (x, y) is outside the display.
    pub fn pixel(&self, x: u16, y: u16) -> u16 {
        self.fb[y as usize * self.width as usize + x as usize]
    }
    /// The framebuffer, row-major RGB565.
    pub fn framebuffer(&self) -> &[u16] {
        &self.fb
    }
    /// Memory-write commands completed (frames or partial updates).
    pub fn frames(&self) -> u64 {
        self.frames
    }
    /// Pixels written since start.
    pub fn pixels_written(&self) -> u64 {
        self.pixels_written
    }
    /// Whether DISPON was received.
    pub fn is_on(&self) -> bool {
        self.on
    }
    /// The framebuffer as a PNG image (8-bit RGB).
    pub fn to_png(&self) -> Vec<u8> {
        let mut rgb = Vec::with_capacity(self.fb.len() * 3);
        for &p in &self.fb {
            let r = ((p >> 11) & 0x1F) as u8;
            let g = ((p >> 5) & 0x3F) as u8;
            let b = (p & 0x1F) as u8;
            rgb.extend_from_slice(&[
                (r << 3) | (r >> 2),
                (g << 2) | (g >> 4),
                (b << 3) | (b >> 2),
            ]);
        }
        super::png::encode_rgb(self.width as u32, self.height as u32, &rgb)
    }
    /// Writes the framebuffer to `path` as a PNG.
    ///
    /// # Errors
    /// The file system's error.
    pub fn save_png(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_png())
    }

    fn put(&mut self, px: u16) {
        let (x, y) = self.cursor;
        if x < self.width && y < self.height && y <= self.rows.1 {
            self.fb[y as usize * self.width as usize + x as usize] = px;
            self.pixels_written += 1;
        }
        let (mut x, mut y) = (x + 1, y);
        if x > self.cols.1 {
            x = self.cols.0;
            y += 1;
            if y > self.rows.1 {
                y = self.rows.0;
            }
        }
        self.cursor = (x, y);
    }
}

impl SpiTarget for Display {
    fn select(&mut self) {
        self.cmd = None;
        self.args.clear();
        self.half = None;
    }

    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        rx.fill(0);
        let mut bytes = tx;
        if self.cmd.is_none() {
            let Some((&c, rest)) = bytes.split_first() else {
                return Ok(());
            };
            self.cmd = Some(c);
            bytes = rest;
            match c {
                cmd::RAMWR => self.cursor = (self.cols.0, self.rows.0),
                cmd::DISPON => self.on = true,
                cmd::CASET | cmd::PASET => {}
                _ => return Err(Error::InvalidArgument),
            }
        }
        match self.cmd {
            Some(cmd::RAMWR) => {
                for &b in bytes {
                    match self.half.take() {
                        None => self.half = Some(b),
                        Some(h) => self.put(u16::from_be_bytes([h, b])),
                    }
                }
            }
            Some(c @ (cmd::CASET | cmd::PASET)) => {
                self.args.extend_from_slice(bytes);
                if self.args.len() >= 4 {
                    let a = &self.args;
                    let s = u16::from_be_bytes([a[0], a[1]]);
                    let e = u16::from_be_bytes([a[2], a[3]]);
                    let limit = if c == cmd::CASET {
                        self.width
                    } else {
                        self.height
                    };
                    if s > e || e >= limit {
                        return Err(Error::InvalidArgument);
                    }
                    if c == cmd::CASET {
                        self.cols = (s, e);
                    } else {
                        self.rows = (s, e);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn deselect(&mut self) {
        if self.cmd == Some(cmd::RAMWR) {
            self.frames += 1;
        }
        self.cmd = None;
    }
}

/// SD-card-like commands understood by [`SdCard`] (SPI mode, simplified framing).
pub mod sd {
    /// Read one block: `[READ_BLOCK, addr(4, big-endian)]`, then read 512 bytes.
    pub const READ_BLOCK: u8 = 0x51;
    /// Write one block: `[WRITE_BLOCK, addr(4, big-endian)]`, then up to 512 data bytes
    /// (a short write pads the rest of the block with zeros).
    pub const WRITE_BLOCK: u8 = 0x58;
    /// Block size in bytes.
    pub const BLOCK: usize = 512;
}

/// An SD-card-like block device with 512-byte blocks.
///
/// A command lives for one chip-select cycle, so a block access must be one transaction
/// (command header and data with CS held, S5); a data phase without a command is refused.
///
/// ```
/// use rtio::sim::{sd, SdCard, SpiTarget};
/// let mut c = SdCard::new(8);
/// c.select();
/// c.transfer(&[sd::WRITE_BLOCK, 0, 0, 0, 3], &mut []).unwrap();
/// c.transfer(b"hello", &mut []).unwrap();
/// c.deselect();
/// assert_eq!(&c.block(3)[..5], b"hello");
/// ```
#[derive(Debug, Clone)]
pub struct SdCard {
    data: Vec<u8>,
    header: Vec<u8>,
    pos: usize,
    written: Option<usize>,
    reads: u64,
    writes: u64,
}

impl SdCard {
    /// A card of `blocks` zeroed blocks.
    pub fn new(blocks: usize) -> Self {
        SdCard {
            data: vec![0; blocks * sd::BLOCK],
            header: Vec::new(),
            pos: 0,
            written: None,
            reads: 0,
            writes: 0,
        }
    }
    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.data.len() / sd::BLOCK
    }
    /// Block `n`.
    ///
    /// # Panics
    /// If `n` is out of range.
    pub fn block(&self, n: usize) -> &[u8] {
        &self.data[n * sd::BLOCK..(n + 1) * sd::BLOCK]
    }
    /// Block reads served.
    pub fn reads(&self) -> u64 {
        self.reads
    }
    /// Block writes committed.
    pub fn writes(&self) -> u64 {
        self.writes
    }
}

impl SpiTarget for SdCard {
    fn select(&mut self) {
        self.header.clear();
        self.pos = 0;
        self.written = None;
    }

    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        let mut tx = tx;
        while self.header.len() < 5 {
            let Some((&b, rest)) = tx.split_first() else {
                break;
            };
            self.header.push(b);
            tx = rest;
        }
        if self.header.len() < 5 {
            if rx.is_empty() {
                return Ok(());
            }
            return Err(Error::InvalidArgument); // data phase without a command
        }
        let block = u32::from_be_bytes([
            self.header[1],
            self.header[2],
            self.header[3],
            self.header[4],
        ]) as usize;
        if block >= self.blocks() {
            return Err(Error::InvalidArgument);
        }
        let base = block * sd::BLOCK;
        match self.header[0] {
            sd::READ_BLOCK => {
                for b in rx.iter_mut() {
                    *b = if self.pos < sd::BLOCK {
                        self.data[base + self.pos]
                    } else {
                        0xFF
                    };
                    self.pos += 1;
                }
                if self.pos >= sd::BLOCK && self.written.is_none() {
                    self.written = Some(block);
                    self.reads += 1;
                }
                Ok(())
            }
            sd::WRITE_BLOCK => {
                if self.written.is_none() {
                    self.data[base..base + sd::BLOCK].fill(0);
                    self.written = Some(block);
                    self.writes += 1;
                }
                for &b in tx {
                    if self.pos < sd::BLOCK {
                        self.data[base + self.pos] = b;
                    }
                    self.pos += 1;
                }
                rx.fill(0xFF);
                Ok(())
            }
            _ => Err(Error::NotSupported),
        }
    }

    fn deselect(&mut self) {
        self.header.clear();
    }
}
