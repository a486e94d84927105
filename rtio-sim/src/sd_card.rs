//! An SD memory card in SPI mode, byte by byte as the card's state machine sees its bus.
//!
//! Facts from the SD Physical Layer Simplified Specification (chapter 7, SPI mode) and how
//! drivers such as `embedded-sdmmc` drive a card:
//!
//! * The card powers up in SD mode; CMD0 with a valid CRC (`40 00 00 00 00 95`) and chip
//!   select asserted puts it in SPI mode, idle. Until then it answers nothing.
//! * In SPI mode CRC checking is off, except for CMD8, which is always checked; CMD59 turns
//!   it on for commands and data blocks. A command with a bad CRC gets R1 with the CRC bit
//!   and is not executed.
//! * Responses come one byte after the command (N_CR = 1): R1, R3 (R1 + OCR, CMD58),
//!   R7 (R1 + echo, CMD8), R2 (R1 + status, CMD13), R1b (R1, then busy `00` bytes).
//! * Initialisation: CMD8 (version 2 cards), then CMD55 + ACMD41 until R1 leaves idle; an
//!   SDHC card stays idle forever if the host does not set HCS (bit 30). CMD58's OCR
//!   reports power-up done (bit 31) and CCS (bit 30, block addressing).
//! * Data: reads answer R1, then after N_AC bytes a start token `FE`, the block and its
//!   CRC16; CMD18 streams blocks until CMD12 (which answers after a stuff byte, R1b). Writes
//!   answer R1; the host sends `FE` (CMD24) or `FC` per block (CMD25, `FD` to stop), the
//!   block and a CRC16; the card answers a data response token (`05` accepted, `0B` CRC
//!   error, `0D` write error) and holds the line at `00` while busy.
//! * Addresses: SDSC cards take byte addresses (a misaligned one is an R1 address error),
//!   SDHC cards block numbers. Past the end: a read sends the data error token with the
//!   out-of-range bit instead of a start token, a write is rejected with a write error, and
//!   the next CMD13 reports out of range.
//! * Chip select does not reset the card: state (a pending response, a block being
//!   received) carries across chip-select cycles, which is why drivers that toggle chip
//!   select between bytes work on real cards. The 74 power-up clocks with chip select high
//!   are not checked: clocks with chip select high never reach a target on this bus.

use crate::sd::{self, BLOCK};
use crate::SpiTarget;
use rtio::Error;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::vec;
use std::vec::Vec;

/// Which card a [`SdCard`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardType {
    /// Version 1.x standard capacity: CMD8 is an illegal command; byte addresses.
    Sdsc1,
    /// Version 2.0 standard capacity (up to 2 GB): byte addresses.
    Sdsc2,
    /// Version 2.0 high capacity: block addresses, CCS set.
    Sdhc,
}

/// Where the card's blocks live.
#[derive(Debug)]
enum Store {
    Bytes(Vec<u8>),
    File(File),
}

/// What the card is doing with the bytes it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Waiting for (or receiving) a command.
    Command,
    /// CMD18: streaming blocks from `next` until CMD12.
    ReadStream { next: u64 },
    /// CMD24/25 accepted: waiting for a start token for block `block`.
    WriteWait { block: u64, multi: bool },
    /// Receiving a block and its CRC.
    WriteData { block: u64, multi: bool },
}

/// An SD card in SPI mode (see the module docs for what it models), backed by bytes or an
/// image file.
///
/// ```
/// use rtio_sim::{sd, SdCard, SpiTarget};
/// let mut card = SdCard::sdhc(vec![0; 1024 * 512]);
/// // Clock a frame in and read what comes back on MISO, as a driver's SPI transfer does.
/// let mut xfer = |card: &mut SdCard, tx: &[u8]| {
///     let mut rx = vec![0; tx.len()];
///     card.transfer(tx, &mut rx).unwrap();
///     rx
/// };
/// let r = xfer(&mut card, &[sd::command(sd::CMD0, 0).as_slice(), &[0xFF; 2]].concat());
/// assert_eq!(r[7], sd::R1_IDLE); // one byte of N_CR, then R1: idle, in SPI mode
/// let r = xfer(&mut card, &[sd::command(sd::CMD8, 0x1AA).as_slice(), &[0xFF; 6]].concat());
/// assert_eq!(&r[7..12], &[sd::R1_IDLE, 0x00, 0x00, 0x01, 0xAA]); // R7: the echo
/// ```
#[derive(Debug)]
pub struct SdCard {
    kind: CardType,
    store: Store,
    blocks: u64,
    /// CMD0 seen: the card speaks SPI.
    spi_mode: bool,
    idle: bool,
    crc_on: bool,
    app_cmd: bool,
    /// ACMD41 calls still answered "idle" (the card's initialisation time).
    init_polls: u32,
    init_left: u32,
    /// Latched for the next CMD13.
    out_of_range: bool,
    phase: Phase,
    cmd: Vec<u8>,
    rx_block: Vec<u8>,
    out: VecDeque<u8>,
    /// Bytes between R1 and a start token (N_AC), and busy bytes after a write.
    nac: usize,
    busy: usize,
    reads: u64,
    writes: u64,
    commands: u64,
    crc_errors: u64,
}

