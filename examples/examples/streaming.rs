//! Example 3: IMU streaming with multishot pool buffers.
//! `cargo run -p rtio-examples --example streaming [-- --buffers N]`
use rtio_examples::{streaming, support};

fn main() -> Result<(), rtio::Error> {
    let n = support::arg("buffers")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let r = streaming::run(n, false)?;
    println!(
        "{} buffers, {} samples at {} Hz; sequence contiguous: {}, timestamps increasing: {}",
        r.buffers,
        r.samples,
        streaming::RATE_HZ,
        r.seq_contiguous,
        r.time_monotonic
    );
    println!(
        "FIR(8) vertical acceleration: {:.3} m/s²; peak |gyro z|: {:.3} rad/s",
        r.az_filtered, r.gyro_z_peak
    );
    println!(
        "pool: at most {} blocks in use; {}/{} free at the end; final completion: {:?}; overruns: {} ({} buffers flagged)",
        r.max_blocks_in_use, r.pool_free.0, r.pool_free.1, r.final_result, r.overruns, r.overrun_flags
    );
    Ok(())
}
