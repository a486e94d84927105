//! FIFO devices that produce data on their own: an IMU-like sensor, an ADC and a UART.
//!
//! Each has a sampling thread (the device) that pushes frames into a bounded FIFO at the
//! configured rate, and serves operations like an interrupt handler would:
//!
//! * a multishot read gets one pool buffer per watermark interrupt, starting with a
//!   [`Header`] and followed by the frames the FIFO held;
//! * a plain read completes when the FIFO holds enough frames to fill the buffer;
//! * when the FIFO is full, new frames are dropped and counted with
//!   [`rtio::Iodev::record_overrun`] (S9): nothing is hidden.

use crate::fault::{Fault, Faults};
use crate::{Header, StreamKind};
use rtio::Error;
use rtio::{Dev, Iodev, IodevApi, IodevQueue, OpId, Request, Shot, Token};
use std::boxed::Box;
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec::Vec;

/// What a FIFO device samples.
///
/// ```
/// use rtio_sim::{Source, StreamConfig, StreamDevice};
/// /// A counter: frame `n` is `n` as a little-endian u32.
/// struct Counter;
/// impl Source for Counter {
///     fn frame_size(&self) -> usize { 4 }
///     fn frame(&mut self, n: u64, _t_us: u64, out: &mut [u8]) {
///         out.copy_from_slice(&(n as u32).to_le_bytes());
///     }
/// }
/// let dev = StreamDevice::new("counter", Counter, StreamConfig {
///     rate_hz: 10_000, fifo: 16, watermark: 8, header: true, write_bps: 0,
/// });
/// std::thread::sleep(std::time::Duration::from_millis(5));
/// dev.stop();
/// let (produced, in_fifo, dropped) = dev.snapshot();
/// assert_eq!(produced, in_fifo as u64 + dropped as u64); // nobody read: kept or dropped
/// ```
pub trait Source: Send + 'static {
    /// Bytes per frame (one sample set).
    fn frame_size(&self) -> usize;
    /// Produces frame number `n` (taken at `t_us` microseconds since start) into `out`.
    fn frame(&mut self, n: u64, t_us: u64, out: &mut [u8]);
    /// The WHO_AM_I value if the device has the [`reg`] register map; `None` (the default)
    /// for devices whose reads take FIFO data directly (ADC, UART).
    fn who_am_i(&self) -> Option<u8> {
        None
    }
}

/// The register map of FIFO sensors that have one ([`Imu`](crate::Imu)), after the LSM6DSO layout.
///
/// ```
/// use rtio_sim::{reg, Imu};
/// use rtio::{Rtio, Storage};
/// static STORAGE: Storage<4, 4> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
/// let imu = Imu::still().device("imu-reg-doc", 0, 64, 8);
/// let ctx = RTIO.claim().unwrap();
/// let mut id = [0u8; 1];
/// ctx.scope(|s| {
///     let op = s.write_read(imu.dev(), &[reg::WHO_AM_I], &mut id)?;
///     s.wait(op)
/// })?;
/// assert_eq!(id, [0x6C]);
/// # Ok::<(), rtio::Error>(())
/// ```
///
/// A write sets the register pointer (its first byte) and writes the following bytes to
/// consecutive registers; a read returns consecutive registers from the pointer, except
/// that reading [`reg::FIFO_DATA_OUT`] takes frames out of the FIFO (and waits for them).
/// A transaction (write the pointer, read) is served as one bus transaction.
pub mod reg {
    /// FIFO watermark, bits 7:0 (frames).
    pub const FIFO_CTRL1: u8 = 0x07;
    /// FIFO watermark, bit 8 (bit 0 of this register).
    pub const FIFO_CTRL2: u8 = 0x08;
    /// Identification register (read-only).
    pub const WHO_AM_I: u8 = 0x0F;
    /// Output data rate in bits 7:4: [`ODR_HZ`] by code.
    pub const CTRL1: u8 = 0x10;
    /// FIFO level (frames), bits 7:0.
    pub const FIFO_STATUS1: u8 = 0x3A;
    /// FIFO level bits 9:8 in bits 1:0; bit 7 watermark reached; bit 6 overrun latched
    /// (cleared by reading this register).
    pub const FIFO_STATUS2: u8 = 0x3B;
    /// FIFO data: reading it takes frames out of the FIFO.
    pub const FIFO_DATA_OUT: u8 = 0x78;
    /// Output data rates by CTRL1 code (bits 7:4); code 0 powers the sensor down.
    pub const ODR_HZ: [u32; 11] = [0, 12, 26, 52, 104, 208, 416, 833, 1660, 3330, 6660];
}

