//! A display controller with an RGB565 framebuffer on SPI.

use crate::SpiTarget;
use rtio::Error;
use std::vec;
use std::vec::Vec;

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
/// use rtio_sim::{cmd, Display, SpiTarget};
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
        crate::png::encode_rgb(self.width as u32, self.height as u32, &rgb)
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
