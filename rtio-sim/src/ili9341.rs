//! An ILI9341 TFT controller on 4-wire SPI: a D/C line tells commands from parameters and
//! pixel data, as in the datasheet's "4-line serial interface".
//!
//! Facts the model keeps (ILI9341 datasheet, MIPI DCS):
//!
//! * Each byte clocked with D/C low is a command; bytes with D/C high are its parameters (or
//!   pixel data for RAMWR/RAMWRC). Chip select going high between bytes does not end a
//!   command: drivers send the command and its parameters in separate chip-select cycles,
//!   and pixel data in as many as they like.
//! * Every command of the set is accepted, with its parameters latched (the vendor power,
//!   gamma and timing commands of a full init sequence included); a byte that is no command
//!   is ignored, as the controller does, and counted ([`Ili9341::unknown_commands`]).
//! * SWRESET restores the reset defaults (sleep in, display off, MADCTL 0, 18-bit pixels,
//!   the full window) and keeps the frame memory. SLPIN/SLPOUT, DISPOFF/DISPON, INVOFF/INVON
//!   change what the panel shows ([`Ili9341::panel_rgb565`]), not the memory.
//! * CASET/PASET set the window; RAMWR starts writing at its corner, RAMWRC continues; the
//!   pointer runs along the column, then the next page, and wraps to the window's start.
//!   Addresses past the memory (239 columns and 319 pages, exchanged when MADCTL.MV) are
//!   dropped.
//! * COLMOD selects 16-bit (RGB565, two bytes) or 18-bit (three bytes, 6 bits each, left
//!   aligned) pixels; the memory holds 6 bits a component (a 5-bit component is stored with
//!   its MSB repeated as LSB).
//! * MADCTL: MV exchanges the column and page counters, then MX mirrors the memory columns
//!   and MY the memory rows; BGR swaps red and blue between memory and panel.
//! * RDDID (04h) and RDID4 (D3h) answer on MISO after a dummy byte: the model's ID is the
//!   ILI9341's `00 93 41`.

use crate::{Line, SpiTarget};
use rtio::Error;
use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

/// Panel width in pixels (memory columns).
pub const WIDTH: u16 = 240;
/// Panel height in pixels (memory rows).
pub const HEIGHT: u16 = 320;

/// ILI9341 command codes (the level 1 and level 2 sets).
pub mod ili {
    /// No operation.
    pub const NOP: u8 = 0x00;
    /// Software reset.
    pub const SWRESET: u8 = 0x01;
    /// Read display identification (dummy, then 3 bytes).
    pub const RDDID: u8 = 0x04;
    /// Enter sleep mode.
    pub const SLPIN: u8 = 0x10;
    /// Sleep out.
    pub const SLPOUT: u8 = 0x11;
    /// Partial mode on.
    pub const PTLON: u8 = 0x12;
    /// Normal display mode on.
    pub const NORON: u8 = 0x13;
    /// Display inversion off.
    pub const INVOFF: u8 = 0x20;
    /// Display inversion on.
    pub const INVON: u8 = 0x21;
    /// Gamma set.
    pub const GAMSET: u8 = 0x26;
    /// Display off.
    pub const DISPOFF: u8 = 0x28;
    /// Display on.
    pub const DISPON: u8 = 0x29;
    /// Column address set: SC, EC (16-bit, big-endian).
    pub const CASET: u8 = 0x2A;
    /// Page address set: SP, EP (16-bit, big-endian).
    pub const PASET: u8 = 0x2B;
    /// Memory write from the window's start.
    pub const RAMWR: u8 = 0x2C;
    /// Memory access control.
    pub const MADCTL: u8 = 0x36;
    /// Vertical scrolling start address.
    pub const VSCRSADD: u8 = 0x37;
    /// Pixel format set.
    pub const COLMOD: u8 = 0x3A;
    /// Memory write continue.
    pub const RAMWRC: u8 = 0x3C;
    /// Read ID4 (dummy, then `00 93 41`).
    pub const RDID4: u8 = 0xD3;
    /// MADCTL: row (page) address order.
    pub const MY: u8 = 0x80;
    /// MADCTL: column address order.
    pub const MX: u8 = 0x40;
    /// MADCTL: row/column exchange.
    pub const MV: u8 = 0x20;
    /// MADCTL: BGR panel order.
    pub const BGR: u8 = 0x08;

