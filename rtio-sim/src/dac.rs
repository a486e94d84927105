//! A DAC (or I2S-like output) that consumes samples at its own clock, fed by queued WRITEs.
//!
//! The output has a sample clock of its own: sample `n` leaves the converter at
//! `t0 + n / rate`, whether or not the application is ready. WRITEs of sample buffers queue
//! behind the one playing (double or triple buffering: keep two or three in flight); each
//! completes when its last sample has been played. A sample that is due while no buffer is
//! queued is an underrun: the converter holds its last value and the underrun is counted,
//! as an ADC counts the samples it had to drop (S9): nothing goes unnoticed. The clock starts
//! with the first buffer; [`Dac::stop`] ends it.
//!
//! ```
//! use rtio_sim::Dac;
//! use rtio::{Rtio, Storage};
//! static STORAGE: Storage<4, 4> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
//! let dac = Dac::device("dac-doc", 48_000);
//! let ctx = RTIO.claim().unwrap();
//! static RAMP: [u8; 96] = { let mut b = [0u8; 96]; let mut i = 0; while i < 96 { b[i] = i as u8; i += 1; } b };
//! // Two buffers in flight (double buffering): the second plays right after the first.
//! ctx.acquire()?.write(dac.dev(), &RAMP).submit()?;
//! ctx.acquire()?.write(dac.dev(), &RAMP).submit()?;
//! assert_eq!((ctx.consume().unwrap().result(), ctx.consume().unwrap().result()), (Ok(96), Ok(96)));
//! assert_eq!(dac.played(), 96); // 48 samples of 2 bytes, twice
//! dac.stop();
//! # Ok::<(), rtio::Error>(())
//! ```

use crate::bus::leak_iodev;
use rtio::{caps, Dev, Error, Iodev, IodevApi, IodevQueue, OpId, Request, Token};
use std::boxed::Box;
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec::Vec;

/// Kind of a simulated DAC: write only.
#[derive(Debug)]
pub struct DacKind;
impl caps::Kind for DacKind {
    const NAME: &'static str = "sim-dac";
}
impl caps::Write for DacKind {}

struct Playing {
    token: Token,
    /// Samples of this buffer already played.
    done: usize,
    samples: usize,
}

struct Inner {
    playing: Option<Playing>,
    /// When sample 0 was due; `None` until the first buffer.
    t0: Option<StdInstant>,
    /// Samples the clock has emitted so far (played or underrun).
    clocked: u64,
    played: u64,
    underruns: u64,
    last: u16,
    running: bool,
    /// The last samples played (newest last), for tests that look at the waveform.
    history: VecDeque<u16>,
}

/// A DAC with a sample clock, consuming little-endian `u16` samples from queued WRITEs.
pub struct Dac {
    name: std::string::String,
    rate_hz: u32,
    queue: IodevQueue,
    inner: Mutex<Inner>,
    cv: Condvar,
    iodev: OnceLock<&'static Iodev>,
}

impl core::fmt::Debug for Dac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dac")
            .field("name", &self.name)
            .field("rate_hz", &self.rate_hz)
            .finish_non_exhaustive()
    }
}

/// Samples kept in [`Dac::history`].
const HISTORY: usize = 4096;

