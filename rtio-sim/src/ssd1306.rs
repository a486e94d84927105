//! An SSD1306 OLED controller (128x64 or 128x32) on I2C.
//!
//! Facts the model keeps (SSD1306 datasheet):
//!
//! * After the address, each write starts with a control byte: Co (bit 7) and D/C# (bit 6).
//!   With Co = 0 every following byte of the transfer is a command (D/C# = 0) or display
//!   data (D/C# = 1); with Co = 1 only the next byte is, and another control byte follows.
//!   A read returns the status byte (bit 6: display off).
//! * Commands take their parameters from the command stream; every command of the set is
//!   accepted, a byte that is none is ignored and counted.
//! * The 128x64 GDDRAM is 8 pages of 128 columns, one byte a column holding 8 rows (bit 0 at
//!   the top). Page addressing (the reset mode, B0h-B7h and 00h-1Fh) wraps the column
//!   pointer in the page; horizontal and vertical addressing (20h) run over the window set
//!   by 21h/22h and wrap to its start.
//! * What SEG/COM drive ([`Ssd1306::output`]): segment remap (A0h/A1h) mirrors columns, COM
//!   scan direction (C0h/C8h) mirrors rows, start line (40h-7Fh) rolls them, A6h/A7h invert,
//!   A5h lights everything; dark while the display is off (AEh) or the charge pump (8Dh) is
//!   off on a module without an external supply.

use crate::I2cTarget;
use rtio::Error;
use std::vec;
use std::vec::Vec;

/// Parameter bytes of the SSD1306 commands that take some.
fn params_of(cmd: u8) -> Option<usize> {
    Some(match cmd {
        0x81 | 0x20 | 0xA8 | 0xD3 | 0xD5 | 0xD9 | 0xDA | 0xDB | 0x8D | 0xD6 | 0x23 => 1,
        0x21 | 0x22 | 0xA3 => 2,
        0x29 | 0x2A => 5,
        0x26 | 0x27 => 6,
        0x00..=0x1F | 0x2E | 0x2F | 0x40..=0x7F | 0xA0 | 0xA1 | 0xA4..=0xA7 | 0xAE | 0xAF => 0,
        0xB0..=0xB7 | 0xC0 | 0xC8 | 0xE3 => 0,
        _ => return None,
    })
}

/// An SSD1306 with `height` rows (64 or 32) and 128 columns.
///
/// ```
/// use rtio_sim::{I2cTarget, Ssd1306};
/// let mut oled = Ssd1306::new(64);
/// oled.start(false).unwrap();
/// oled.write(&[0x00, 0xB2, 0x05, 0x10]).unwrap(); // commands: page 2, column 5
/// oled.stop();
/// oled.start(false).unwrap();
/// oled.write(&[0x40, 0b0000_0001]).unwrap(); // data: the top row of page 2 at column 5
/// oled.stop();
/// assert!(oled.pixel(5, 16) && !oled.pixel(5, 17));
/// ```
#[derive(Debug, Clone)]
pub struct Ssd1306 {
    height: u8,
    ram: Vec<u8>,
    /// In this transfer: expecting a control byte, else the kind of the next byte(s).
    expect_control: bool,
    continuation: bool,
    data_mode: bool,
    /// A command waiting for its parameters.
    pending: Option<(u8, usize, Vec<u8>)>,
    mode: u8,
    col: u8,
    page: u8,
    cols: (u8, u8),
    pages: (u8, u8),
    on: bool,
    charge_pump: bool,
    remap: bool,
    com_reverse: bool,
    inverse: bool,
    all_on: bool,
    start_line: u8,
    contrast: u8,
    unknown: u64,
    bytes_written: u64,
}

impl Ssd1306 {
    /// A controller after reset, its GDDRAM cleared, for a `height`-row panel (64 or 32).
    pub fn new(height: u8) -> Ssd1306 {
        let height = if height <= 32 { 32 } else { 64 };
        Ssd1306 {
            height,
            ram: vec![0; 128 * 8],
            expect_control: true,
            continuation: false,
            data_mode: false,
            pending: None,
            mode: 0x02,
            col: 0,
            page: 0,
            cols: (0, 127),
            pages: (0, 7),
            on: false,
            charge_pump: false,
            remap: false,
            com_reverse: false,
            inverse: false,
            all_on: false,
            start_line: 0,
            contrast: 0x7F,
            unknown: 0,
            bytes_written: 0,
        }
    }

