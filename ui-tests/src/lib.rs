//! Devices for the trybuild cases of `rtio-macros`: simulated iodevs that complete every
//! request at once, and their kinds declared with `#[rtio_iodev]`.
//!
//! | device | kind | can |
//! |---|---|---|
//! | [`TEMP`] | [`Tmp105`] | read, write; I2C 0x48 |
//! | [`ADC`] | [`Adc`] | read only; I2C 0x49 |
//! | [`DISPLAY`] | [`Display`] | write only; SPI cs 0 |
//! | [`FLASH`] | [`Flash`] | read, write, transceive; SPI cs 1 |
//! | [`IMU`] | [`Imu`] | read, stream; I2C 0x6a |
//!
//! Reads fill the buffer with `0x19, 0x1a, ..`; writes succeed with their length; a
//! multishot read produces [`SHOTS`] pool buffers, the last one terminal.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

// The host critical section (std) that the runtime needs without its `std` feature.
use critical_section as _;
use rtio::{Dev, Error, Iodev, IodevApi, Request, Shot, Token};
use rtio_macros::rtio_iodev;

/// Shots a multishot read produces before it completes.
pub const SHOTS: usize = 4;

/// A driver that serves every request at once, from the submitting context.
#[derive(Debug)]
pub struct Immediate;

fn serve(req: Option<Request<'_>>) -> Result<usize, Error> {
    match req {
        Some(Request::Read(buf)) => {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = 0x19 + i as u8;
            }
            Ok(buf.len())
        }
        Some(Request::Write(data)) => Ok(data.len()),
        Some(Request::Transceive { tx, rx }) => {
            let n = tx.len().min(rx.len());
            rx[..n].copy_from_slice(&tx[..n]);
            Ok(rx.len())
        }
        _ => Ok(0),
    }
}

impl IodevApi for Immediate {
    fn submit(&'static self, mut t: Token) {
        if t.is_multishot() {
            return stream(t);
        }
        if let Request::ReadPool { .. } = t.request() {
            let r = t.pool_buf().map(|b| {
                b.fill(0x19);
                b.len()
            });
            return t.complete(r);
        }
        let mut result = Ok(0);
        for i in 0..t.transaction_len() {
            result = serve(t.member(i));
            if result.is_err() {
                break;
            }
        }
        t.complete(result)
    }
}

fn stream(mut t: Token) {
    for shot in 0..SHOTS {
        let n = match t.pool_buf() {
            Ok(b) => {
                b.fill(shot as u8);
                b.len()
            }
            Err(e) => return t.err(e),
        };
        if shot + 1 == SHOTS {
            return t.ok(n);
        }
        t = match t.shot(n) {
            Shot::Rearmed(t) => t,
            Shot::Stopped => return,
            Shot::Full(t) => return t.err(Error::Canceled),
        };
    }
}

static DRIVER: Immediate = Immediate;
static TEMP_IODEV: Iodev = Iodev::new(&DRIVER);
static ADC_IODEV: Iodev = Iodev::new(&DRIVER);
static DISPLAY_IODEV: Iodev = Iodev::new(&DRIVER);
static FLASH_IODEV: Iodev = Iodev::new(&DRIVER);
static IMU_IODEV: Iodev = Iodev::new(&DRIVER);

/// A TMP105 temperature sensor.
#[rtio_iodev(read, write, bus = i2c, address = 0x48)]
#[derive(Debug)]
pub struct Tmp105;

/// A read-only ADC.
#[rtio_iodev(read, bus = i2c, address = 0x49)]
#[derive(Debug)]
pub struct Adc;

/// A write-only display.
#[rtio_iodev(write, bus = spi, cs = 0)]
#[derive(Debug)]
pub struct Display;

/// A SPI NOR flash.
#[rtio_iodev(read, write, transceive, bus = spi, cs = 1, name = "spi-nor")]
#[derive(Debug)]
pub struct Flash;

/// An IMU with a FIFO that streams samples.
#[rtio_iodev(read, stream, bus = i2c, address = 0x6a)]
#[derive(Debug)]
pub struct Imu;

/// The temperature sensor.
pub const TEMP: Dev<Tmp105> = Dev::new_unchecked(&TEMP_IODEV);
/// The ADC.
pub const ADC: Dev<Adc> = Dev::new_unchecked(&ADC_IODEV);
/// The display.
pub const DISPLAY: Dev<Display> = Dev::new_unchecked(&DISPLAY_IODEV);
/// The flash.
pub const FLASH: Dev<Flash> = Dev::new_unchecked(&FLASH_IODEV);
/// The IMU.
pub const IMU: Dev<Imu> = Dev::new_unchecked(&IMU_IODEV);

/// A `'static` buffer of `N` bytes (leaked: fine in tests and examples).
pub fn leak<const N: usize>() -> &'static mut [u8; N] {
    Box::leak(Box::new([0; N]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtio::caps::Kind;

    #[test]
    fn rtio_iodev_writes_names_and_addresses() {
        assert_eq!(Tmp105::NAME, "tmp105");
        assert_eq!(Flash::NAME, "spi-nor");
        assert_eq!(Tmp105::BUS_ADDRESS, 0x48);
        assert_eq!(Flash::CHIP_SELECT, 1);
    }
}