    /// Every command code the controller knows (level 1, level 2 and the extended
    /// power/timing/gamma registers of the datasheet).
    pub(crate) const KNOWN: &[u8] = &[
        0x00, 0x01, 0x04, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x20,
        0x21, 0x26, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x30, 0x33, 0x34, 0x35, 0x36, 0x37,
        0x38, 0x39, 0x3A, 0x3C, 0x3E, 0x44, 0x45, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x5E, 0x5F,
        0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xBA, 0xBF, 0xC0, 0xC1, 0xC5, 0xC7,
        0xCB, 0xCF, 0xD0, 0xD2, 0xD3, 0xD9, 0xDA, 0xDB, 0xDC, 0xE0, 0xE1, 0xE2, 0xE3, 0xE8, 0xE9,
        0xEA, 0xED, 0xEF, 0xF2, 0xF6, 0xF7,
    ];
}

/// An ILI9341 with its 240x320 frame memory, on 4-wire SPI with the D/C line `dc`.
///
/// ```
/// use rtio_sim::{ili, Ili9341, Line, SpiTarget};
/// let dc = Line::new(false);
/// let mut lcd = Ili9341::new(dc.clone());
/// let mut send = |lcd: &mut Ili9341, cmd: u8, data: &[u8]| {
///     dc.set(false);
///     lcd.transfer(&[cmd], &mut []).unwrap();
///     dc.set(true);
///     lcd.transfer(data, &mut []).unwrap();
/// };
/// send(&mut lcd, ili::COLMOD, &[0x55]); // 16-bit pixels
/// send(&mut lcd, ili::CASET, &[0, 10, 0, 11]);
/// send(&mut lcd, ili::PASET, &[0, 20, 0, 20]);
/// send(&mut lcd, ili::RAMWR, &[0xF8, 0x00, 0x07, 0xE0]); // red, green
/// assert_eq!((lcd.pixel_rgb565(10, 20), lcd.pixel_rgb565(11, 20)), (0xF800, 0x07E0));
/// ```
#[derive(Debug, Clone)]
pub struct Ili9341 {
    dc: Line,
    /// Frame memory, row-major, 6 bits a component.
    mem: Vec<[u8; 3]>,
    cmd: u8,
    params: Vec<u8>,
    /// Last parameters of every command that had some.
    latched: Vec<(u8, Vec<u8>)>,
    madctl: u8,
    colmod: u8,
    cols: (u16, u16),
    pages: (u16, u16),
    /// The write pointer (column, page) in the window.
    ptr: (u16, u16),
    partial: Vec<u8>,
    sleeping: bool,
    on: bool,
    inverted: bool,
    out: VecDeque<u8>,
    resets: u64,
    pixels_written: u64,
    memory_writes: u64,
    unknown: u64,
}

impl Ili9341 {
    /// A controller after power-on reset, its frame memory black.
    pub fn new(dc: Line) -> Ili9341 {
        let mut d = Ili9341 {
            dc,
            mem: vec![[0; 3]; WIDTH as usize * HEIGHT as usize],
            cmd: ili::NOP,
            params: Vec::new(),
            latched: Vec::new(),
            madctl: 0,
            colmod: 0x66,
            cols: (0, 0),
            pages: (0, 0),
            ptr: (0, 0),
            partial: Vec::new(),
            sleeping: true,
            on: false,
            inverted: false,
            out: VecDeque::new(),
            resets: 0,
            pixels_written: 0,
            memory_writes: 0,
            unknown: 0,
        };
        d.reset();
        d.resets = 0;
        d
    }

    fn reset(&mut self) {
        self.madctl = 0;
        self.colmod = 0x66;
        self.cols = (0, WIDTH - 1);
        self.pages = (0, HEIGHT - 1);
        self.ptr = (0, 0);
        self.sleeping = true;
        self.on = false;
        self.inverted = false;
        self.partial.clear();
        self.resets += 1;
    }

    /// The memory pixel at (x, y) as RGB565 (what was written, before the panel's BGR and
    /// inversion).
    ///
    /// # Panics
    /// Outside 240x320.
    pub fn pixel_rgb565(&self, x: u16, y: u16) -> u16 {
        let [r, g, b] = self.mem[y as usize * WIDTH as usize + x as usize];
        ((r as u16 >> 1) << 11) | ((g as u16) << 5) | (b as u16 >> 1)
    }

