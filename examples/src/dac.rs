//! Example 11: an output stream at a chosen rate: a sine through a DAC with its own clock.
//!
//! The simulated DAC ([`rtio_sim::Dac`]) takes one sample every 1/rate seconds whether the
//! application is ready or not. The application keeps `in_flight` WRITEs of a wavetable
//! queued (double or triple buffering): each completes when its last sample has been
//! played, and is resubmitted at once. A sample due while nothing is queued is an underrun,
//! counted by the device; played + underruns is exactly what the clock emitted. The
//! wavetable is a whole number of periods of a 1 kHz sine (12-bit, mid-scale 2048), so
//! consecutive buffers join without a seam, as a DMA circular buffer would play it.

use crate::support::claim;
use rtio::{Error, Rtio, Storage};
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