/// Configuration of a FIFO device (see [`StreamDevice::new`]; [`Imu::device`](crate::Imu::device),
/// [`Adc::device`](crate::Adc::device) and [`Uart::device`](crate::Uart::device) fill it in for their device).
#[derive(Debug, Clone, Copy)]
pub struct StreamConfig {
    /// Frames per second (0: only frames pushed by hand, as a UART's).
    pub rate_hz: u32,
    /// FIFO capacity in frames.
    pub fifo: usize,
    /// Frames that raise the watermark interrupt (a multishot shot).
    pub watermark: usize,
    /// Whether multishot buffers start with a [`Header`].
    pub header: bool,
    /// Bits per second for writes (a UART's baud rate); 0 for devices that cannot be written.
    pub write_bps: u32,
}

struct Inner {
    fifo: VecDeque<u8>,
    /// Time of the oldest frame in the FIFO.
    fifo_t0: u64,
    produced: u64,
    dropped_since_shot: bool,
    multishot: Option<Token>,
    seq: u32,
    tx_log: Vec<u8>,
    /// Bytes injected by hand (UART), with the time they arrive.
    incoming: VecDeque<(StdInstant, u8)>,
    last_arrival: StdInstant,
    shots: u64,
    stalls: u64,
    /// The plain read being served (it waits for enough data; the rest queue behind it).
    read_head: Option<Token>,
    /// Sample clock origin: frame `base_n` was due at `base_t`.
    base_t: StdInstant,
    base_n: u64,
    /// The write on the line, its result, and when its last bit is out.
    tx_busy: Option<(Token, Result<usize, Error>, StdInstant)>,
    /// Register pointer (devices with a register map).
    reg_ptr: u8,
    /// Overrun since FIFO_STATUS2 was last read.
    overrun_latched: bool,
    /// Bytes of a shot that found the completion side full: it is retried as it is.
    pending_shot: Option<usize>,
}

/// A device that samples into a FIFO; see the module docs.
///
/// ```
/// use rtio_sim::{Adc, StreamConfig, StreamDevice};
/// let adc = StreamDevice::new("adc-doc", Adc::sine(1000.0, 2048.0, 1000.0), StreamConfig {
///     rate_hz: 8_000, fifo: 256, watermark: 64, header: true, write_bps: 0,
/// });
/// std::thread::sleep(std::time::Duration::from_millis(10));
/// assert!(adc.fifo_len() > 0);
/// ```
pub struct StreamDevice {
    name: std::string::String,
    cfg: Mutex<StreamConfig>,
    frame_size: usize,
    source: Mutex<Box<dyn Source>>,
    inner: Mutex<Inner>,
    cv: Condvar,
    reads: IodevQueue,
    writes: IodevQueue,
    start: StdInstant,
    faults: Faults,
    iodev: OnceLock<&'static Iodev>,
    has_regs: bool,
}

impl core::fmt::Debug for StreamDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamDevice")
            .field("name", &self.name)
            .field(
                "config",
                &*self.cfg.lock().unwrap_or_else(|e| e.into_inner()),
            )
            .finish_non_exhaustive()
    }
}

