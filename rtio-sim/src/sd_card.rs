//! An SD-card-like block device on SPI.

use crate::SpiTarget;
use rtio::Error;
use std::vec;
use std::vec::Vec;

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
/// use rtio_sim::{sd, SdCard, SpiTarget};
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