    /// What the panel shows at (x, y), RGB565: BGR order and inversion applied; black when
    /// the display is off or asleep.
    pub fn panel_rgb565(&self, x: u16, y: u16) -> u16 {
        if !self.on || self.sleeping {
            return 0;
        }
        let [mut r, g, mut b] = self.mem[y as usize * WIDTH as usize + x as usize];
        if self.madctl & ili::BGR != 0 {
            core::mem::swap(&mut r, &mut b);
        }
        let p = ((r as u16 >> 1) << 11) | ((g as u16) << 5) | (b as u16 >> 1);
        if self.inverted {
            !p
        } else {
            p
        }
    }

    /// Whether DISPON is in force.
    pub fn is_on(&self) -> bool {
        self.on
    }
    /// Whether the controller is in sleep mode (after reset and SLPIN).
    pub fn is_sleeping(&self) -> bool {
        self.sleeping
    }
    /// MADCTL.
    pub fn madctl(&self) -> u8 {
        self.madctl
    }
    /// COLMOD.
    pub fn colmod(&self) -> u8 {
        self.colmod
    }
    /// The last parameters command `cmd` got, if it had any.
    pub fn params(&self, cmd: u8) -> Option<&[u8]> {
        self.latched
            .iter()
            .find(|(c, _)| *c == cmd)
            .map(|(_, p)| p.as_slice())
    }
    /// Software resets seen.
    pub fn resets(&self) -> u64 {
        self.resets
    }
    /// Pixels stored in the memory.
    pub fn pixels_written(&self) -> u64 {
        self.pixels_written
    }
    /// RAMWR/RAMWRC commands received.
    pub fn memory_writes(&self) -> u64 {
        self.memory_writes
    }
    /// Bytes sent as commands that are no ILI9341 command (ignored).
    pub fn unknown_commands(&self) -> u64 {
        self.unknown
    }

    /// The panel as a PNG image (8-bit RGB).
    pub fn to_png(&self) -> Vec<u8> {
        let mut rgb = Vec::with_capacity(self.mem.len() * 3);
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                let p = self.panel_rgb565(x, y);
                let (r, g, b) = ((p >> 11) as u8, ((p >> 5) & 0x3F) as u8, (p & 0x1F) as u8);
                rgb.extend_from_slice(&[
                    (r << 3) | (r >> 2),
                    (g << 2) | (g >> 4),
                    (b << 3) | (b >> 2),
                ]);
            }
        }
        crate::png::encode_rgb(WIDTH as u32, HEIGHT as u32, &rgb)
    }

    /// Writes the panel to `path` as a PNG.
    ///
    /// # Errors
    /// The file system's error.
    pub fn save_png(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_png())
    }

    fn command(&mut self, c: u8) {
        self.cmd = c;
        self.params.clear();
        self.partial.clear();
        if !ili::KNOWN.contains(&c) {
            self.unknown += 1;
            self.cmd = ili::NOP;
            return;
        }
        match c {
            ili::SWRESET => self.reset(),
            ili::SLPIN => self.sleeping = true,
            ili::SLPOUT => self.sleeping = false,
            ili::INVOFF => self.inverted = false,
            ili::INVON => self.inverted = true,
            ili::DISPOFF => self.on = false,
            ili::DISPON => self.on = true,
            ili::RAMWR => {
                self.ptr = (self.cols.0, self.pages.0);
                self.memory_writes += 1;
            }
            ili::RAMWRC => self.memory_writes += 1,
            ili::RDDID | ili::RDID4 => {
                self.out.clear();
                // A dummy clock, then the ID.
                self.out.extend([0x00, 0x00, 0x93, 0x41]);
            }
            _ => {}
        }
    }

    fn data(&mut self, b: u8) {
        match self.cmd {
            ili::RAMWR | ili::RAMWRC => self.pixel_byte(b),
            ili::NOP => {}
            c => {
                self.params.push(b);
                let p = self.params.clone();
                match (c, p.as_slice()) {
                    (ili::CASET, [a, b, c, d]) => {
                        self.cols = (u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d]))
                    }
                    (ili::PASET, [a, b, c, d]) => {
                        self.pages = (u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d]))
                    }
                    (ili::MADCTL, [m]) => self.madctl = *m,
                    (ili::COLMOD, [f]) => self.colmod = *f,
                    _ => {}
                }
                match self.latched.iter_mut().find(|(k, _)| *k == c) {
                    Some((_, v)) => *v = p,
                    None => self.latched.push((c, p)),
                }
            }
        }
    }

    fn pixel_byte(&mut self, b: u8) {
        self.partial.push(b);
        // DBI bits of COLMOD: 101 is 16 bits a pixel, anything else 18 (three bytes).
        let sixteen = self.colmod & 0x07 == 0x05;
        let px = match (sixteen, self.partial.as_slice()) {
            (true, [h, l]) => {
                let v = u16::from_be_bytes([*h, *l]);
                let (r, g, b) = ((v >> 11) as u8, ((v >> 5) & 0x3F) as u8, (v & 0x1F) as u8);
                [(r << 1) | (r >> 4), g, (b << 1) | (b >> 4)]
            }
            (false, [r, g, b]) => [r >> 2, g >> 2, b >> 2],
            _ => return,
        };
        self.partial.clear();
        self.store(px);
    }

    /// Stores a pixel at the write pointer and advances it.
    fn store(&mut self, px: [u8; 3]) {
        let (c, p) = self.ptr;
        let (mut x, mut y) = if self.madctl & ili::MV != 0 {
            (p, c)
        } else {
            (c, p)
        };
        if x < WIDTH && y < HEIGHT {
            if self.madctl & ili::MX != 0 {
                x = WIDTH - 1 - x;
            }
            if self.madctl & ili::MY != 0 {
                y = HEIGHT - 1 - y;
            }
            self.mem[y as usize * WIDTH as usize + x as usize] = px;
            self.pixels_written += 1;
        }
        let (mut c, mut p) = (c + 1, p);
        if c > self.cols.1 {
            c = self.cols.0;
            p += 1;
            if p > self.pages.1 {
                p = self.pages.0;
            }
        }
        self.ptr = (c, p);
    }
}

