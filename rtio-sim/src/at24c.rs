//! An AT24C-like I2C EEPROM.

use crate::I2cTarget;
use rtio::Error;
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec;
use std::vec::Vec;

/// An AT24C-like EEPROM: an address pointer, page writes that wrap within a page, and a
/// write cycle during which the part does not acknowledge its address (ACK polling).
///
/// [`At24c::new`] is a 24C32-and-up part (a 2-byte word address); [`At24c::small`] a
/// 24C01-24C16 part (a 1-byte word address; above 256 bytes the low bits of the device
/// address select the 256-byte block, so a 24C16 answers at eight addresses: attach it with
/// [`crate::Bus::attach_i2c_many`]). A current-address read continues from the internal
/// address counter, whichever block address it is sent to, as on the real parts.
///
/// ```
/// use rtio_sim::{At24c, I2cTarget};
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
    /// Word-address bytes: 2 (24C32 and up) or 1 (24C01-24C16).
    width: usize,
    /// The 256-byte block the device address of this transfer selects (1-byte parts).
    block: usize,
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
            width: 2,
            block: 0,
            busy_until: None,
            write_cycle: StdDuration::from_millis(5),
            writes: 0,
        }
    }
    /// A 24C01-24C16-style part of `size` bytes (at most 2048) with a 1-byte word address.
    pub fn small(size: usize, page: usize) -> Self {
        At24c {
            width: 1,
            ..At24c::new(size.min(2048), page)
        }
    }
    /// Sets the write-cycle time (tWR).
    pub fn with_write_cycle(mut self, d: rtio::Duration) -> Self {
        self.write_cycle = StdDuration::from_micros(d.as_micros());
        self
    }
    /// Programs `data` from address 0 (as a factory-programmed part).
    ///
    /// # Panics
    /// If `data` is longer than the memory.
    pub fn with_contents(mut self, data: &[u8]) -> Self {
        self.mem[..data.len()].copy_from_slice(data);
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
    fn start_at(&mut self, address: u8, read: bool) -> Result<(), Error> {
        // A2..A0 of the device address are the word address's high bits on 1-byte parts.
        let blocks = self.mem.len().div_ceil(256);
        self.block = if self.width == 1 {
            (address as usize & 0x07) % blocks.max(1)
        } else {
            0
        };
        self.start(read)
    }

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
                0 if self.width == 1 => {
                    self.pointer = (self.block * 256 + b as usize) % self.mem.len();
                    self.addr_bytes = 2;
                }
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
            let stop = crate::bus::transfer_end().unwrap_or_else(StdInstant::now);
            self.busy_until = Some(stop + self.write_cycle);
        }
        self.addr_bytes = 0;
    }
}
