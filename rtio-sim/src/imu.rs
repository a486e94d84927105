//! A 6-axis IMU as a FIFO device with a register map.

use crate::{Source, StreamConfig, StreamDevice};

/// A 6-axis IMU (accelerometer and gyroscope), 12 bytes a frame: ax, ay, az, gx, gy, gz as
/// little-endian `i16`, ±4 g (8192 LSB/g) and ±500 °/s (65.5 LSB/(°/s)), sampling a gentle
/// motion (a slow tilt and rotation). It has the [`reg`](crate::reg) register map (WHO_AM_I 0x6C): the
/// data rate and the watermark can be set and the FIFO read through registers, or the FIFO
/// streamed with a multishot read.
#[derive(Debug, Clone, Default)]
pub struct Imu {
    /// Added to every raw axis (for tests that want a constant signal, use [`Imu::still`]).
    still: bool,
}

impl Imu {
    /// Accelerometer sensitivity, LSB per g.
    pub const ACCEL_LSB_PER_G: f32 = 8192.0;
    /// Gyroscope sensitivity, LSB per °/s.
    pub const GYRO_LSB_PER_DPS: f32 = 65.5;
    /// An IMU in gentle motion.
    pub fn new() -> Self {
        Imu { still: false }
    }
    /// An IMU lying still and flat: (0, 0, 1 g) and zero rotation.
    pub fn still() -> Self {
        Imu { still: true }
    }
    /// Starts an IMU as a FIFO device: `rate_hz` output data rate, FIFO of `fifo` frames,
    /// watermark interrupt every `watermark` frames, buffers with a [`Header`](crate::Header).
    ///
    /// ```
    /// use rtio_sim::{Header, Imu};
    /// use rtio::{Buffer, Mempool, PoolStorage, Rtio, Storage};
    /// static POOL_STORAGE: PoolStorage<4, 256> = PoolStorage::new();
    /// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    /// static STORAGE: Storage<2, 8> = Storage::new();
    /// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL).with_clock(&rtio::time::STD_CLOCK);
    ///
    /// let imu = Imu::still().device("imu-doc", 1600, 64, 8);
    /// let ctx = RTIO.claim().unwrap();
    /// let h = ctx.acquire()?.read_multishot(imu.dev(), Header::SIZE + 12, 256).submit()?;
    /// let mut c = ctx.consume().unwrap(); // one watermark interrupt: 8 frames or more
    /// assert!(c.more());
    /// if let Buffer::Pool(buf) = c.take_buffer() {
    ///     let hdr = Header::read(&buf).unwrap();
    ///     assert!(hdr.frames >= 8 && hdr.frame_size == 12);
    /// }
    /// ctx.cancel(h.head())?;
    /// while ctx.consume().unwrap().more() {} // the last completion says Canceled
    /// imu.stop();
    /// assert_eq!(POOL.free_blocks(), 4);
    /// # Ok::<(), rtio::Error>(())
    /// ```
    pub fn device(
        self,
        name: &str,
        rate_hz: u32,
        fifo: usize,
        watermark: usize,
    ) -> &'static StreamDevice {
        StreamDevice::new(
            name,
            self,
            StreamConfig {
                rate_hz,
                fifo,
                watermark,
                header: true,
                write_bps: 0,
            },
        )
    }
}

impl Source for Imu {
    fn frame_size(&self) -> usize {
        12
    }
    fn who_am_i(&self) -> Option<u8> {
        Some(0x6C)
    }
    fn frame(&mut self, _n: u64, t_us: u64, out: &mut [u8]) {
        let t = t_us as f32 / 1e6;
        let (ax, ay, az, gz) = if self.still {
            (0.0, 0.0, 1.0, 0.0)
        } else {
            let tilt = (t * core::f32::consts::TAU * 0.5).sin() * 0.2;
            (
                tilt,
                0.0,
                (1.0 - tilt * tilt).sqrt(),
                30.0 * (t * core::f32::consts::TAU * 0.5).cos(),
            )
        };
        let raw = [
            (ax * Self::ACCEL_LSB_PER_G) as i16,
            (ay * Self::ACCEL_LSB_PER_G) as i16,
            (az * Self::ACCEL_LSB_PER_G) as i16,
            0,
            0,
            (gz * Self::GYRO_LSB_PER_DPS) as i16,
        ];
        for (i, v) in raw.iter().enumerate() {
            out[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
        }
    }
}
