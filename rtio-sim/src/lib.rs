//! # rtio-sim: simulated peripherals for rtio
//!
//! Iodevs that behave like hardware, for tests, examples and users' own host tests.
//!
//! * [`Bus`]: an I2C or SPI bus with its own "interrupt" thread. Each transfer takes the time
//!   its bytes need at the bus clock and completes from that thread, so a caller that does
//!   not block really keeps its CPU. A transaction is one bus transfer (S5); the bus serves
//!   higher priorities first (S12).
//! * I2C targets ([`I2cTarget`]): [`Tmp105`] temperature sensor, [`At24c`] EEPROM,
//!   [`Ssd1306`] OLED controller.
//! * SPI targets ([`SpiTarget`]): [`Ili9341`] (4-wire, with a D/C [`Line`]; its panel saved
//!   as PNG), [`SdCard`]
//!   (an SD card in SPI mode, SDSC or SDHC, on bytes or an image file; wire format in [`sd`]).
//! * FIFO devices ([`StreamDevice`]): [`Imu`], [`Adc`], [`Uart`]: sampling threads with a
//!   watermark interrupt, multishot pool buffers with a [`Header`], overrun counting.
//! * [`Dac`]: an output with its own sample clock, fed by queued WRITEs (double or triple
//!   buffering), underruns counted.
//! * [`Faults`]: scripted NACK, bus error, hang, overrun, corruption, stall on every device,
//!   for the next transfer, transfer *n*, or every transfer.
//!
//! Every device gives a typed handle: `dev()` with a generic kind ([`I2cKind`], [`SpiKind`],
//! [`StreamKind`]), or `dev_as::<K>()` with your own kind (from `#[rtio_iodev]` or the
//! devicetree), so chains are checked against what the device can do. Buses, devices and
//! their threads live for the rest of the program, as hardware does; create them once per
//! test. The FIFO sensor [`Imu`] also has a register map ([`reg`]).
//!
//! ```
//! use rtio_sim::{Bus, Tmp105};
//! use rtio::{Rtio, Storage};
//!
//! static STORAGE: Storage<4, 4> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
//!
//! let i2c = Bus::i2c("i2c0", 400_000);
//! let tmp = i2c.attach_i2c(0x48, Tmp105::new(25.5));
//! let ctx = RTIO.claim().unwrap();
//! let mut raw = [0u8; 2];
//! ctx.scope(|s| {
//!     let op = s.write_read(tmp.dev(), &[0x00], &mut raw)?;
//!     s.wait(op)
//! })?;
//! assert_eq!(Tmp105::decode(raw), 25.5);
//! # Ok::<(), rtio::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod adc;
mod at24c;
mod bus;
mod dac;
mod device;
mod fault;
mod header;
mod i2c;
mod ili9341;
mod imu;
mod kind;
mod line;
mod png;
pub mod sd;
mod sd_card;
mod spi;
mod ssd1306;
mod stream;
mod tmp105;
mod uart;

pub use adc::Adc;
pub use at24c::At24c;
pub use bus::{Bus, Protocol, Transfer};
pub use dac::{Dac, DacKind};
pub use device::{BusDevice, Wire};
pub use fault::{Fault, Faults};
pub use header::Header;
pub use i2c::{I2c, I2cDevice, I2cTarget};
pub use ili9341::{ili, Ili9341};
pub use imu::Imu;
pub use kind::{I2cKind, SpiKind, StreamKind};
pub use line::Line;
pub use sd_card::{CardType, SdCard};
pub use spi::{Spi, SpiDevice, SpiTarget};
pub use ssd1306::Ssd1306;
pub use stream::{reg, Source, StreamConfig, StreamDevice};
pub use tmp105::Tmp105;
pub use uart::Uart;
