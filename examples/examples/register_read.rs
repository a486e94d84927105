//! Example 1: a chained, blocking register read: write the register address, then read.
//!
//! One chain of two entries on the simulated TMP105 (I2C, 100 kHz): the read starts only
//! after the pointer write completed (S4). The owner submits both and blocks for two
//! completions. The context is declared with `rtio-macros`; the sensor, its address and its
//! kind come from the devicetree (`boards/host.dts`, node `temp`), and the chain is built
//! with `chain!`, which checks at compile time that the sensor can be written and read and
//! that two entries fit the context.
//!
//! Run: `cargo run -p rtio-examples --example register_read`
//! Test: `cargo test -p rtio-examples --example register_read`.

use rtio::{Buffer, Error, Rtio};
use rtio_examples::board::labels::{i2c0, temp};
use rtio_examples::support::{claim, static_buf};
use rtio_macros::{chain, rtio_define};
use rtio_sim::{Bus, Tmp105};
use std::time::{Duration, Instant};

#[rtio_define(sq = 4, cq = 4)]
static SENSORS: Rtio;

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Raw temperature-register bytes.
    pub raw: [u8; 2],
    /// Decoded temperature.
    pub celsius: f32,
    /// (userdata, result) of each completion, in arrival order.
    pub completions: Vec<(usize, Result<usize, Error>)>,
    /// Wall time of the chain.
    pub elapsed: Duration,
    /// Time the two transfers occupy a 100 kHz bus.
    pub bus_time: Duration,
}

/// Runs the example with the sensor reading `celsius`.
///
/// # Errors
/// Any error of the chain.
pub fn run(celsius: f32) -> Result<Report, Error> {
    let ctx = claim(&SENSORS)?;

    let bus = Bus::i2c("i2c0", i2c0::CLOCK_FREQUENCY);
    // The model at the node's address (0x48), and the node's handle: its kind says what
    // chains may do with it.
    let (_tmp, sensor) = temp::attach(bus, Tmp105::new(celsius));

    let buf = static_buf::<2>();
    let t0 = Instant::now();
    // Pointer register 0 (temperature), then read two bytes.
    let _chain = chain!(ctx: SENSORS, [
        tiny_write(sensor, [0x00]).userdata(1),
        read(sensor, buf).userdata(2),
    ])?;
    ctx.submit(2)?; // S1: dispatch, then block until two completions were posted

    let mut completions = Vec::new();
    let mut raw = [0u8; 2];
    while let Some(mut c) = ctx.try_consume() {
        completions.push((c.userdata(), c.result()));
        if let Buffer::Mut(b) = c.take_buffer() {
            raw.copy_from_slice(b); // the buffer came back with the completion (S3)
        }
    }
    let elapsed = t0.elapsed();
    for (_, r) in &completions {
        r.as_ref().map_err(|e| *e)?;
    }
    Ok(Report {
        raw,
        celsius: Tmp105::decode(raw),
        completions,
        elapsed,
        bus_time: bus.busy_time().into(),
    })
}

// The printing: `cargo run -p rtio-examples --example register_read`.
fn main() -> Result<(), rtio::Error> {
    let r = run(23.5)?;
    println!(
        "TMP105 temperature register: {:02X?} = {} °C",
        r.raw, r.celsius
    );
    for (ud, res) in &r.completions {
        println!("  completion userdata={ud} result={res:?}");
    }
    println!(
        "chain took {:?} (bus time at 100 kHz: {:?})",
        r.elapsed, r.bus_time
    );
    Ok(())
}

// The assertions: `cargo test -p rtio-examples --example register_read`.
/// Example 1: the chain reads the register the sensor holds, write first, then read.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chained_register_read_returns_the_temperature_in_chain_order() {
        let r = run(23.5).unwrap();
        assert_eq!(r.raw, [0x17, 0x80]);
        assert_eq!(r.celsius, 23.5);
        assert_eq!(r.completions, vec![(1, Ok(1)), (2, Ok(2))]);
        // Two I2C transfers at 100 kHz: (1+9+9+1) + (1+9+18+1) bits = 490 µs of bus time.
        assert_eq!(r.bus_time, std::time::Duration::from_micros(490));
        assert!(
            r.elapsed >= r.bus_time,
            "the chain cannot beat the bus: {:?}",
            r.elapsed
        );
    }
}