impl SdCard {
    fn with_store(kind: CardType, store: Store, len: u64) -> SdCard {
        SdCard {
            kind,
            store,
            blocks: len / BLOCK as u64,
            spi_mode: false,
            idle: true,
            crc_on: false,
            app_cmd: false,
            init_polls: 2,
            init_left: 2,
            out_of_range: false,
            phase: Phase::Command,
            cmd: Vec::with_capacity(6),
            rx_block: Vec::with_capacity(BLOCK + 2),
            out: VecDeque::new(),
            nac: 2,
            busy: 4,
            reads: 0,
            writes: 0,
            commands: 0,
            crc_errors: 0,
        }
    }

    /// Rounds `bytes` up to a capacity the card's CSD can express (whole blocks; SDHC in
    /// 512 KiB units; SDSC as `(C_SIZE + 1) << (C_SIZE_MULT + 2)` blocks).
    fn capacity(kind: CardType, bytes: u64) -> u64 {
        let blocks = bytes.div_ceil(BLOCK as u64).max(1);
        let unit = match kind {
            CardType::Sdhc => 1024,
            _ => (0..8)
                .map(|m| 1u64 << (m + 2))
                .find(|u| blocks.div_ceil(*u) <= 4096)
                .unwrap_or(512),
        };
        blocks.div_ceil(unit) * unit * BLOCK as u64
    }

    /// A card of `kind` holding `image` (padded with zeros to a capacity its CSD can state).
    pub fn from_bytes(kind: CardType, mut image: Vec<u8>) -> SdCard {
        let len = Self::capacity(kind, image.len() as u64);
        image.resize(len as usize, 0);
        Self::with_store(kind, Store::Bytes(image), len)
    }

    /// An SDHC card holding `image`.
    pub fn sdhc(image: Vec<u8>) -> SdCard {
        Self::from_bytes(CardType::Sdhc, image)
    }

    /// A version 2.0 SDSC card holding `image`.
    pub fn sdsc(image: Vec<u8>) -> SdCard {
        Self::from_bytes(CardType::Sdsc2, image)
    }

    /// An SDHC card of `blocks` zeroed blocks.
    pub fn new(blocks: usize) -> SdCard {
        Self::sdhc(vec![0; blocks * BLOCK])
    }

    /// A card of `kind` backed by the image file at `path`: reads and writes go to the file
    /// (write-through), so other tools see what a driver wrote. The file is extended with
    /// zeros to a capacity the card's CSD can state.
    ///
    /// # Errors
    /// The file system's error.
    pub fn open(kind: CardType, path: impl AsRef<Path>) -> std::io::Result<SdCard> {
        let f = File::options().read(true).write(true).open(path)?;
        let len = Self::capacity(kind, f.metadata()?.len());
        if f.metadata()?.len() < len {
            f.set_len(len)?;
        }
        Ok(Self::with_store(kind, Store::File(f), len))
    }

    /// The card as a completed initialisation leaves it (CMD0, CMD8, ACMD41 done, CRC off):
    /// for tests and examples about what comes after, as when a bootloader initialised it.
    pub fn ready(mut self) -> Self {
        self.spi_mode = true;
        self.idle = false;
        self
    }

    /// Sets how many ACMD41 polls the card stays idle for (its initialisation time).
    pub fn with_init_polls(mut self, polls: u32) -> Self {
        self.init_polls = polls;
        self.init_left = polls;
        self
    }

    /// Sets N_AC (bytes of `FF` before a start token) and the busy bytes after a write.
    pub fn with_timing(mut self, nac: usize, busy: usize) -> Self {
        self.nac = nac;
        self.busy = busy;
        self
    }

