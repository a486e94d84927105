//! Interrupt-driven iodevs for the lm3s6965evb peripherals, one module per controller.
//!
//! Every driver follows the same shape: `submit` queues the token in an [`rtio::IodevQueue`]
//! and kicks the controller; the interrupt handler advances the transfer and completes the
//! token with `ok`/`err` (outside its critical section, so the chained successor that the
//! completion dispatches may submit to the same driver again).

pub mod adc;
pub mod gamepad;
pub mod gptm;
pub mod i2c;
pub mod oled;
pub mod sd;
pub mod ssi;
pub mod uart;
