//! Example 5: an ADC stream at a rate the user chooses, with overruns reported.
//!
//! The simulated 12-bit ADC samples a ramp (sample `n` reads `n % 4096`) into a 512-sample
//! FIFO and raises its watermark interrupt every 128 samples; a multishot entry turns each
//! interrupt into a pool buffer. The reader checks every sample against the ramp, so a
//! dropped sample cannot go unnoticed: the gaps it finds must add up to the overrun count
//! the device reports (S9), and at the end every sample produced was delivered, is still in
//! the FIFO, or was counted as dropped. After the stream is cancelled, one plain read drains
//! what the FIFO still holds, so that drops after the last streamed sample show up too.

use crate::support::claim;
use rtio::{Buffer, Error, Mempool, PoolStorage, Rtio, Storage};
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
            .read(adc.dev(), crate::support::static_vec(in_fifo * 2))
            .wait()?;
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