    /// The card type.
    pub fn kind(&self) -> CardType {
        self.kind
    }
    /// Number of 512-byte blocks.
    pub fn blocks(&self) -> usize {
        self.blocks as usize
    }
    /// Whether initialisation finished (ACMD41 answered ready).
    pub fn is_ready(&self) -> bool {
        self.spi_mode && !self.idle
    }
    /// Whether CRC checking is on (CMD59).
    pub fn crc_enabled(&self) -> bool {
        self.crc_on
    }
    /// Block `n`, or `None` past the end (or on a file error).
    pub fn block(&mut self, n: usize) -> Option<Vec<u8>> {
        let mut b = vec![0; BLOCK];
        self.load(n as u64, &mut b).then_some(b)
    }
    /// Blocks read (single and multiple) so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }
    /// Blocks written so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }
    /// Commands received (with a good CRC where one is checked).
    pub fn commands(&self) -> u64 {
        self.commands
    }
    /// Commands and data blocks refused for a bad CRC.
    pub fn crc_errors(&self) -> u64 {
        self.crc_errors
    }
    /// The whole image (a copy, for a bytes-backed card; read from the file otherwise).
    pub fn image(&mut self) -> Vec<u8> {
        (0..self.blocks as usize)
            .flat_map(|n| self.block(n).unwrap_or_else(|| vec![0; BLOCK]))
            .collect()
    }

    fn load(&mut self, block: u64, out: &mut [u8]) -> bool {
        if block >= self.blocks {
            return false;
        }
        let off = block * BLOCK as u64;
        match &mut self.store {
            Store::Bytes(b) => {
                out.copy_from_slice(&b[off as usize..off as usize + BLOCK]);
                true
            }
            Store::File(f) => f
                .seek(SeekFrom::Start(off))
                .and_then(|_| f.read_exact(out))
                .is_ok(),
        }
    }

    fn store(&mut self, block: u64, data: &[u8]) -> bool {
        if block >= self.blocks {
            return false;
        }
        let off = block * BLOCK as u64;
        match &mut self.store {
            Store::Bytes(b) => {
                b[off as usize..off as usize + BLOCK].copy_from_slice(data);
                true
            }
            Store::File(f) => f
                .seek(SeekFrom::Start(off))
                .and_then(|_| f.write_all(data))
                .and_then(|_| f.flush())
                .is_ok(),
        }
    }

    /// R1 with the idle bit as it stands.
    fn r1(&self, flags: u8) -> u8 {
        flags | u8::from(self.idle)
    }

    /// Queues a response after N_CR (one byte of `FF`).
    fn respond(&mut self, bytes: &[u8]) {
        self.out.push_back(0xFF);
        self.out.extend(bytes);
    }

    /// Queues a data block (start token after N_AC, data, CRC16).
    fn queue_data(&mut self, data: &[u8]) {
        self.out.extend(core::iter::repeat_n(0xFF, self.nac));
        self.out.push_back(sd::START_BLOCK);
        self.out.extend(data);
        self.out.extend(sd::crc16(data).to_be_bytes());
    }

    /// Queues block `n` of a read, or the out-of-range data error token.
    fn queue_block(&mut self, n: u64) -> bool {
        let mut b = vec![0; BLOCK];
        if self.load(n, &mut b) {
            self.queue_data(&b);
            self.reads += 1;
            true
        } else {
            self.out.extend(core::iter::repeat_n(0xFF, self.nac));
            self.out.push_back(sd::DATA_ERROR_OUT_OF_RANGE);
            self.out_of_range = true;
            false
        }
    }

    /// The block a read/write address names, or the R1 error it gets.
    fn address(&self, arg: u32) -> Result<u64, u8> {
        match self.kind {
            CardType::Sdhc => Ok(arg as u64),
            _ if !(arg as usize).is_multiple_of(BLOCK) => Err(sd::R1_ADDRESS_ERROR),
            _ => Ok(arg as u64 / BLOCK as u64),
        }
    }

