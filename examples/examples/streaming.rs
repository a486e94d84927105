//! Example 3: sensor streaming: a multishot read of the FIFO IMU into pool buffers.
//!
//! One multishot entry keeps producing: at every watermark interrupt the device takes a pool
//! buffer, writes a [`Header`] (timestamp, sequence, frame count, overrun flag) and the raw
//! frames. The reader decodes each buffer lazily into SI units ([`frames`]), runs a small FIR
//! low-pass over the vertical acceleration, and drops the buffer as soon as it is processed,
//! which returns its blocks to the pool (S11). Cancelling ends the stream: the last
//! completion says `Canceled` and carries no MORE flag (S7).
//!
//! Run: `cargo run -p rtio-examples --example streaming [-- --buffers N]`
//! Test: `cargo test -p rtio-examples --example streaming`.

use rtio::{Buffer, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_examples::support;
use rtio_examples::support::claim;
use rtio_sim::{Header, Imu};

/// Standard gravity, m/s².
pub const G: f32 = 9.806_65;

/// One decoded IMU frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImuSample {
    /// Time of the frame, µs since the sensor started.
    pub t_us: u64,
    /// Acceleration, m/s² (x, y, z).
    pub accel: [f32; 3],
    /// Angular rate, rad/s (x, y, z).
    pub gyro: [f32; 3],
}

/// A lazy decoder over one stream buffer: nothing is converted until iterated.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    header: Header,
    data: &'a [u8],
    next: usize,
    period_us: u64,
}

/// Decodes the header of a stream buffer from a sensor running at `rate_hz`; the frames are
/// converted one by one as the iterator is advanced.
pub fn frames(buf: &[u8], rate_hz: u32) -> Option<Frames<'_>> {
    let header = Header::read(buf)?;
    let len = header.frames as usize * header.frame_size as usize;
    let data = buf.get(Header::SIZE..Header::SIZE + len)?;
    Some(Frames {
        header,
        data,
        next: 0,
        period_us: 1_000_000 / rate_hz.max(1) as u64,
    })
}

impl Frames<'_> {
    /// The buffer's header.
    pub fn header(&self) -> Header {
        self.header
    }
}

impl Iterator for Frames<'_> {
    type Item = ImuSample;
    fn next(&mut self) -> Option<ImuSample> {
        let fs = self.header.frame_size as usize;
        let f = self.data.get(self.next * fs..(self.next + 1) * fs)?;
        let raw = |i: usize| i16::from_le_bytes([f[2 * i], f[2 * i + 1]]) as f32;
        let a = |i| raw(i) / Imu::ACCEL_LSB_PER_G * G;
        let g = |i| (raw(i) / Imu::GYRO_LSB_PER_DPS).to_radians();
        let s = ImuSample {
            t_us: self.header.timestamp_us + self.next as u64 * self.period_us,
            accel: [a(0), a(1), a(2)],
            gyro: [g(3), g(4), g(5)],
        };
        self.next += 1;
        Some(s)
    }
}

/// A small FIR filter with `N` taps.
#[derive(Debug, Clone)]
pub struct Fir<const N: usize> {
    taps: [f32; N],
    hist: [f32; N],
    pos: usize,
}

impl<const N: usize> Fir<N> {
    /// A filter with the given taps.
    pub fn new(taps: [f32; N]) -> Self {
        Fir {
            taps,
            hist: [0.0; N],
            pos: 0,
        }
    }
    /// A moving average (all taps 1/N).
    pub fn moving_average() -> Self {
        Self::new([1.0 / N as f32; N])
    }
    /// Feeds one sample, returns one output.
    pub fn push(&mut self, x: f32) -> f32 {
        self.hist[self.pos] = x;
        self.pos = (self.pos + 1) % N;
        let mut acc = 0.0;
        for k in 0..N {
            acc += self.taps[k] * self.hist[(self.pos + N - 1 - k) % N];
        }
        acc
    }
}

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Buffers received with data.
    pub buffers: usize,
    /// Frames decoded.
    pub samples: usize,
    /// Whether sequence numbers were contiguous from 0.
    pub seq_contiguous: bool,
    /// Whether timestamps increased strictly.
    pub time_monotonic: bool,
    /// Last FIR output of the vertical acceleration, m/s².
    pub az_filtered: f32,
    /// Largest |angular rate| about z seen, rad/s.
    pub gyro_z_peak: f32,
    /// Most pool blocks in use at once (as seen by the reader).
    pub max_blocks_in_use: usize,
    /// Pool blocks free at the end, and in total.
    pub pool_free: (usize, usize),
    /// Result of the final completion (the one without MORE).
    pub final_result: Result<usize, Error>,
    /// Frames the device dropped.
    pub overruns: u32,
    /// Buffers whose header said frames were dropped before them.
    pub overrun_flags: usize,
}

