//! A TMP105-like I2C temperature sensor.

use crate::I2cTarget;
use rtio::Error;

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
/// use rtio_sim::{I2cTarget, Tmp105};
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
