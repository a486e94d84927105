//! Example 5: an ADC stream at a rate the user chooses, with overruns reported.
//!
//! The simulated 12-bit ADC samples a ramp (sample `n` reads `n % 4096`) into a 512-sample
//! FIFO and raises its watermark interrupt every 128 samples; a multishot entry turns each
//! interrupt into a pool buffer. The reader checks every sample against the ramp, so a
//! dropped sample cannot go unnoticed: the gaps it finds must add up to the overrun count
//! the device reports (S9), and at the end every sample produced was delivered, is still in
//! the FIFO, or was counted as dropped. After the stream is cancelled, one plain read drains
//! what the FIFO still holds, so that drops after the last streamed sample show up too.
//!
//! Run: `cargo run -p rtio-examples --example adc [-- --rate 8000] [--secs 2] [--sweep]`
//! (`--sweep` runs 8, 32 and 100 kHz).
//! Test: `cargo test -p rtio-examples --example adc`.

use rtio::{Buffer, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_examples::support;
use rtio_examples::support::claim;
use rtio_sim::{Adc, Header};
use std::time::{Duration, Instant};

/// What one run observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Requested sample rate.
    pub rate_hz: u32,
    /// Wall time of the stream.
    pub elapsed: Duration,
    /// Samples delivered to the application.
    pub samples: u64,
    /// Delivered samples per second.
    pub achieved_hz: f64,
    /// Samples the ADC dropped (FIFO full), as reported by the iodev.
    pub overruns: u32,
    /// Samples missing from the ramp, as found by the reader.
    pub gap_samples: u64,
    /// Buffers with the header's overrun flag set.
    pub flagged_buffers: u32,
    /// Buffers received.
    pub buffers: u32,
    /// Samples produced.
    pub produced: u64,
    /// Samples left in the FIFO when the stream ended (drained by a plain read).
    pub in_fifo: usize,
    /// Samples still in the FIFO after the drain (0 unless the drain failed).
    pub left: usize,
    /// Watermark interrupts that found no free pool block or completion slot (the reader
    /// was behind); the FIFO keeps the data meanwhile, and overflows if it lasts.
    pub stalls: u64,
    /// Pool blocks free at the end, and in total.
    pub pool_free: (usize, usize),
    /// Result of the final completion.
    pub final_result: Result<usize, Error>,
}

impl Report {
    /// produced == delivered + still in FIFO + dropped.
    pub fn accounted(&self) -> bool {
        self.produced
            == self.samples + self.in_fifo as u64 + self.left as u64 + self.overruns as u64
    }
}

