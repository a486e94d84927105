//! Example 11: a sine through a DAC at a chosen rate, double/triple buffered.
//! `cargo run -p rtio-examples --example dac [-- --rate 8000] [--secs 2] [--buffers 3]
//! [--buffer-ms 5] [--sweep]`; `--sweep` runs 8, 32 and 100 kHz.
use rtio_examples::{dac, support};
use std::time::Duration;

fn main() -> Result<(), rtio::Error> {
    let num = |name: &str, default: f64| {
        support::arg(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let secs = num("secs", 2.0);
    let buffers = num("buffers", 3.0) as usize;
    let buffer_ms = num("buffer-ms", 5.0);
    let rates: Vec<u32> = if support::flag("sweep") {
        vec![8_000, 32_000, 100_000]
    } else {
        vec![num("rate", 8_000.0) as u32]
    };
    println!(
        "     rate    achieved      played  underruns  buffers x samples  in flight  sine intact"
    );
    for rate in rates {
        let r = dac::run(
            rate,
            Duration::from_secs_f64(secs),
            buffers,
            Duration::from_secs_f64(buffer_ms / 1e3),
            Duration::ZERO,
        )?;
        println!(
            "  {:>7}  {:>10.0}  {:>10}  {:>9}  {:>7} x {:>7}  {:>9}  {}",
            r.rate_hz,
            r.achieved_hz,
            r.played,
            r.underruns,
            r.buffers,
            r.buffer_samples,
            r.in_flight,
            r.continuous
        );
    }
    Ok(())
}
