//! Host examples for rtio, on simulated peripherals ([`rtio_sim`]): what they share.
//!
//! Each example is one file, `examples/examples/NAME.rs`: the rtio code (a function that
//! returns what it observed), `main` printing it (`cargo run -p rtio-examples --example
//! NAME`) and a `#[cfg(test)] mod tests` asserting it (`cargo test -p rtio-examples`). This
//! library holds only what they share: the board ([`board`]) and small helpers
//! ([`support`]).
//!
//! | # | example | what it shows |
//! |---|---|---|
//! | 1 | `register_read` | write a register address, then read it: one chain, blocking |
//! | 2 | `device_to_device` | I2C sensor -> SPI block device, never blocking, while the main loop counts |
//! | 3 | `streaming` | multishot IMU stream into pool buffers, header, lazy SI decode, FIR |
//! | 4 | `display` | 240x320 RGB565 frames to a 4-wire ILI9341 over 40 MHz SPI, background vs blocking |
//! | 5 | `adc` | ADC stream at a chosen rate, achieved rate and overruns |
//! | 6 | `uart` | UART reads with LINK_TIMEOUT and cancellation, a byte stream, embedded-io |
//! | 7 | `three_ways` | one register read: blocking, polling and `async` |
//! | 8 | `faults` | NACK mid-chain, hung device + LINK_TIMEOUT, stream cancel; buffers back |
//! | 10 | `async_hal` | an iodev served by an async HAL on a task: chains, priorities, cancel |
//! | 11 | `dac` | a sine through a DAC at its own clock, double/triple buffered, underruns |
//! | + | `driver_crate` | `tmp1x2` (async) and `eeprom24x` (blocking) driver crates, unchanged |
//!
//! The board (bus speeds, addresses, chip selects, display geometry, device kinds) comes
//! from `boards/host.dts` through [`board`].
#![warn(missing_docs)]

pub mod board;
pub mod support;