/// Streams at `rate_hz` for `duration`. `hold` makes the reader sit on each buffer that
/// long before returning it (a slow consumer), to show overruns being reported.
///
/// # Errors
/// Acquire/submit/cancel errors.
pub fn run(rate_hz: u32, duration: Duration, hold: Duration) -> Result<Report, Error> {
    static POOL_STORAGE: PoolStorage<16, 512> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<4, 32> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;

    let adc = Adc::ramp().device("adc0", rate_hz, 512, 128);
    let h = ctx
        .acquire()?
        .read_multishot(adc.dev(), Header::SIZE + 2, Header::SIZE + 240 * 2)
        .submit()?;

    let t0 = Instant::now();
    let mut rep = Report {
        rate_hz,
        elapsed: Duration::ZERO,
        samples: 0,
        achieved_hz: 0.0,
        overruns: 0,
        gap_samples: 0,
        flagged_buffers: 0,
        buffers: 0,
        produced: 0,
        in_fifo: 0,
        left: 0,
        stalls: 0,
        pool_free: (0, POOL.blocks()),
        final_result: Ok(0),
    };
    let mut prev: Option<u16> = None;
    let mut check = |data: &[u8], gaps: &mut u64| {
        let mut n = 0;
        for s in data.chunks_exact(2) {
            let v = u16::from_le_bytes([s[0], s[1]]);
            if let Some(p) = prev {
                *gaps += ((v + 4096 - p - 1) % 4096) as u64;
            }
            prev = Some(v);
            n += 1;
        }
        n
    };
    let mut canceled = false;
    loop {
        let mut c = ctx.consume()?;
        if let Buffer::Pool(buf) = c.take_buffer() {
            if let Some(hdr) = Header::read(&buf) {
                rep.buffers += 1;
                rep.flagged_buffers += u32::from(hdr.overrun);
                let data = &buf[Header::SIZE..Header::SIZE + hdr.frames as usize * 2];
                rep.samples += check(data, &mut rep.gap_samples);
            }
            if !hold.is_zero() {
                std::thread::sleep(hold);
            }
        }
        if !c.more() {
            rep.final_result = c.result();
            break;
        }
        if !canceled && t0.elapsed() >= duration {
            rep.elapsed = t0.elapsed();
            adc.stop();
            ctx.cancel(h.head())?;
            canceled = true;
        }
    }
    let (_, in_fifo, _) = adc.snapshot();
    rep.in_fifo = in_fifo;
    if in_fifo > 0 {
        let [mut c] = ctx
            .acquire()?
            .read(adc.dev(), rtio_examples::support::static_vec(in_fifo * 2))
            .wait_checked()?; // Err names the entry that failed first (S17)
        let n = c.result()?;
        if let Buffer::Mut(b) = c.take_buffer() {
            check(&b[..n], &mut rep.gap_samples);
        }
    }
    let (produced, left, overruns) = adc.snapshot();
    rep.produced = produced;
    rep.left = left;
    rep.overruns = overruns;
    // Samples dropped after the last one produced was kept leave no gap to see: count them
    // against the last sample number.
    if let (Some(p), Some(last)) = (prev, produced.checked_sub(1)) {
        rep.gap_samples += ((last % 4096) as u16 + 4096 - p) as u64 % 4096;
    }
    rep.stalls = adc.stalls();
    rep.achieved_hz = rep.samples as f64 / rep.elapsed.as_secs_f64().max(1e-9);
    rep.pool_free = (POOL.free_blocks(), POOL.blocks());
    Ok(rep)
}

// The printing: `cargo run -p rtio-examples --example adc`.
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
        let r = run(rate, Duration::from_secs_f64(secs), Duration::ZERO)?;
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

// The assertions: `cargo test -p rtio-examples --example adc`.
/// Example 5: every ADC sample is delivered, still buffered, or reported as overrun.
#[cfg(test)]
mod tests {
    use super::*;
    use rtio::Error;
    use std::sync::Mutex;
    use std::time::Duration;

    /// The example owns one static context: run its cases one at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    #[test]
    fn adc_stream_at_8khz_delivers_the_rate_and_accounts_for_every_sample() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let r = run(8_000, Duration::from_millis(500), Duration::ZERO).unwrap();
        assert!(r.accounted(), "{r:?}");
        assert_eq!(
            r.gap_samples, r.overruns as u64,
            "gaps found == overruns reported"
        );
        // The ADC's sample clock runs at the rate asked for...
        let produced_hz = r.produced as f64 / r.elapsed.as_secs_f64();
        assert!((produced_hz - 8_000.0).abs() < 400.0, "{produced_hz} {r:?}");
        // ...and what did not reach the reader is reported (on an idle host: nothing).
        let lost_hz = r.overruns as f64 / r.elapsed.as_secs_f64();
        assert!(
            (r.achieved_hz + lost_hz - produced_hz).abs() < 600.0,
            "{r:?}"
        );
        assert_eq!(r.final_result, Err(Error::Canceled));
        assert_eq!(r.pool_free.0, r.pool_free.1);
    }

    #[test]
    fn a_slow_reader_makes_overruns_that_are_reported_not_hidden() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        // Each buffer is held 30 ms while 128 samples arrive every 4 ms: the pool (16 blocks)
        // runs dry, the FIFO (512) fills, and the ADC drops samples.
        let r = run(
            32_000,
            Duration::from_millis(400),
            Duration::from_millis(30),
        )
        .unwrap();
        assert!(r.overruns > 0, "{r:?}");
        assert!(
            r.flagged_buffers > 0,
            "buffers after a drop carry the overrun flag"
        );
        assert_eq!(
            r.gap_samples, r.overruns as u64,
            "gaps found == overruns reported"
        );
        assert!(r.accounted(), "{r:?}");
        assert_eq!(r.pool_free.0, r.pool_free.1);
    }
}