impl Dac {
    /// Starts a DAC clocking `rate_hz` samples a second once fed.
    pub fn device(name: &str, rate_hz: u32) -> &'static Dac {
        let d: &'static Dac = Box::leak(Box::new(Dac {
            name: name.into(),
            rate_hz: rate_hz.max(1),
            queue: IodevQueue::new(),
            inner: Mutex::new(Inner {
                playing: None,
                t0: None,
                clocked: 0,
                played: 0,
                underruns: 0,
                last: 0,
                running: true,
                history: VecDeque::new(),
            }),
            cv: Condvar::new(),
            iodev: OnceLock::new(),
        }));
        let _ = d.iodev.set(leak_iodev(d));
        std::thread::Builder::new()
            .name(std::format!("sim-{name}"))
            .spawn(move || d.run())
            .expect("spawn a simulated DAC thread");
        d
    }

    /// The untyped iodev.
    pub fn iodev(&'static self) -> &'static Iodev {
        self.iodev.get_or_init(|| leak_iodev(self))
    }
    /// A typed handle for chain builders (write only).
    pub fn dev(&'static self) -> Dev<DacKind> {
        Dev::new_unchecked(self.iodev())
    }
    /// The sample rate.
    pub fn rate_hz(&self) -> u32 {
        self.rate_hz
    }
    /// Samples played from buffers so far.
    pub fn played(&self) -> u64 {
        self.lock().played
    }
    /// Samples the clock has emitted since it started: played + underruns, exactly.
    pub fn clocked(&self) -> u64 {
        self.lock().clocked
    }
    /// Samples that were due with no buffer queued (the output held its last value).
    pub fn underruns(&self) -> u64 {
        self.lock().underruns
    }
    /// The last samples played, oldest first (up to 4096).
    pub fn history(&self) -> Vec<u16> {
        self.lock().history.iter().copied().collect()
    }
    /// Time since the clock started (the first buffer), if it has.
    pub fn running_for(&self) -> Option<StdDuration> {
        self.lock().t0.map(|t| t.elapsed())
    }
    /// Stops the clock: the buffer playing and those queued complete `Canceled`.
    pub fn stop(&self) {
        let (playing, queued) = {
            let mut i = self.lock();
            i.running = false;
            let mut q = Vec::new();
            while let Some(t) = self.queue.pop() {
                q.push(t);
            }
            (i.playing.take(), q)
        };
        self.cv.notify_all();
        if let Some(p) = playing {
            p.token.err(Error::Canceled);
        }
        for t in queued {
            t.err(Error::Canceled);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the next queued buffer into `playing`; a buffer that is no sample data fails.
    fn next_buffer(&self, i: &mut Inner, failed: &mut Vec<(Token, Error)>) {
        while i.playing.is_none() {
            let Some(mut t) = self.queue.pop() else {
                return;
            };
            if t.is_canceled() {
                failed.push((t, Error::Canceled));
                continue;
            }
            let samples = match t.request() {
                Request::Write(d) if d.len() % 2 == 0 && !d.is_empty() => d.len() / 2,
                Request::Write(_) => {
                    failed.push((t, Error::InvalidArgument)); // half a sample
                    continue;
                }
                _ => {
                    failed.push((t, Error::NotSupported));
                    continue;
                }
            };
            i.playing = Some(Playing {
                token: t,
                done: 0,
                samples,
            });
        }
    }

    /// The converter: emits every sample that is due, then sleeps a little.
    fn run(&'static self) {
        loop {
            let mut done: Vec<(Token, Result<usize, Error>)> = Vec::new();
            let mut failed = Vec::new();
            {
                let mut i = self.lock();
                if !i.running {
                    return;
                }
                self.next_buffer(&mut i, &mut failed);
                if i.t0.is_none() {
                    if i.playing.is_some() {
                        i.t0 = Some(StdInstant::now());
                    } else {
                        // Idle until the first buffer arrives.
                        drop(self.cv.wait_timeout(i, StdDuration::from_millis(5)));
                        for (t, e) in failed {
                            t.err(e);
                        }
                        continue;
                    }
                }
                let t0 = i.t0.unwrap_or_else(StdInstant::now);
                let due = (t0.elapsed().as_nanos() * self.rate_hz as u128 / 1_000_000_000) as u64;
                while i.clocked < due {
                    i.clocked += 1;
                    self.next_buffer(&mut i, &mut failed);
                    let Some(p) = i.playing.as_mut() else {
                        i.underruns += 1; // nothing to play: the output holds
                        let last = i.last;
                        push_history(&mut i.history, last);
                        continue;
                    };
                    let k = p.done;
                    let s = match p.token.request() {
                        Request::Write(d) => u16::from_le_bytes([d[2 * k], d[2 * k + 1]]),
                        _ => 0,
                    };
                    p.done += 1;
                    let finished = p.done == p.samples;
                    i.last = s;
                    i.played += 1;
                    push_history(&mut i.history, s);
                    if finished {
                        if let Some(p) = i.playing.take() {
                            done.push((p.token, Ok(p.samples * 2)));
                        }
                    }
                }
            }
            // Complete outside the lock: a chained successor may be submitted to us.
            for (t, r) in done {
                t.complete(r);
            }
            for (t, e) in failed {
                t.err(e);
            }
            std::thread::sleep(StdDuration::from_micros(200));
        }
    }
}

fn push_history(h: &mut VecDeque<u16>, s: u16) {
    if h.len() == HISTORY {
        h.pop_front();
    }
    h.push_back(s);
}

impl IodevApi for Dac {
    fn submit(&'static self, token: Token) {
        let running = self.lock().running;
        if !running {
            return token.err(Error::Canceled);
        }
        self.queue.push(token);
        self.cv.notify_all();
    }
    fn cancel(&'static self, op: OpId) {
        // Queued buffers are dropped at once; the one playing plays out (its samples are
        // already in the converter's pipeline).
        self.queue.cancel(op);
    }
}