    /// GDDRAM pixel (column `x`, row `y`).
    ///
    /// # Panics
    /// Outside 128x64.
    pub fn pixel(&self, x: u8, y: u8) -> bool {
        self.ram[(y as usize / 8) * 128 + x as usize] & (1 << (y % 8)) != 0
    }

    /// Whether segment `seg`, common `com` is lit: remap, scan direction, start line,
    /// inversion and the supply applied.
    pub fn output(&self, seg: u8, com: u8) -> bool {
        if !self.on || !self.charge_pump {
            return false;
        }
        if self.all_on {
            return true;
        }
        let rows = self.height;
        let com = if self.com_reverse {
            rows - 1 - com
        } else {
            com
        };
        let row = (com + self.start_line) % 64;
        let col = if self.remap { 127 - seg } else { seg };
        self.pixel(col, row) ^ self.inverse
    }

    /// Rows of the panel.
    pub fn height(&self) -> u8 {
        self.height
    }
    /// Whether the display is on (AFh).
    pub fn is_on(&self) -> bool {
        self.on
    }
    /// Whether the charge pump is enabled (8Dh 14h).
    pub fn charge_pump(&self) -> bool {
        self.charge_pump
    }
    /// The contrast (81h).
    pub fn contrast(&self) -> u8 {
        self.contrast
    }
    /// The memory addressing mode (20h): 0 horizontal, 1 vertical, 2 page.
    pub fn addressing_mode(&self) -> u8 {
        self.mode
    }
    /// Segment remap (A1h) and reversed COM scan (C8h).
    pub fn orientation(&self) -> (bool, bool) {
        (self.remap, self.com_reverse)
    }
    /// Display data bytes written to GDDRAM.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }
    /// Command bytes that are no SSD1306 command (ignored).
    pub fn unknown_commands(&self) -> u64 {
        self.unknown
    }

    /// What the panel shows, as a PNG (lit pixels white).
    pub fn to_png(&self) -> Vec<u8> {
        let mut rgb = Vec::with_capacity(128 * self.height as usize * 3);
        for com in 0..self.height {
            for seg in 0..128 {
                let v = if self.output(seg, com) { 0xFF } else { 0x00 };
                rgb.extend_from_slice(&[v, v, v]);
            }
        }
        crate::png::encode_rgb(128, self.height as u32, &rgb)
    }

    /// Writes [`Ssd1306::to_png`] to `path`.
    ///
    /// # Errors
    /// The file system's error.
    pub fn save_png(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_png())
    }

    fn command(&mut self, c: u8, p: &[u8]) {
        match (c, p) {
            (0x00..=0x0F, _) => self.col = (self.col & 0xF0) | c,
            (0x10..=0x1F, _) => self.col = ((c & 0x07) << 4) | (self.col & 0x0F),
            (0x20, [m]) => self.mode = m & 0x03,
            (0x21, [s, e]) => {
                self.cols = (s & 0x7F, e & 0x7F);
                self.col = self.cols.0;
            }
            (0x22, [s, e]) => {
                self.pages = (s & 0x07, e & 0x07);
                self.page = self.pages.0;
            }
            (0x40..=0x7F, _) => self.start_line = c & 0x3F,
            (0x81, [v]) => self.contrast = *v,
            (0x8D, [v]) => self.charge_pump = v & 0x04 != 0,
            (0xA0 | 0xA1, _) => self.remap = c == 0xA1,
            (0xA4 | 0xA5, _) => self.all_on = c == 0xA5,
            (0xA6 | 0xA7, _) => self.inverse = c == 0xA7,
            (0xAE | 0xAF, _) => self.on = c == 0xAF,
            (0xB0..=0xB7, _) => self.page = c & 0x07,
            (0xC0 | 0xC8, _) => self.com_reverse = c == 0xC8,
            _ => {}
        }
    }

    fn command_byte(&mut self, b: u8) {
        if let Some((c, need, mut p)) = self.pending.take() {
            p.push(b);
            if p.len() == need {
                self.command(c, &p);
            } else {
                self.pending = Some((c, need, p));
            }
            return;
        }
        match params_of(b) {
            None => self.unknown += 1,
            Some(0) => self.command(b, &[]),
            Some(n) => self.pending = Some((b, n, Vec::with_capacity(n))),
        }
    }

    fn data_byte(&mut self, b: u8) {
        self.ram[self.page as usize * 128 + self.col as usize] = b;
        self.bytes_written += 1;
        match self.mode {
            0 => {
                if self.col >= self.cols.1 {
                    self.col = self.cols.0;
                    self.page = if self.page >= self.pages.1 {
                        self.pages.0
                    } else {
                        self.page + 1
                    };
                } else {
                    self.col += 1;
                }
            }
            1 => {
                if self.page >= self.pages.1 {
                    self.page = self.pages.0;
                    self.col = if self.col >= self.cols.1 {
                        self.cols.0
                    } else {
                        self.col + 1
                    };
                } else {
                    self.page += 1;
                }
            }
            _ => self.col = (self.col + 1) % 128,
        }
    }
}

