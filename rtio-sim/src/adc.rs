//! A 12-bit ADC channel as a FIFO device.

use crate::{Source, StreamConfig, StreamDevice};

/// A 12-bit ADC channel, 2 bytes a frame (little-endian `u16`, 0..=4095), sampling a sine
/// wave (frequency, mid-scale offset, amplitude in counts) or a ramp.
#[derive(Debug, Clone)]
pub struct Adc {
    freq: f32,
    offset: f32,
    amplitude: f32,
    ramp: bool,
}

impl Adc {
    /// Samples `offset + amplitude * sin(2π f t)`, clamped to 12 bits.
    pub fn sine(freq_hz: f32, offset: f32, amplitude: f32) -> Self {
        Adc {
            freq: freq_hz,
            offset,
            amplitude,
            ramp: false,
        }
    }
    /// Samples a ramp: sample `n` reads `n % 4096`, so gaps show dropped samples.
    pub fn ramp() -> Self {
        Adc {
            freq: 0.0,
            offset: 0.0,
            amplitude: 0.0,
            ramp: true,
        }
    }
    /// Starts the ADC as a FIFO device at `rate_hz` with a FIFO of `fifo` samples and an
    /// interrupt every `watermark` samples; buffers carry a [`Header`](crate::Header).
    ///
    /// ```
    /// use rtio_sim::Adc;
    /// use rtio::{Rtio, Storage};
    /// static STORAGE: Storage<2, 2> = Storage::new();
    /// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    /// let adc = Adc::ramp().device("adc-read-doc", 50_000, 256, 64);
    /// let ctx = RTIO.claim().unwrap();
    /// let mut s = [0u8; 8]; // a plain read waits for four samples
    /// ctx.scope(|sc| { let op = sc.read(adc.dev(), &mut s)?; sc.wait(op) })?;
    /// adc.stop();
    /// let v: Vec<u16> = s.chunks(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    /// assert_eq!(v, [0, 1, 2, 3]); // the ramp, nothing dropped yet
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

impl Source for Adc {
    fn frame_size(&self) -> usize {
        2
    }
    fn frame(&mut self, n: u64, t_us: u64, out: &mut [u8]) {
        let v = if self.ramp {
            (n % 4096) as u16
        } else {
            let t = t_us as f32 / 1e6;
            (self.offset + self.amplitude * (t * core::f32::consts::TAU * self.freq).sin())
                .clamp(0.0, 4095.0) as u16
        };
        out[..2].copy_from_slice(&v.to_le_bytes());
    }
}
