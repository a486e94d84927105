//! Example 5: ADC stream at a chosen rate with overruns reported.
//! `cargo run -p rtio-examples --example adc [-- --rate 8000] [--secs 2] [--sweep]`
//! `--sweep` runs 8, 32 and 100 kHz.
use rtio_examples::{adc, support};
use std::time::Duration;

fn main() -> Result<(), rtio::Error> {
    let secs: f64 = support::arg("secs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let rates: Vec<u32> = if support::flag("sweep") {
        vec![8_000, 32_000, 100_000]
    } else {
        vec![support::arg("rate")
            .and_then(|v| v.parse().ok())
            .unwrap_or(8_000)]
    };
    println!(
        "     rate    achieved     samples   overruns  gaps found  buffers  stalls  accounted"
    );
    for rate in rates {
        let r = adc::run(rate, Duration::from_secs_f64(secs), Duration::ZERO)?;
        println!(
            "  {:>7}  {:>10.0}  {:>10}  {:>9}  {:>10}  {:>7}  {:>6}  {}",
            r.rate_hz,
            r.achieved_hz,
            r.samples,
            r.overruns,
            r.gap_samples,
            r.buffers,
            r.stalls,
            r.accounted()
        );
    }
    Ok(())
}