/// IMU output data rate for the example.
pub const RATE_HZ: u32 = 1600;

/// Streams `buffers` watermark buffers (16 frames each), then cancels.
///
/// # Errors
/// Acquire/submit errors.
pub fn run(buffers: usize, still: bool) -> Result<Report, Error> {
    static POOL_STORAGE: PoolStorage<8, 256> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<4, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;

    let imu = if still { Imu::still() } else { Imu::new() }.device("imu", RATE_HZ, 256, 16);
    let min = Header::SIZE + 12;
    let preferred = Header::SIZE + 16 * 12;
    let h = ctx
        .acquire()?
        .read_multishot(imu.dev(), min, preferred)
        .userdata(0x1A)
        .submit()?;

    let mut fir = Fir::<8>::moving_average();
    let mut rep = Report {
        buffers: 0,
        samples: 0,
        seq_contiguous: true,
        time_monotonic: true,
        az_filtered: 0.0,
        gyro_z_peak: 0.0,
        max_blocks_in_use: 0,
        pool_free: (0, POOL.blocks()),
        final_result: Ok(0),
        overruns: 0,
        overrun_flags: 0,
    };
    let mut last_t = None;
    let mut canceled = false;
    loop {
        let mut c = ctx.consume()?;
        rep.max_blocks_in_use = rep
            .max_blocks_in_use
            .max(POOL.blocks() - POOL.free_blocks());
        if let Buffer::Pool(buf) = c.take_buffer() {
            if let Some(fr) = frames(&buf, RATE_HZ) {
                rep.seq_contiguous &= fr.header().seq as usize == rep.buffers;
                rep.overrun_flags += usize::from(fr.header().overrun);
                rep.buffers += 1;
                for s in fr {
                    rep.samples += 1;
                    rep.time_monotonic &= last_t.is_none_or(|t| s.t_us > t);
                    last_t = Some(s.t_us);
                    rep.az_filtered = fir.push(s.accel[2]);
                    rep.gyro_z_peak = rep.gyro_z_peak.max(s.gyro[2].abs());
                }
            }
            // `buf` drops here: its blocks go back to the pool as soon as it is processed.
        }
        if !c.more() {
            rep.final_result = c.result();
            break;
        }
        if rep.buffers >= buffers && !canceled {
            ctx.cancel(h.head())?;
            canceled = true;
        }
    }
    rep.pool_free = (POOL.free_blocks(), POOL.blocks());
    rep.overruns = imu.overruns();
    Ok(rep)
}

// The printing: `cargo run -p rtio-examples --example streaming`.
fn main() -> Result<(), rtio::Error> {
    let n = support::arg("buffers")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let r = run(n, false)?;
    println!(
        "{} buffers, {} samples at {} Hz; sequence contiguous: {}, timestamps increasing: {}",
        r.buffers, r.samples, RATE_HZ, r.seq_contiguous, r.time_monotonic
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

// The assertions: `cargo test -p rtio-examples --example streaming`.
/// Example 3: the stream delivers contiguous, decodable buffers and gives every block back.
#[cfg(test)]
mod tests {
    use super::*;
    use rtio::Error;

    #[test]
    fn imu_stream_decodes_filters_and_returns_every_buffer() {
        let r = run(20, true).unwrap();
        assert!(r.buffers >= 20, "{} buffers", r.buffers);
        assert!(r.samples >= 20 * 16);
        assert!(r.seq_contiguous);
        assert!(r.time_monotonic);
        // A still, flat IMU: the filtered vertical acceleration is 1 g, no rotation.
        assert!((r.az_filtered - G).abs() < 0.01, "{}", r.az_filtered);
        assert_eq!(r.gyro_z_peak, 0.0);
        assert_eq!(r.final_result, Err(Error::Canceled));
        assert_eq!(r.pool_free.0, r.pool_free.1, "every pool block returned");
        // A 160 ms FIFO does not overflow unless the host starves the reader; if it did, the
        // drop is reported by the device and flagged in the next buffer's header.
        if r.overrun_flags > 0 {
            assert!(r.overruns > 0, "{r:?}");
        }
    }

    #[test]
    fn fir_moving_average_settles_on_a_constant() {
        let mut f = Fir::<4>::moving_average();
        let out: Vec<f32> = (0..6).map(|_| f.push(2.0)).collect();
        assert_eq!(out, vec![0.5, 1.0, 1.5, 2.0, 2.0, 2.0]);
    }
}
