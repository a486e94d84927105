//! The generic kinds of the simulated devices: what chains may do with each (see
//! `rtio::caps`).

use rtio::caps;

/// Kind of a simulated I2C device: read, write, I2C operations.
#[derive(Debug)]
pub struct I2cKind;
impl caps::Kind for I2cKind {
    const NAME: &'static str = "sim-i2c";
}
impl caps::Read for I2cKind {}
impl caps::Write for I2cKind {}
impl caps::I2c for I2cKind {}

/// Kind of a simulated SPI device: read, write, transceive, SPI operations.
#[derive(Debug)]
pub struct SpiKind;
impl caps::Kind for SpiKind {
    const NAME: &'static str = "sim-spi";
}
impl caps::Read for SpiKind {}
impl caps::Write for SpiKind {}
impl caps::Transceive for SpiKind {}
impl caps::Spi for SpiKind {}

/// Kind of a simulated FIFO device: read, stream (multishot), write (UART transmit).
#[derive(Debug)]
pub struct StreamKind;
impl caps::Kind for StreamKind {
    const NAME: &'static str = "sim-stream";
}
impl caps::Read for StreamKind {}
impl caps::Stream for StreamKind {}
impl caps::Write for StreamKind {}
