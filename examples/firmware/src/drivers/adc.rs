//! ADC sample sequencer 0, triggered by a GPTM (EMUX = 5, the timer's CTL.TAOTE), as a
//! multishot stream: each shot is one pool buffer of 16-bit little-endian samples (S2, S11).
//!
//! QEMU specifics (fact sheet, section 10): only the timer trigger works; each trigger
//! pushes two samples; the sequencer's FIFO holds 16 entries; and once the FIFO's head index
//! has wrapped to 0, EMPTY never comes back, so the handler takes the sample count from the
//! SSFSTAT indices instead of reading until EMPTY.
#![forbid(unsafe_code)]

use crate::mask;
use crate::mmio::Mmio;
use core::cell::RefCell;
use critical_section::Mutex;
use rtio::{Error, Iodev, IodevApi, OpId, Request, Shot, Token};

const ACTSS: usize = 0x00;
const IM: usize = 0x08;
const ISC: usize = 0x0C;
const EMUX: usize = 0x14;
const SSMUX0: usize = 0x40;
const SSCTL0: usize = 0x44;
const SSFIFO0: usize = 0x48;
const SSFSTAT0: usize = 0x4C;

const EMUX_TIMER: u32 = 5;
const SSCTL_IE0_END0: u32 = 0x6;
const FSTAT_EMPTY: u32 = 1 << 8;
const FSTAT_FULL: u32 = 1 << 12;

struct Stream {
    token: Token,
    /// Bytes filled in the current pool buffer.
    pos: usize,
}

/// The ADC driver.
pub struct Adc {
    regs: Mmio,
    iodev: &'static Iodev,
    stream: Mutex<RefCell<Option<Stream>>>,
}

impl core::fmt::Debug for Adc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Adc").finish_non_exhaustive()
    }
}

/// Samples in sequencer 0's FIFO, from SSFSTAT's indices (EMPTY is unreliable in QEMU).
fn fifo_count(fstat: u32) -> usize {
    if fstat & FSTAT_FULL != 0 {
        16
    } else if fstat & FSTAT_EMPTY != 0 {
        0
    } else {
        let tail = fstat & 0xF;
        let head = (fstat >> 4) & 0xF;
        (head.wrapping_sub(tail) & 0xF) as usize
    }
}

impl Adc {
    /// The ADC at `regs`; `iodev` is the iodev that wraps it (for the overrun counter).
    pub const fn new(regs: Mmio, iodev: &'static Iodev) -> Self {
        Adc {
            regs,
            iodev,
            stream: Mutex::new(RefCell::new(None)),
        }
    }

    /// Sequencer 0: one step, timer-triggered, interrupt at the end of the sequence.
    pub fn init(&self) {
        let r = self.regs;
        r.write(ACTSS, 0);
        // QEMU compares 8 bits from the sequencer's nibble: the SS1 nibble must stay 0.
        r.write(EMUX, EMUX_TIMER);
        r.write(SSMUX0, 0);
        r.write(SSCTL0, SSCTL_IE0_END0);
        r.write(ISC, 1);
        r.write(IM, 1);
        r.write(ACTSS, 1);
    }

    /// The sequencer 0 interrupt: move the samples into the stream's pool buffer.
    pub fn on_interrupt(&'static self) {
        let r = self.regs;
        r.write(ISC, 1);
        let n = fifo_count(r.read(SSFSTAT0));
        let mut samples = [0u16; 16];
        for s in samples.iter_mut().take(n) {
            *s = r.read(SSFIFO0) as u16;
        }
        let mut dropped = 0;
        let shot = mask::driver(|cs| {
            let mut st = self.stream.borrow_ref_mut(cs);
            let Some(s) = st.as_mut() else {
                dropped = n; // no reader
                return None;
            };
            let buf = match s.token.pool_buf() {
                Ok(b) => b,
                Err(_) => {
                    dropped = n; // no pool block free: the caller holds them all
                    return None;
                }
            };
            for &v in &samples[..n] {
                if s.pos + 2 <= buf.len() {
                    buf[s.pos..s.pos + 2].copy_from_slice(&v.to_le_bytes());
                    s.pos += 2;
                } else {
                    dropped += 1;
                }
            }
            if s.pos + 2 > buf.len() {
                st.take()
            } else {
                None
            }
        });
        if dropped > 0 {
            self.iodev.record_overrun(dropped as u32);
        }
        if let Some(s) = shot {
            self.post(s);
        }
    }

    /// Posts a full buffer as one shot and re-arms (or keeps it while the queue is full).
    fn post(&'static self, s: Stream) {
        let pos = s.pos;
        let keep = match s.token.shot(pos) {
            Shot::Rearmed(t) => Some(Stream { token: t, pos: 0 }),
            Shot::Full(t) => Some(Stream { token: t, pos }), // retried on the next interrupt
            Shot::Stopped => None,
        };
        if let Some(k) = keep {
            mask::driver(|cs| *self.stream.borrow_ref_mut(cs) = Some(k));
        }
    }
}

impl IodevApi for Adc {
    fn submit(&'static self, mut token: Token) {
        if !token.is_multishot() || !matches!(token.request(), Request::ReadPool { .. }) {
            return token.err(Error::NotSupported);
        }
        let busy = mask::driver(|cs| {
            let mut st = self.stream.borrow_ref_mut(cs);
            if st.is_some() {
                return Some(token);
            }
            *st = Some(Stream { token, pos: 0 });
            None
        });
        if let Some(t) = busy {
            t.err(Error::InvalidArgument); // one stream at a time
        }
    }

    fn cancel(&'static self, op: OpId) {
        let s = mask::driver(|cs| {
            let mut st = self.stream.borrow_ref_mut(cs);
            match st.as_ref() {
                Some(s) if s.token.id() == op => st.take(),
                _ => None,
            }
        });
        // The cancel flag is set: `shot` posts what was filled, then the final Canceled.
        match s {
            Some(s) if s.pos == 0 => s.token.err(Error::Canceled), // nothing to deliver
            Some(s) => self.post(s),
            None => {}
        }
    }
}