impl StreamDevice {
    /// Starts a device sampling `source` with `cfg`.
    pub fn new(name: &str, source: impl Source, cfg: StreamConfig) -> &'static StreamDevice {
        let frame_size = source.frame_size().max(1);
        let has_regs = source.who_am_i().is_some();
        let now = StdInstant::now();
        let d: &'static StreamDevice = Box::leak(Box::new(StreamDevice {
            name: name.into(),
            cfg: Mutex::new(StreamConfig {
                fifo: cfg.fifo.max(1),
                watermark: cfg.watermark.clamp(1, cfg.fifo.max(1)),
                ..cfg
            }),
            frame_size,
            source: Mutex::new(Box::new(source)),
            inner: Mutex::new(Inner {
                fifo: VecDeque::new(),
                fifo_t0: 0,
                produced: 0,
                dropped_since_shot: false,
                multishot: None,
                seq: 0,
                tx_log: Vec::new(),
                incoming: VecDeque::new(),
                last_arrival: now,
                shots: 0,
                stalls: 0,
                read_head: None,
                pending_shot: None,
                tx_busy: None,
                reg_ptr: 0,
                overrun_latched: false,
                base_t: now,
                base_n: 0,
            }),
            cv: Condvar::new(),
            reads: IodevQueue::new(),
            writes: IodevQueue::new(),
            start: now,
            faults: Faults::new(),
            iodev: OnceLock::new(),
            has_regs,
        }));
        let _ = d.iodev.set(crate::bus::leak_iodev(d));
        std::thread::Builder::new()
            .name(std::format!("sim-{name}"))
            .spawn(move || d.run())
            .expect("spawn a simulated device thread");
        d
    }

    /// The untyped iodev.
    pub fn iodev(&'static self) -> &'static Iodev {
        self.iodev.get_or_init(|| crate::bus::leak_iodev(self))
    }
    /// A typed handle for chain builders (readable, streamable, writable).
    pub fn dev(&'static self) -> Dev<StreamKind> {
        Dev::new_unchecked(self.iodev())
    }
    /// A handle of your own kind `K` (hand-written, `#[rtio_iodev]`, or generated from the
    /// devicetree), so chains are checked against what your device can do.
    pub fn dev_as<K: rtio::caps::Kind>(&'static self) -> Dev<K> {
        Dev::new_unchecked(self.iodev())
    }
    /// The fault script.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
    /// The configuration.
    pub fn config(&self) -> StreamConfig {
        *self.cfg.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Changes the sampling rate from now on (0 stops sampling: the device is idle).
    pub fn set_rate(&'static self, hz: u32) {
        let mut inner = self.lock();
        let now = StdInstant::now();
        let cfg = self.config();
        self.sample(&mut inner, &cfg, now);
        inner.base_t = now;
        inner.base_n = inner.produced;
        self.cfg.lock().unwrap_or_else(|e| e.into_inner()).rate_hz = hz;
        drop(inner);
        self.cv.notify_all();
    }
    /// Stops sampling (same as `set_rate(0)`); pending operations stay served.
    pub fn stop(&'static self) {
        self.set_rate(0);
    }
    /// Frames currently in the FIFO.
    pub fn fifo_len(&'static self) -> usize {
        self.caught_up().fifo.len() / self.frame_size
    }
    /// A consistent snapshot: (frames produced, frames in the FIFO, frames dropped). Every
    /// frame produced was either delivered, is still in the FIFO, or was dropped.
    pub fn snapshot(&'static self) -> (u64, usize, u32) {
        let inner = self.caught_up();
        (
            inner.produced,
            inner.fifo.len() / self.frame_size,
            self.iodev().overruns(),
        )
    }
    /// Frames produced since start (including dropped ones).
    pub fn produced(&'static self) -> u64 {
        self.caught_up().produced
    }
    /// Multishot buffers delivered.
    pub fn shots(&self) -> u64 {
        self.lock().shots
    }
    /// Watermark interrupts that found no pool block or no completion slot.
    pub fn stalls(&self) -> u64 {
        self.lock().stalls
    }
    /// Frames dropped because the FIFO was full (same as [`Iodev::overruns`]).
    pub fn overruns(&'static self) -> u32 {
        self.iodev().overruns()
    }
    /// Everything written to the device (a UART's transmit line).
    pub fn take_written(&self) -> Vec<u8> {
        core::mem::take(&mut self.lock().tx_log)
    }
    /// Bytes arriving from outside (a UART's receive line), one frame each, spaced by the
    /// character time at `write_bps` (10 bits a byte) from now or from the last byte.
    pub fn inject(&self, bytes: &[u8]) {
        let bps = self.config().write_bps.max(1) as u64;
        let char_ns = 10 * 1_000_000_000 / bps;
        let mut inner = self.lock();
        let mut t = inner.last_arrival.max(StdInstant::now());
        for &b in bytes {
            t += StdDuration::from_nanos(char_ns);
            inner.incoming.push_back((t, b));
        }
        inner.last_arrival = t;
        drop(inner);
        self.cv.notify_all();
    }

    /// The state, with every frame due by now sampled (what the hardware would hold now,
    /// even if the device thread has not run lately).
    fn caught_up(&'static self) -> MutexGuard<'static, Inner> {
        let mut inner = self.lock();
        let cfg = self.config();
        self.sample(&mut inner, &cfg, StdInstant::now());
        inner
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn due_frames(inner: &Inner, rate: u32, now: StdInstant) -> u64 {
        let dt = now.saturating_duration_since(inner.base_t).as_nanos() as u64;
        inner.base_n + dt * rate as u64 / 1_000_000_000
    }

    fn push_frame(&'static self, inner: &mut Inner, cfg: &StreamConfig, frame: &[u8], t_us: u64) {
        if inner.fifo.len() / self.frame_size >= cfg.fifo {
            self.iodev().record_overrun(1);
            inner.dropped_since_shot = true;
            inner.overrun_latched = true;
            return;
        }
        if inner.fifo.is_empty() {
            inner.fifo_t0 = t_us;
        }
        inner.fifo.extend(frame.iter().copied());
    }

    /// Samples due frames into the FIFO; returns when the next frame is due.
    fn sample(&'static self, inner: &mut Inner, cfg: &StreamConfig, now: StdInstant) {
        let fs = self.frame_size;
        let mut frame = std::vec![0u8; fs];
        if cfg.rate_hz > 0 {
            let due = Self::due_frames(inner, cfg.rate_hz, now);
            let base_us = (inner.base_t - self.start).as_micros() as u64;
            let mut src = self.source.lock().unwrap_or_else(|e| e.into_inner());
            while inner.produced < due {
                let n = inner.produced;
                let t_us = base_us + (n - inner.base_n) * 1_000_000 / cfg.rate_hz as u64;
                src.frame(n, t_us, &mut frame);
                self.push_frame(inner, cfg, &frame, t_us);
                inner.produced += 1;
            }
        }
        while inner.incoming.front().is_some_and(|&(t, _)| t <= now) {
            let Some((t, b)) = inner.incoming.pop_front() else {
                break;
            };
            frame.fill(0);
            frame[0] = b;
            let t_us = (t - self.start).as_micros() as u64;
            self.push_frame(inner, cfg, &frame, t_us);
            inner.produced += 1;
        }
    }

    fn next_event(&self, inner: &Inner, cfg: &StreamConfig, now: StdInstant) -> StdDuration {
        let mut d = StdDuration::from_millis(5);
        if cfg.rate_hz > 0 {
            // Wake about twice per watermark period (an interrupt per watermark), at least
            // every 5 ms and at most every 100 µs.
            let period = StdDuration::from_nanos(
                cfg.watermark as u64 * 1_000_000_000 / cfg.rate_hz as u64 / 2,
            );
            d = d.min(period).max(StdDuration::from_micros(100));
        }
        if let Some(&(t, _)) = inner.incoming.front() {
            d = d.min(t.saturating_duration_since(now));
        }
        if let Some((_, _, end)) = &inner.tx_busy {
            d = d.min(end.saturating_duration_since(now));
        }
        d
    }

    fn run(&'static self) {
        let mut inner = self.lock();
        loop {
            let cfg = self.config();
            let now = StdInstant::now();
            self.sample(&mut inner, &cfg, now);
            if self.faults.take_pending_overrun() {
                let frames = inner.fifo.len() / self.frame_size;
                inner.fifo.clear();
                inner.dropped_since_shot = true;
                self.iodev().record_overrun(frames as u32);
            }
            let mut done: Vec<(Token, Result<usize, Error>)> = Vec::new();
            self.serve_writes(&mut inner, &cfg, &mut done);
            self.serve_reads(&mut inner, &mut done);
            self.serve_multishot(&mut inner, &cfg, &mut done);
            if !done.is_empty() {
                drop(inner);
                for (t, r) in done {
                    t.complete(r);
                }
                inner = self.lock();
                continue;
            }
            let d = self.next_event(&inner, &cfg, now);
            inner = self
                .cv
                .wait_timeout(inner, d)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn serve_writes(
        &'static self,
        inner: &mut Inner,
        cfg: &StreamConfig,
        done: &mut Vec<(Token, Result<usize, Error>)>,
    ) {
        let now = StdInstant::now();
        // The write on the line finishes when its last bit is out.
        if let Some((t, res, end)) = inner.tx_busy.take() {
            if t.is_canceled() && now < end {
                done.push((t, Err(Error::Canceled))); // aborted mid-line
            } else if now < end {
                inner.tx_busy = Some((t, res, end));
                return;
            } else {
                done.push((t, res));
            }
        }
        while let Some(mut t) = self.writes.pop() {
            if t.is_canceled() {
                done.push((t, Err(Error::Canceled)));
                continue;
            }
            if cfg.write_bps == 0 {
                done.push((t, Err(Error::NotSupported)));
                continue;
            }
            let fault = self.faults.take();
            let len = match t.request() {
                Request::Write(d) => {
                    if !matches!(fault, Some(Fault::Nack | Fault::Bus)) {
                        inner.tx_log.extend_from_slice(d);
                    }
                    d.len()
                }
                _ => 0,
            };
            let res = match fault {
                Some(Fault::Nack | Fault::Bus) => Err(Error::Bus),
                _ => Ok(len),
            };
            // The line takes 10 bits per byte.
            let d = StdDuration::from_nanos(len as u64 * 10 * 1_000_000_000 / cfg.write_bps as u64);
            inner.tx_busy = Some((t, res, now + d));
            return;
        }
    }

    fn serve_reads(
        &'static self,
        inner: &mut Inner,
        done: &mut Vec<(Token, Result<usize, Error>)>,
    ) {
        // Plain reads are served in priority order; the head blocks the rest (FIFO data is
        // handed out in order).
        loop {
            let Some(mut t) = inner.read_head.take().or_else(|| self.reads.pop()) else {
                break;
            };
            if t.is_canceled() {
                done.push((t, Err(Error::Canceled)));
                continue;
            }
            if self.faults.hanging() {
                inner.read_head = Some(t);
                break;
            }
            if self.has_regs {
                match self.serve_regs(inner, &mut t) {
                    Some(r) => {
                        done.push((t, r));
                        continue;
                    }
                    None => {
                        inner.read_head = Some(t); // FIFO data not there yet
                        break;
                    }
                }
            }
            let (want, most) = match t.request() {
                Request::Read(b) => (b.len(), b.len()),
                Request::ReadPool { min, preferred } => (min, preferred.max(min)),
                _ => (0, 0),
            };
            if inner.fifo.len() < want {
                inner.read_head = Some(t);
                break;
            }
            let fault = self.faults.take();
            let buf: Result<&mut [u8], Error> = match t.request() {
                Request::Read(_) => match t.request() {
                    Request::Read(b) => Ok(b),
                    _ => Err(Error::NotSupported),
                },
                Request::ReadPool { .. } => t.pool_buf(),
                _ => Err(Error::NotSupported),
            };
            let res = match (buf, fault) {
                (_, Some(Fault::Nack)) => Err(Error::Nack),
                (_, Some(Fault::Bus)) => Err(Error::Bus),
                (Ok(b), _) => {
                    let n = b.len().min(most).min(inner.fifo.len());
                    for (d, s) in b.iter_mut().zip(inner.fifo.drain(..n)) {
                        *d = s;
                    }
                    crate::bus::corrupt(fault, &mut b[..n]);
                    Ok(n)
                }
                (Err(e), _) => Err(e),
            };
            done.push((t, res));
        }
    }

    /// Register access (devices with a register map): `None` while FIFO data it reads is
    /// not there yet.
    fn serve_regs(&'static self, inner: &mut Inner, t: &mut Token) -> Option<Result<usize, Error>> {
        // Pass 1: how many FIFO bytes the transaction reads.
        let mut ptr = inner.reg_ptr;
        let mut need = 0;
        for i in 0..t.transaction_len() {
            match t.member(i) {
                Some(Request::Write(d)) => {
                    if let Some(&p) = d.first() {
                        ptr = p;
                    }
                }
                Some(Request::Read(b)) if ptr == reg::FIFO_DATA_OUT => need += b.len(),
                _ => {}
            }
        }
        if inner.fifo.len() < need {
            return None;
        }
        let fault = self.faults.take();
        if let Err(e) = crate::bus::fault_error(fault) {
            return Some(Err(e));
        }
        let mut head = 0;
        for i in 0..t.transaction_len() {
            let n = match t.member(i) {
                Some(Request::Write(d)) => {
                    if let Some((&p, vals)) = d.split_first() {
                        inner.reg_ptr = p;
                        for &v in vals {
                            let r = inner.reg_ptr;
                            self.reg_write(inner, r, v);
                            inner.reg_ptr = r.wrapping_add(1);
                        }
                    }
                    d.len()
                }
                Some(Request::Read(b)) => {
                    if inner.reg_ptr == reg::FIFO_DATA_OUT {
                        let n = b.len();
                        for (d, s) in b.iter_mut().zip(inner.fifo.drain(..n)) {
                            *d = s;
                        }
                    } else {
                        for d in b.iter_mut() {
                            let r = inner.reg_ptr;
                            *d = self.reg_read(inner, r);
                            inner.reg_ptr = r.wrapping_add(1);
                        }
                    }
                    crate::bus::corrupt(fault, b);
                    b.len()
                }
                _ => 0,
            };
            if i == 0 {
                head = n;
            }
        }
        Some(Ok(head))
    }

    fn reg_read(&'static self, inner: &mut Inner, r: u8) -> u8 {
        let cfg = self.config();
        let level = inner.fifo.len() / self.frame_size;
        match r {
            reg::WHO_AM_I => self
                .source
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .who_am_i()
                .unwrap_or(0),
            reg::CTRL1 => {
                let code = reg::ODR_HZ
                    .iter()
                    .position(|&hz| hz == cfg.rate_hz)
                    .unwrap_or(0) as u8;
                code << 4
            }
            reg::FIFO_CTRL1 => cfg.watermark as u8,
            reg::FIFO_CTRL2 => ((cfg.watermark >> 8) & 1) as u8,
            reg::FIFO_STATUS1 => level as u8,
            reg::FIFO_STATUS2 => {
                let v = ((level >> 8) & 3) as u8
                    | if level >= cfg.watermark { 0x80 } else { 0 }
                    | if inner.overrun_latched { 0x40 } else { 0 };
                inner.overrun_latched = false;
                v
            }
            _ => 0,
        }
    }

    fn reg_write(&'static self, inner: &mut Inner, r: u8, v: u8) {
        let mut cfg = self.cfg.lock().unwrap_or_else(|e| e.into_inner());
        match r {
            reg::CTRL1 => {
                let hz = reg::ODR_HZ.get((v >> 4) as usize).copied().unwrap_or(0);
                let old = *cfg;
                drop(cfg);
                // Frames due at the old rate are taken first; the new rate starts now.
                let now = StdInstant::now();
                self.sample(inner, &old, now);
                inner.base_t = now;
                inner.base_n = inner.produced;
                self.cfg.lock().unwrap_or_else(|e| e.into_inner()).rate_hz = hz;
            }
            reg::FIFO_CTRL1 => {
                cfg.watermark = ((cfg.watermark & 0x100) | v as usize).clamp(1, cfg.fifo);
            }
            reg::FIFO_CTRL2 => {
                cfg.watermark =
                    ((cfg.watermark & 0xFF) | ((v as usize & 1) << 8)).clamp(1, cfg.fifo);
            }
            _ => {}
        }
    }

    fn serve_multishot(
        &'static self,
        inner: &mut Inner,
        cfg: &StreamConfig,
        done: &mut Vec<(Token, Result<usize, Error>)>,
    ) {
        let Some(mut t) = inner.multishot.take() else {
            return;
        };
        if let Some(n) = inner.pending_shot.take() {
            // A filled buffer that found the completion side full: post it as it is first
            // (if cancellation was requested meanwhile, this posts it and then the end).
            match t.shot(n) {
                Shot::Rearmed(t) => inner.multishot = Some(t),
                Shot::Stopped => {}
                Shot::Full(t) => {
                    inner.pending_shot = Some(n);
                    inner.multishot = Some(t);
                }
            }
            return;
        }
        let frames = inner.fifo.len() / self.frame_size;
        if t.is_canceled() && frames < cfg.watermark {
            done.push((t, Err(Error::Canceled)));
            return;
        }
        if frames < cfg.watermark || self.faults.hanging() {
            inner.multishot = Some(t);
            return;
        }
        let hdr = if cfg.header { Header::SIZE } else { 0 };
        let fault = self.faults.take();
        let fs = self.frame_size;
        // The shot fills at most what the entry asked for, not the whole block run.
        let most = match t.request() {
            Request::ReadPool { min, preferred } => preferred.max(min),
            _ => usize::MAX,
        };
        let buf = match t.pool_buf() {
            Ok(b) if b.len().min(most) >= hdr + fs => {
                let n = b.len().min(most);
                &mut b[..n]
            }
            Ok(_) => {
                done.push((t, Err(Error::InvalidArgument)));
                return;
            }
            Err(_) => {
                // No pool block: the data waits in the FIFO (and may overrun) (S9).
                inner.stalls += 1;
                inner.multishot = Some(t);
                return;
            }
        };
        let n = ((buf.len() - hdr) / fs).min(frames).min(u16::MAX as usize);
        let h = Header {
            timestamp_us: inner.fifo_t0,
            seq: inner.seq,
            frames: n as u16,
            frame_size: fs as u8,
            overrun: inner.dropped_since_shot,
        };
        if hdr > 0 {
            h.write(buf);
        }
        for (d, s) in buf[hdr..hdr + n * fs]
            .iter_mut()
            .zip(inner.fifo.drain(..n * fs))
        {
            *d = s;
        }
        crate::bus::corrupt(fault, &mut buf[hdr..hdr + n * fs]);
        if let Some(rate) = core::num::NonZeroU32::new(cfg.rate_hz) {
            inner.fifo_t0 += n as u64 * 1_000_000 / rate.get() as u64;
        }
        inner.seq += 1;
        inner.dropped_since_shot = false;
        inner.shots += 1;
        match t.shot(hdr + n * fs) {
            Shot::Rearmed(t) => inner.multishot = Some(t),
            Shot::Stopped => {}
            Shot::Full(t) => {
                // The completion side is full: the buffer stays with the token and the next
                // interrupt posts it as it is (S9).
                inner.stalls += 1;
                inner.pending_shot = Some(hdr + n * fs);
                inner.multishot = Some(t);
            }
        }
    }
}

impl IodevApi for StreamDevice {
    fn submit(&'static self, token: Token) {
        let mut inner = self.lock();
        if token.is_multishot() {
            if inner.multishot.is_some() {
                drop(inner);
                token.err(Error::InvalidArgument); // one stream at a time
                return;
            }
            inner.multishot = Some(token);
        } else if matches!(token.op(), rtio::Op::Write | rtio::Op::TinyWrite) && !self.has_regs {
            self.writes.push(token);
        } else {
            self.reads.push(token);
        }
        drop(inner);
        self.cv.notify_all();
    }

    fn cancel(&'static self, op: OpId) {
        if let Some(t) = self.reads.remove(op).or_else(|| self.writes.remove(op)) {
            t.err(Error::Canceled);
            return;
        }
        let taken = {
            let mut inner = self.lock();
            let head = inner.read_head.take();
            match head {
                Some(t) if t.id() == op => {
                    // The read that hung (if scripted so) is aborted: the hang is over.
                    if self.faults.hanging() {
                        let _ = self.faults.take();
                    }
                    drop(inner);
                    t.err(Error::Canceled);
                    return;
                }
                other => inner.read_head = other,
            }
            match inner.multishot.take() {
                // A stream with no shot waiting to be posted: end it now with `Canceled`.
                // (A waiting shot is posted by the device thread first, then the end.)
                Some(t) if t.id() == op && inner.pending_shot.is_none() => Some(t),
                other => {
                    inner.multishot = other;
                    None
                }
            }
        };
        if let Some(t) = taken {
            t.err(Error::Canceled);
        }
        self.cv.notify_all();
    }
}

impl Faults {
    /// Whether the device is scripted to hang now (reads stay pending until cancelled).
    fn hanging(&self) -> bool {
        self.peek() == Some(Fault::Hang)
    }
    /// Consumes a scheduled [`Fault::Overrun`] for the device's FIFO.
    fn take_pending_overrun(&self) -> bool {
        if self.peek() == Some(Fault::Overrun) {
            let _ = self.take();
            true
        } else {
            false
        }
    }
}