    /// The CSD register (version 1.0 for SDSC, 2.0 for SDHC) with its CRC7.
    fn csd(&self) -> [u8; 16] {
        let mut c = [0u8; 16];
        // Fields common to both: TAAC, NSAC, TRAN_SPEED (25 MHz), CCC, READ_BL_LEN = 9.
        c[1] = 0x0E;
        c[2] = 0x00;
        c[3] = 0x32;
        c[4] = 0x5B;
        c[5] = 0x59;
        match self.kind {
            CardType::Sdhc => {
                c[0] = 0x40; // CSD_STRUCTURE = 1
                let c_size = (self.blocks / 1024 - 1) as u32; // 512 KiB units
                c[7] = ((c_size >> 16) & 0x3F) as u8;
                c[8] = (c_size >> 8) as u8;
                c[9] = c_size as u8;
                c[10] = 0x7F; // ERASE_BLK_EN, SECTOR_SIZE
                c[11] = 0x80;
                c[12] = 0x0A; // R2W_FACTOR 2, WRITE_BL_LEN 9
                c[13] = 0x40;
            }
            _ => {
                // blocks = (C_SIZE + 1) << (C_SIZE_MULT + 2), 512-byte blocks.
                let mult = (0..8u32)
                    .find(|m| {
                        self.blocks.is_multiple_of(1 << (m + 2)) && self.blocks >> (m + 2) <= 4096
                    })
                    .unwrap_or(7);
                let c_size = ((self.blocks >> (mult + 2)) - 1) as u32;
                c[6] = ((c_size >> 10) & 0x03) as u8;
                c[7] = (c_size >> 2) as u8;
                c[8] = ((c_size & 0x03) << 6) as u8 | 0x2D; // VDD_R_CURR_MIN/MAX
                c[9] = 0xB4 | ((mult >> 1) & 0x03) as u8; // VDD_W_CURR, C_SIZE_MULT[2:1]
                c[10] = (((mult & 1) << 7) as u8) | 0x7F; // C_SIZE_MULT[0], ERASE_BLK_EN, SECTOR_SIZE
                c[11] = 0x80;
                c[12] = 0x0A;
                c[13] = 0x40;
            }
        }
        c[15] = (sd::crc7(&c[..15]) << 1) | 1;
        c
    }

    /// The CID register with its CRC7.
    fn cid(&self) -> [u8; 16] {
        let mut c = *b"\x00RTRTIOS\x10\x00\x00\x00\x01\x01\x9a\x00";
        c[15] = (sd::crc7(&c[..15]) << 1) | 1;
        c
    }

    /// Executes a complete command frame.
    fn command(&mut self, f: [u8; 6]) {
        let index = f[0] & 0x3F;
        let arg = u32::from_be_bytes([f[1], f[2], f[3], f[4]]);
        let crc_ok = f[5] == (sd::crc7(&f[..5]) << 1) | 1;
        if !self.spi_mode {
            // SD mode: only a valid CMD0 with chip select asserted switches to SPI; the
            // card answers nothing on DO before that.
            if index == sd::CMD0 && crc_ok {
                self.spi_mode = true;
                self.reset();
                self.commands += 1;
                self.respond(&[sd::R1_IDLE]);
            }
            return;
        }
        if !crc_ok && (self.crc_on || index == sd::CMD8) {
            self.crc_errors += 1;
            let r = self.r1(sd::R1_COM_CRC_ERROR);
            self.respond(&[r]);
            return;
        }
        self.commands += 1;
        let app = core::mem::take(&mut self.app_cmd);
        let illegal = self.r1(sd::R1_ILLEGAL_COMMAND);
        match (app, index) {
            (_, sd::CMD0) => {
                self.reset();
                self.respond(&[sd::R1_IDLE]);
            }
            (false, sd::CMD8) if self.kind == CardType::Sdsc1 => self.respond(&[illegal]),
            (false, sd::CMD8) => {
                // R7: command version 0, the accepted voltage (2.7-3.6 V is 1), the echo.
                let volts = if (arg >> 8) & 0x0F == 1 { 1 } else { 0 };
                let r = self.r1(0);
                self.respond(&[r, 0x00, 0x00, volts, arg as u8]);
            }
            (_, sd::CMD55) => {
                self.app_cmd = true;
                let r = self.r1(0);
                self.respond(&[r]);
            }
            (true, sd::ACMD41) => {
                let hcs = arg & 0x4000_0000 != 0;
                if self.idle && (self.kind != CardType::Sdhc || hcs) {
                    if self.init_left == 0 {
                        self.idle = false;
                    } else {
                        self.init_left -= 1;
                    }
                }
                let r = self.r1(0);
                self.respond(&[r]);
            }
            (true, sd::ACMD23) if !self.idle => self.respond(&[0x00]),
            (false, sd::CMD58) => {
                let mut ocr: u32 = 0x00FF_8000; // 2.7-3.6 V
                if !self.idle {
                    ocr |= 0x8000_0000; // power-up done
                    if self.kind == CardType::Sdhc {
                        ocr |= 0x4000_0000; // CCS
                    }
                }
                let r = self.r1(0);
                let o = ocr.to_be_bytes();
                self.respond(&[r, o[0], o[1], o[2], o[3]]);
            }
            (false, sd::CMD59) => {
                self.crc_on = arg & 1 != 0;
                let r = self.r1(0);
                self.respond(&[r]);
            }
            _ if self.idle => self.respond(&[illegal]),
            (false, sd::CMD9) => {
                let csd = self.csd();
                self.respond(&[0x00]);
                self.queue_data(&csd);
            }
            (false, sd::CMD10) => {
                let cid = self.cid();
                self.respond(&[0x00]);
                self.queue_data(&cid);
            }
            (false, sd::CMD12) => self.respond(&[0x00]),
            (false, sd::CMD13) => {
                let s = if core::mem::take(&mut self.out_of_range) {
                    sd::R2_OUT_OF_RANGE
                } else {
                    0
                };
                self.respond(&[0x00, s]);
            }
            (false, sd::CMD16) => {
                let ok = self.kind == CardType::Sdhc || arg as usize == BLOCK;
                self.respond(&[if ok { 0x00 } else { sd::R1_PARAMETER_ERROR }]);
            }
            (false, sd::CMD17 | sd::CMD18 | sd::CMD24 | sd::CMD25) => match self.address(arg) {
                Err(e) => self.respond(&[e]),
                Ok(block) => {
                    self.respond(&[0x00]);
                    match index {
                        sd::CMD17 => {
                            self.queue_block(block);
                        }
                        sd::CMD18 => {
                            if self.queue_block(block) {
                                self.phase = Phase::ReadStream { next: block + 1 };
                            }
                        }
                        _ => {
                            self.phase = Phase::WriteWait {
                                block,
                                multi: index == sd::CMD25,
                            }
                        }
                    }
                }
            },
            _ => self.respond(&[illegal]),
        }
    }