impl SpiTarget for Ili9341 {
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        // The D/C line as the bytes are clocked (a driver changes it between transfers).
        let command = !self.dc.is_high();
        let n = tx.len().max(rx.len());
        for i in 0..n {
            let b = tx.get(i).copied().unwrap_or(0x00);
            if let Some(r) = rx.get_mut(i) {
                *r = self.out.pop_front().unwrap_or(0x00);
            }
            if i < tx.len() {
                if command {
                    self.command(b);
                } else if self.out.is_empty() {
                    self.data(b);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(lcd: &mut Ili9341, dc: &Line, cmd: u8, data: &[u8]) {
        dc.set(false);
        lcd.transfer(&[cmd], &mut []).unwrap();
        dc.set(true);
        for b in data {
            // One byte a chip-select cycle: the command still holds.
            lcd.transfer(&[*b], &mut []).unwrap();
        }
    }

    #[test]
    fn a_full_init_sequence_is_accepted_and_latched() {
        let dc = Line::new(false);
        let mut lcd = Ili9341::new(dc.clone());
        // The vendor init sequence common ILI9341 drivers send.
        let seq: &[(u8, &[u8])] = &[
            (0x01, &[]),
            (0xEF, &[0x03, 0x80, 0x02]),
            (0xCF, &[0x00, 0xC1, 0x30]),
            (0xED, &[0x64, 0x03, 0x12, 0x81]),
            (0xE8, &[0x85, 0x00, 0x78]),
            (0xCB, &[0x39, 0x2C, 0x00, 0x34, 0x02]),
            (0xF7, &[0x20]),
            (0xEA, &[0x00, 0x00]),
            (0xC0, &[0x23]),
            (0xC1, &[0x10]),
            (0xC5, &[0x3E, 0x28]),
            (0xC7, &[0x86]),
            (0x36, &[0x48]),
            (0x37, &[0x00]),
            (0x3A, &[0x55]),
            (0xB1, &[0x00, 0x18]),
            (0xB6, &[0x08, 0x82, 0x27]),
            (0xF2, &[0x00]),
            (0x26, &[0x01]),
            (
                0xE0,
                &[
                    0x0F, 0x31, 0x2B, 0x0C, 0x0E, 0x08, 0x4E, 0xF1, 0x37, 0x07, 0x10, 0x03, 0x0E,
                    0x09, 0x00,
                ],
            ),
            (
                0xE1,
                &[
                    0x00, 0x0E, 0x14, 0x03, 0x11, 0x07, 0x31, 0xC1, 0x48, 0x08, 0x0F, 0x0C, 0x31,
                    0x36, 0x0F,
                ],
            ),
            (0x11, &[]),
            (0x29, &[]),
        ];
        for (c, p) in seq {
            send(&mut lcd, &dc, *c, p);
        }
        assert_eq!(lcd.unknown_commands(), 0);
        assert_eq!((lcd.madctl(), lcd.colmod()), (0x48, 0x55));
        assert_eq!(lcd.params(0xCB), Some(&[0x39, 0x2C, 0x00, 0x34, 0x02][..]));
        assert!(lcd.is_on() && !lcd.is_sleeping());
        // A byte that is no command is ignored and counted.
        send(&mut lcd, &dc, 0x77, &[1, 2]);
        assert_eq!(lcd.unknown_commands(), 1);
    }

    #[test]
    fn madctl_exchanges_then_mirrors_and_bgr_swaps_on_the_panel() {
        let dc = Line::new(false);
        let mut lcd = Ili9341::new(dc.clone());
        send(&mut lcd, &dc, ili::COLMOD, &[0x55]);
        send(&mut lcd, &dc, ili::SLPOUT, &[]);
        send(&mut lcd, &dc, ili::DISPON, &[]);
        let red = [0xF8, 0x00];
        // MV|MX: logical (x, y) lands at memory (239 - y, x): a quarter turn clockwise.
        send(&mut lcd, &dc, ili::MADCTL, &[ili::MV | ili::MX]);
        send(&mut lcd, &dc, ili::CASET, &[0x01, 0x3F, 0x01, 0x3F]); // x = 319
        send(&mut lcd, &dc, ili::PASET, &[0, 5, 0, 5]); // y = 5
        send(&mut lcd, &dc, ili::RAMWR, &red);
        assert_eq!(lcd.pixel_rgb565(239 - 5, 319), 0xF800);
        // MY alone: rows counted from the bottom.
        send(&mut lcd, &dc, ili::MADCTL, &[ili::MY]);
        send(&mut lcd, &dc, ili::CASET, &[0, 3, 0, 3]);
        send(&mut lcd, &dc, ili::PASET, &[0, 0, 0, 0]);
        send(&mut lcd, &dc, ili::RAMWR, &red);
        assert_eq!(lcd.pixel_rgb565(3, 319), 0xF800);
        // BGR: the panel shows red as blue; the memory keeps what was written.
        send(&mut lcd, &dc, ili::MADCTL, &[ili::BGR]);
        assert_eq!(lcd.panel_rgb565(3, 319), 0x001F);
        // Out of the memory (no MV: column 240) is dropped, not wrapped.
        send(&mut lcd, &dc, ili::CASET, &[0, 240, 0, 240]);
        let before = lcd.pixels_written();
        send(&mut lcd, &dc, ili::RAMWR, &red);
        assert_eq!(lcd.pixels_written(), before);
    }

    #[test]
    fn the_window_wraps_ramwrc_continues_and_18_bit_pixels_work() {
        let dc = Line::new(false);
        let mut lcd = Ili9341::new(dc.clone()); // 18-bit after reset
        send(&mut lcd, &dc, ili::CASET, &[0, 0, 0, 1]);
        send(&mut lcd, &dc, ili::PASET, &[0, 0, 0, 0]);
        // Three pixels into a 2x1 window: the third wraps to the start.
        send(
            &mut lcd,
            &dc,
            ili::RAMWR,
            &[0xFC, 0, 0, 0, 0xFC, 0, 0, 0, 0xFC],
        );
        assert_eq!(
            (lcd.pixel_rgb565(0, 0), lcd.pixel_rgb565(1, 0)),
            (0x001F, 0x07E0)
        );
        send(&mut lcd, &dc, ili::RAMWRC, &[0xFC, 0xFC, 0xFC]);
        assert_eq!(lcd.pixel_rgb565(1, 0), 0xFFFF);
        // SWRESET keeps the memory, restores the defaults.
        send(&mut lcd, &dc, ili::SWRESET, &[]);
        assert_eq!(
            (lcd.pixel_rgb565(1, 0), lcd.is_sleeping(), lcd.madctl()),
            (0xFFFF, true, 0)
        );
    }

    #[test]
    fn rdid4_answers_after_a_dummy_byte() {
        let dc = Line::new(false);
        let mut lcd = Ili9341::new(dc.clone());
        lcd.transfer(&[ili::RDID4], &mut []).unwrap();
        dc.set(true);
        let mut id = [0u8; 4];
        lcd.transfer(&[], &mut id).unwrap();
        assert_eq!(id, [0x00, 0x00, 0x93, 0x41]);
    }
}
