//! Example 11: an output stream at a chosen rate: a sine through a DAC with its own clock.
//!
//! The simulated DAC ([`rtio_sim::Dac`]) takes one sample every 1/rate seconds whether the
//! application is ready or not. The application keeps `in_flight` WRITEs of a wavetable
//! queued (double or triple buffering): each completes when its last sample has been
//! played, and is resubmitted at once. A sample due while nothing is queued is an underrun,
//! counted by the device; played + underruns is exactly what the clock emitted. The
//! wavetable is a whole number of periods of a 1 kHz sine (12-bit, mid-scale 2048), so
//! consecutive buffers join without a seam, as a DMA circular buffer would play it.
//!
//! Run: `cargo run -p rtio-examples --example dac [-- --rate 8000] [--secs 2] [--buffers 3]
//! [--buffer-ms 5] [--sweep]`; `--sweep` runs 8, 32 and 100 kHz.
//! Test: `cargo test -p rtio-examples --example dac`.

use rtio::{Error, Rtio, Storage};
use rtio_examples::support;
use rtio_examples::support::claim;
use rtio_sim::Dac;
use std::time::{Duration, Instant};

/// The tone, Hz.
pub const TONE_HZ: u32 = 1_000;

/// What one run observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Requested sample rate.
    pub rate_hz: u32,
    /// Buffers kept queued.
    pub in_flight: usize,
    /// Samples per buffer.
    pub buffer_samples: usize,
    /// How long the clock ran.
    pub elapsed: Duration,
    /// Samples played from buffers.
    pub played: u64,
    /// Played samples per second.
    pub achieved_hz: f64,
    /// Samples due with nothing queued.
    pub underruns: u64,
    /// Samples the clock emitted (played + underruns).
    pub clocked: u64,
    /// Buffers completed.
    pub buffers: u64,
    /// Whether the last samples played are the sine, sample after sample.
    pub continuous: bool,
}

/// One period of the tone at `rate_hz`, 12-bit.
pub fn period(rate_hz: u32) -> Vec<u16> {
    let n = (rate_hz / TONE_HZ).max(1) as usize;
    (0..n)
        .map(|i| {
            let ph = i as f64 / n as f64 * std::f64::consts::TAU;
            (2048.0 + 2000.0 * ph.sin()).round() as u16
        })
        .collect()
}

/// Whether `h` is the periodic sequence `p` from some phase on.
pub fn follows(h: &[u16], p: &[u16]) -> bool {
    !h.is_empty()
        && (0..p.len()).filter(|&k| p[k] == h[0]).any(|k| {
            h.iter()
                .enumerate()
                .all(|(i, &s)| s == p[(k + i) % p.len()])
        })
}

/// Plays the tone at `rate_hz` for `duration`, with `in_flight` buffers of about
/// `buffer_time` each; `hold` makes the producer take that long before resubmitting a
/// buffer (a slow producer shows underruns).
///
/// # Errors
/// Any error of the writes.
pub fn run(
    rate_hz: u32,
    duration: Duration,
    in_flight: usize,
    buffer_time: Duration,
    hold: Duration,
) -> Result<Report, Error> {
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    // One run at a time owns the context (tests run in parallel): wait for it.
    let t_claim = Instant::now();
    let ctx = loop {
        match claim(&RTIO) {
            Ok(c) => break c,
            Err(e) if t_claim.elapsed() > Duration::from_secs(30) => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let dac = Dac::device(&format!("dac-{rate_hz}"), rate_hz);

    // The wavetable: whole periods filling about `buffer_time`, made once.
    let p = period(rate_hz);
    let want = (rate_hz as f64 * buffer_time.as_secs_f64()) as usize;
    let periods = (want / p.len()).max(1);
    let table: &'static [u8] = Box::leak(
        p.iter()
            .cycle()
            .take(periods * p.len())
            .flat_map(|s| s.to_le_bytes())
            .collect::<Vec<u8>>()
            .into_boxed_slice(),
    );

    let in_flight = in_flight.clamp(1, 8);
    for _ in 0..in_flight {
        let _chain = ctx.acquire()?.write(dac.dev(), table).submit()?;
    }
    let t0 = Instant::now();
    let mut buffers = 0;
    while t0.elapsed() < duration {
        let c = ctx.consume()?; // the oldest buffer has been played
        c.result()?;
        buffers += 1;
        if !hold.is_zero() {
            std::thread::sleep(hold);
        }
        let _chain = ctx.acquire()?.write(dac.dev(), table).submit()?;
    }
    let (played, underruns, clocked) = (dac.played(), dac.underruns(), dac.clocked());
    let elapsed = dac.running_for().unwrap_or_default();
    let continuous = follows(&dac.history(), &p);
    dac.stop();
    for _ in 0..in_flight {
        ctx.consume()?; // the queued buffers come back Canceled
    }
    Ok(Report {
        rate_hz,
        in_flight,
        buffer_samples: table.len() / 2,
        elapsed,
        played,
        achieved_hz: played as f64 / elapsed.as_secs_f64().max(1e-9),
        underruns,
        clocked,
        buffers,
        continuous,
    })
}

// The printing: `cargo run -p rtio-examples --example dac`.
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
        let r = run(
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

// The assertions: `cargo test -p rtio-examples --example dac`.
/// Example 11: the DAC plays every queued sample at its own clock; underruns are counted.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn triple_buffering_keeps_the_dac_fed_and_the_sine_intact() {
        // 20 ms buffers, three queued: 40 ms of slack for the resubmitting thread.
        let r = run(
            8_000,
            Duration::from_millis(400),
            3,
            Duration::from_millis(20),
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(
            r.played + r.underruns,
            r.clocked,
            "every clocked sample accounted"
        );
        assert_eq!(r.underruns, 0, "{r:?}");
        assert!(r.continuous, "the output is the sine, sample after sample");
        assert!((r.achieved_hz - 8_000.0).abs() < 8_000.0 * 0.02, "{r:?}");
        assert!(r.buffers >= 15, "{r:?}");
    }

    #[test]
    fn a_slow_producer_makes_underruns_that_are_counted_not_hidden() {
        // Single buffering, and the producer sits 10 ms on every 5 ms buffer.
        let r = run(
            32_000,
            Duration::from_millis(300),
            1,
            Duration::from_millis(5),
            Duration::from_millis(10),
        )
        .unwrap();
        assert_eq!(r.played + r.underruns, r.clocked);
        assert!(r.underruns > r.clocked / 3, "{r:?}");
        assert!(r.achieved_hz < 32_000.0 * 0.7, "{r:?}");
    }

    #[test]
    fn the_wavetable_is_whole_periods() {
        let p = period(32_000);
        assert_eq!(p.len(), 32);
        assert!(follows(&[p[5], p[6], p[7], p[8]], &p));
        assert!(!follows(&[p[5], p[7]], &p));
    }
}