    fn reset(&mut self) {
        self.idle = true;
        self.crc_on = false;
        self.app_cmd = false;
        self.init_left = self.init_polls;
        self.phase = Phase::Command;
        self.out.clear();
    }

    /// The card has received a whole block (and its CRC) for `block`.
    fn block_received(&mut self, block: u64, multi: bool) {
        let (data, crc) = self.rx_block.split_at(BLOCK);
        let crc_ok = u16::from_be_bytes([crc[0], crc[1]]) == sd::crc16(data);
        let data = data.to_vec();
        let token = if self.crc_on && !crc_ok {
            self.crc_errors += 1;
            sd::DATA_CRC_ERROR
        } else if self.store(block, &data) {
            self.writes += 1;
            sd::DATA_ACCEPTED
        } else {
            self.out_of_range = true;
            sd::DATA_WRITE_ERROR
        };
        self.out.push_back(token);
        if token == sd::DATA_ACCEPTED {
            self.out.extend(core::iter::repeat_n(0x00, self.busy));
        }
        self.phase = if multi && token == sd::DATA_ACCEPTED {
            Phase::WriteWait {
                block: block + 1,
                multi,
            }
        } else if multi {
            // A rejected block ends the write: the host stops with the stop-tran token.
            Phase::WriteWait { block, multi }
        } else {
            Phase::Command
        };
    }

    /// One byte on the bus: what the card shifts out while `mosi` is shifted in.
    fn clock(&mut self, mosi: u8) -> u8 {
        if self.out.is_empty() {
            if let Phase::ReadStream { next } = self.phase {
                if self.queue_block(next) {
                    self.phase = Phase::ReadStream { next: next + 1 };
                } else {
                    self.phase = Phase::Command;
                }
            }
        }
        let miso = self.out.pop_front().unwrap_or(0xFF);
        match self.phase.clone() {
            Phase::WriteWait { block, multi } => {
                // Bytes before the token are gaps; R1 and busy bytes are still going out.
                if !self.out.is_empty() {
                    return miso;
                }
                match mosi {
                    sd::START_BLOCK if !multi => {
                        self.rx_block.clear();
                        self.phase = Phase::WriteData { block, multi };
                    }
                    sd::START_MULTI if multi => {
                        self.rx_block.clear();
                        self.phase = Phase::WriteData { block, multi };
                    }
                    sd::STOP_TRAN if multi => {
                        self.out.push_back(0xFF);
                        self.out.extend(core::iter::repeat_n(0x00, self.busy));
                        self.phase = Phase::Command;
                    }
                    _ => {}
                }
            }
            Phase::WriteData { block, multi } => {
                self.rx_block.push(mosi);
                if self.rx_block.len() == BLOCK + 2 {
                    self.block_received(block, multi);
                }
            }
            Phase::Command | Phase::ReadStream { .. } => self.command_byte(mosi),
        }
        miso
    }