impl I2cTarget for Ssd1306 {
    fn start(&mut self, _read: bool) -> Result<(), Error> {
        self.expect_control = true;
        self.continuation = false;
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        for &b in data {
            if self.expect_control {
                self.continuation = b & 0x80 != 0;
                self.data_mode = b & 0x40 != 0;
                self.expect_control = false;
                continue;
            }
            if self.data_mode {
                self.data_byte(b);
            } else {
                self.command_byte(b);
            }
            if self.continuation {
                self.expect_control = true;
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        // The status byte: D6 set while the display is off.
        buf.fill(if self.on { 0x00 } else { 0x40 });
        Ok(())
    }

    fn stop(&mut self) {
        self.expect_control = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(o: &mut Ssd1306, c: &[u8]) {
        o.start(false).unwrap();
        o.write(&[&[0x00][..], c].concat()).unwrap();
        o.stop();
    }

    fn data(o: &mut Ssd1306, d: &[u8]) {
        o.start(false).unwrap();
        o.write(&[&[0x40][..], d].concat()).unwrap();
        o.stop();
    }

    #[test]
    fn horizontal_addressing_runs_over_the_window_and_wraps() {
        let mut o = Ssd1306::new(64);
        cmds(&mut o, &[0x20, 0x00, 0x21, 10, 11, 0x22, 1, 2]);
        data(&mut o, &[0x01, 0x02, 0x04, 0x08, 0xFF]);
        assert!(o.pixel(10, 8) && o.pixel(11, 9) && o.pixel(10, 18) && o.pixel(11, 19));
        // The fifth byte wrapped to the window's start.
        assert_eq!(o.ram[128 + 10], 0xFF);
    }

    #[test]
    fn page_addressing_wraps_within_the_page_and_co_bit_interleaves() {
        let mut o = Ssd1306::new(64);
        // Co = 1: one command, then another control byte; then a data run.
        o.start(false).unwrap();
        o.write(&[0x80, 0xB3, 0x80, 0x0F, 0x80, 0x17, 0x40, 0xAA, 0x55])
            .unwrap();
        o.stop();
        assert_eq!((o.ram[3 * 128 + 127], o.ram[3 * 128]), (0xAA, 0x55));
    }

    #[test]
    fn outputs_follow_remap_scan_direction_inversion_and_the_supply() {
        let mut o = Ssd1306::new(64);
        cmds(&mut o, &[0xB0, 0x00, 0x10]);
        data(&mut o, &[0x01]); // pixel (0, 0)
        assert!(!o.output(0, 0), "off and no charge pump: dark");
        cmds(&mut o, &[0x8D, 0x14, 0xAF]);
        assert!(o.output(0, 0));
        cmds(&mut o, &[0xA1, 0xC8]);
        assert!(o.output(127, 63) && !o.output(0, 0));
        cmds(&mut o, &[0xA7]);
        assert!(!o.output(127, 63) && o.output(0, 0));
        cmds(&mut o, &[0x99]); // no such command
        assert_eq!(o.unknown_commands(), 1);
    }
}