    /// A byte while the card listens for commands.
    fn command_byte(&mut self, mosi: u8) {
        if self.cmd.is_empty() {
            // A frame starts with the start bit 0 and the transmission bit 1.
            if mosi & 0xC0 != 0x40 {
                return;
            }
            if self.phase == Phase::Command {
                // A new command: whatever of the last response was not clocked out is gone.
                self.out.clear();
            }
        }
        self.cmd.push(mosi);
        if self.cmd.len() < 6 {
            return;
        }
        let f: [u8; 6] = [
            self.cmd[0],
            self.cmd[1],
            self.cmd[2],
            self.cmd[3],
            self.cmd[4],
            self.cmd[5],
        ];
        self.cmd.clear();
        if let Phase::ReadStream { .. } = self.phase {
            // Only STOP_TRANSMISSION is heard during a multiple-block read; the card stops
            // sending and answers after a stuff byte, then busy.
            if f[0] & 0x3F == sd::CMD12 {
                self.phase = Phase::Command;
                self.out.clear();
                self.commands += 1;
                self.out.push_back(0xFF);
                self.respond(&[0x00]);
                self.out.extend(core::iter::repeat_n(0x00, self.busy));
            }
            return;
        }
        self.command(f);
    }
}

impl SpiTarget for SdCard {
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        let n = tx.len().max(rx.len());
        for i in 0..n {
            // A read-only transfer shifts out 0x00 (the bus's padding).
            let miso = self.clock(tx.get(i).copied().unwrap_or(0x00));
            if let Some(r) = rx.get_mut(i) {
                *r = miso;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clocks `tx` and returns what came back.
    fn x(c: &mut SdCard, tx: &[u8]) -> Vec<u8> {
        let mut rx = vec![0; tx.len()];
        c.transfer(tx, &mut rx).unwrap();
        rx
    }

    /// Sends a command and returns R1 and `extra` bytes after it.
    fn cmd(c: &mut SdCard, index: u8, arg: u32, extra: usize) -> Vec<u8> {
        x(c, &sd::command(index, arg));
        let r = x(c, &vec![0xFF; 1 + 1 + extra]);
        assert_eq!(r[0], 0xFF, "N_CR: one byte before the response");
        r[1..].to_vec()
    }

    fn init(c: &mut SdCard, hcs: bool) {
        assert_eq!(cmd(c, sd::CMD0, 0, 0), [0x01]);
        loop {
            cmd(c, sd::CMD55, 0, 0);
            let r = cmd(c, sd::ACMD41, if hcs { 0x4000_0000 } else { 0 }, 0);
            if r[0] == 0 {
                break;
            }
        }
    }

    #[test]
    fn silent_until_a_valid_cmd0_then_idle_in_spi_mode() {
        let mut c = SdCard::new(1024);
        let mut bad = sd::command(sd::CMD0, 0);
        bad[5] = 0x01;
        x(&mut c, &bad);
        assert_eq!(
            x(&mut c, &[0xFF; 4]),
            [0xFF; 4],
            "bad CRC in SD mode: no answer"
        );
        assert_eq!(
            cmd(&mut c, sd::CMD17, 0, 0),
            [0xFF],
            "SD mode: nothing else either"
        );
        assert_eq!(cmd(&mut c, sd::CMD0, 0, 0), [sd::R1_IDLE]);
        assert_eq!(
            cmd(&mut c, sd::CMD17, 0, 0),
            [0x05],
            "idle: reads are illegal"
        );
    }

    #[test]
    fn cmd8_crc_is_always_checked_and_cmd59_turns_crc_on() {
        let mut c = SdCard::new(1024);
        cmd(&mut c, sd::CMD0, 0, 0);
        let mut f = sd::command(sd::CMD8, 0x1AA);
        f[5] ^= 0x02;
        x(&mut c, &f);
        assert_eq!(x(&mut c, &[0xFF; 2])[1], 0x09, "CRC error, idle");
        // Other commands are not checked while CRC is off...
        let mut f = sd::command(sd::CMD58, 0);
        f[5] = 0xFF;
        x(&mut c, &f);
        assert_eq!(x(&mut c, &[0xFF; 2])[1], 0x01);
        // ...and are once CMD59 turned it on.
        cmd(&mut c, sd::CMD59, 1, 0);
        x(&mut c, &f);
        assert_eq!(x(&mut c, &[0xFF; 2])[1], 0x09);
        assert_eq!(c.crc_errors(), 2);
    }

    #[test]
    fn sdhc_needs_hcs_and_reports_ccs() {
        let mut c = SdCard::new(1024).with_init_polls(1);
        cmd(&mut c, sd::CMD0, 0, 0);
        assert_eq!(cmd(&mut c, sd::CMD8, 0x1AA, 4), [0x01, 0, 0, 1, 0xAA]);
        for _ in 0..5 {
            cmd(&mut c, sd::CMD55, 0, 0);
            assert_eq!(
                cmd(&mut c, sd::ACMD41, 0, 0),
                [0x01],
                "no HCS: idle forever"
            );
        }
        assert_eq!(cmd(&mut c, sd::CMD58, 0, 4), [0x01, 0x00, 0xFF, 0x80, 0x00]);
        init(&mut c, true);
        assert_eq!(cmd(&mut c, sd::CMD58, 0, 4), [0x00, 0xC0, 0xFF, 0x80, 0x00]);
    }

    #[test]
    fn version1_cards_refuse_cmd8() {
        let mut c = SdCard::from_bytes(CardType::Sdsc1, vec![0; 64 * BLOCK]);
        cmd(&mut c, sd::CMD0, 0, 0);
        assert_eq!(cmd(&mut c, sd::CMD8, 0x1AA, 0), [0x05]);
    }

    #[test]
    fn single_block_write_then_read_with_crc_on() {
        let mut c = SdCard::new(1024);
        init(&mut c, true);
        cmd(&mut c, sd::CMD59, 1, 0);
        let data: Vec<u8> = (0..512).map(|i| i as u8).collect();
        assert_eq!(cmd(&mut c, sd::CMD24, 5, 0), [0x00]);
        let crc = sd::crc16(&data).to_be_bytes();
        let frame = [&[0xFF, sd::START_BLOCK][..], &data, &crc, &[0xFF; 3]].concat();
        let r = x(&mut c, &frame);
        assert_eq!(r[2 + 512 + 2] & 0x1F, sd::DATA_ACCEPTED);
        assert_eq!(r[2 + 512 + 3], 0x00, "busy");
        assert_eq!(c.block(5).unwrap(), data);
        // A corrupted block is refused with the CRC data response and not written.
        cmd(&mut c, sd::CMD24, 6, 0);
        let frame = [&[sd::START_BLOCK][..], &data, &[crc[0], !crc[1]], &[0xFF]].concat();
        assert_eq!(x(&mut c, &frame)[1 + 514], sd::DATA_CRC_ERROR);
        assert_eq!(c.block(6).unwrap(), vec![0; 512]);
        // Read it back: R1, N_AC, start token, data, CRC.
        x(&mut c, &sd::command(sd::CMD17, 5));
        let r = x(&mut c, &[0xFF; 2 + 2 + 1 + 512 + 2]);
        assert_eq!(&r[..5], &[0xFF, 0x00, 0xFF, 0xFF, sd::START_BLOCK]);
        assert_eq!(&r[5..517], &data[..]);
        assert_eq!(&r[517..519], &crc);
    }

    #[test]
    fn a_block_without_its_start_token_is_not_taken_as_data() {
        let mut c = SdCard::new(1024);
        init(&mut c, true);
        cmd(&mut c, sd::CMD24, 9, 0);
        // 0xFC is the multiple-block token: a single-block write ignores it and the data.
        let r = x(
            &mut c,
            &[&[0xFC][..], &[0x11; 512], &[0, 0], &[0xFF; 2]].concat(),
        );
        assert!(
            r.iter().all(|&b| b == 0xFF),
            "no data response for a block never started"
        );
        assert_eq!(c.writes(), 0);
        // The card still waits for its token: the right one starts the block.
        let r = x(
            &mut c,
            &[&[sd::START_BLOCK][..], &[0x22; 512], &[0, 0], &[0xFF]].concat(),
        );
        assert_eq!(r[515], sd::DATA_ACCEPTED);
        assert_eq!(c.block(9).unwrap(), vec![0x22; 512]);
    }

    #[test]
    fn sdsc_takes_byte_addresses_and_refuses_misaligned_ones() {
        let mut img = vec![0; 64 * BLOCK];
        img[3 * BLOCK] = 0xAB;
        let mut c = SdCard::sdsc(img);
        init(&mut c, false);
        assert_eq!(cmd(&mut c, sd::CMD17, 100, 0), [sd::R1_ADDRESS_ERROR]);
        x(&mut c, &sd::command(sd::CMD17, 3 * 512));
        assert_eq!(x(&mut c, &[0xFF; 6])[5], 0xAB);
    }

    #[test]
    fn out_of_range_reads_get_the_data_error_token_and_cmd13_reports_it() {
        let mut c = SdCard::new(1024);
        init(&mut c, true);
        x(&mut c, &sd::command(sd::CMD17, 1024));
        assert_eq!(
            x(&mut c, &[0xFF; 5]),
            [0xFF, 0x00, 0xFF, 0xFF, sd::DATA_ERROR_OUT_OF_RANGE]
        );
        assert_eq!(cmd(&mut c, sd::CMD13, 0, 1), [0x00, sd::R2_OUT_OF_RANGE]);
        assert_eq!(
            cmd(&mut c, sd::CMD13, 0, 1),
            [0x00, 0x00],
            "cleared when read"
        );
        // A write past the end is rejected after its block.
        cmd(&mut c, sd::CMD24, 2000, 0);
        let r = x(
            &mut c,
            &[&[sd::START_BLOCK][..], &[0; 514], &[0xFF]].concat(),
        );
        assert_eq!(r[515], sd::DATA_WRITE_ERROR);
    }

    #[test]
    fn multiple_block_read_streams_until_cmd12_and_write_until_stop_tran() {
        let mut c = SdCard::new(1024).with_timing(1, 2);
        init(&mut c, true);
        // CMD25: two blocks, then the stop-tran token.
        cmd(&mut c, sd::CMD25, 10, 0);
        for k in 0..2u8 {
            let r = x(
                &mut c,
                &[
                    &[0xFF, sd::START_MULTI][..],
                    &[k + 1; 512],
                    &[0, 0],
                    &[0xFF; 4],
                ]
                .concat(),
            );
            assert_eq!(r[2 + 514], sd::DATA_ACCEPTED);
        }
        assert_eq!(
            x(&mut c, &[sd::STOP_TRAN, 0xFF, 0xFF, 0xFF, 0xFF]),
            [0xFF, 0xFF, 0, 0, 0xFF]
        );
        assert_eq!((c.block(10).unwrap()[0], c.block(11).unwrap()[0]), (1, 2));
        // CMD18 from block 10; stop with CMD12 in the middle of the second block.
        x(&mut c, &sd::command(sd::CMD18, 10));
        let r = x(&mut c, &[0xFF; 2 + 1 + 1 + 512 + 2 + 1 + 1 + 10]);
        assert_eq!(&r[..4], &[0xFF, 0x00, 0xFF, sd::START_BLOCK]);
        assert_eq!(r[4], 1);
        assert_eq!(r[4 + 512 + 2 + 1], sd::START_BLOCK);
        assert_eq!(r[4 + 512 + 2 + 2], 2);
        x(&mut c, &sd::command(sd::CMD12, 0));
        // A stuff byte, N_CR, R1, then busy.
        assert_eq!(x(&mut c, &[0xFF; 6]), [0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF]);
        assert_eq!(cmd(&mut c, sd::CMD13, 0, 1), [0x00, 0x00]);
    }

    #[test]
    fn csd_states_the_capacity() {
        let mut c = SdCard::new(2048);
        init(&mut c, true);
        x(&mut c, &sd::command(sd::CMD9, 0));
        let r = x(&mut c, &[0xFF; 2 + 2 + 1 + 16 + 2]);
        let csd = &r[5..21];
        assert_eq!(csd[0] >> 6, 1, "CSD version 2.0");
        let c_size = ((csd[7] as u32 & 0x3F) << 16) | (csd[8] as u32) << 8 | csd[9] as u32;
        assert_eq!((c_size + 1) * 1024, 2048);
        assert_eq!(csd[15], (sd::crc7(&csd[..15]) << 1) | 1);
        // SDSC: (C_SIZE + 1) << (C_SIZE_MULT + 2) blocks.
        let mut c = SdCard::sdsc(vec![0; 3000 * BLOCK]);
        let blocks = c.blocks() as u32;
        init(&mut c, false);
        x(&mut c, &sd::command(sd::CMD9, 0));
        let r = x(&mut c, &[0xFF; 2 + 2 + 1 + 16 + 2]);
        let csd = &r[5..21];
        assert_eq!(csd[0] >> 6, 0, "CSD version 1.0");
        let c_size = ((csd[6] as u32 & 3) << 10) | (csd[7] as u32) << 2 | (csd[8] as u32) >> 6;
        let mult = ((csd[9] as u32 & 3) << 1) | (csd[10] as u32) >> 7;
        assert_eq!((csd[5] & 0x0F), 9, "READ_BL_LEN 512");
        assert_eq!((c_size + 1) << (mult + 2), blocks);
        assert!(blocks >= 3000);
    }
}
