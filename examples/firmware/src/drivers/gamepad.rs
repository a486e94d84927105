//! The EVB's navigation switch: up/down/left/right on PE0-PE3 and select on PF1, active low,
//! as a multishot stream of key events (one byte per edge: key number, bit 7 = pressed).
//!
//! Both edges interrupt (IBE). QEMU drives these inputs only from the monitor's `sendkey`
//! (press, then release after the hold time), and **reads them as 0 ("pressed") until the
//! first release**, so the first `sendkey` of a key yields only its release event.
//!
//! Two edges of one pin can come before the handler runs (a press and its release while the
//! CPU was busy): the pin then shows one interrupt and a level the driver last reported. The
//! driver keeps the last reported state of each key and, in that case, reports both edges
//! (the one it missed first), so no event is lost.
#![forbid(unsafe_code)]

use crate::mask;
use crate::mmio::Mmio;
use core::cell::RefCell;
use critical_section::Mutex;
use portable_atomic::{AtomicU32, Ordering};
use rtio::{Error, Iodev, IodevApi, OpId, Request, Shot, Token};

const DIR: usize = 0x400;
const IS: usize = 0x404;
const IBE: usize = 0x408;
const IM: usize = 0x410;
const MIS: usize = 0x418;
const ICR: usize = 0x41C;
const DEN: usize = 0x51C;

const E_PINS: u32 = 0x0F; // PE0..PE3
const F_PINS: u32 = 0x02; // PF1

/// A key of the navigation switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// PE0.
    Up,
    /// PE1.
    Down,
    /// PE2.
    Left,
    /// PE3.
    Right,
    /// PF1.
    Select,
}

/// Decodes one event byte of the stream: the key and whether it went down.
pub fn decode(b: u8) -> (Key, bool) {
    let key = match b & 0x7F {
        0 => Key::Up,
        1 => Key::Down,
        2 => Key::Left,
        3 => Key::Right,
        _ => Key::Select,
    };
    (key, b & 0x80 != 0)
}

struct Stream {
    token: Token,
    pos: usize,
}

/// The gamepad driver.
pub struct Gamepad {
    porte: Mmio,
    portf: Mmio,
    iodev: &'static Iodev,
    stream: Mutex<RefCell<Option<Stream>>>,
    /// The last reported state of each key (bit = key number, 1 = pressed).
    last: AtomicU32,
}

impl core::fmt::Debug for Gamepad {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Gamepad").finish_non_exhaustive()
    }
}

impl Gamepad {
    /// The keys on GPIO ports E and F; `iodev` wraps this driver (for the overrun count).
    pub const fn new(porte: Mmio, portf: Mmio, iodev: &'static Iodev) -> Self {
        Gamepad {
            porte,
            portf,
            iodev,
            stream: Mutex::new(RefCell::new(None)),
            last: AtomicU32::new(0),
        }
    }

    /// Inputs with both-edge interrupts.
    pub fn init(&self) {
        // What the keys read now is the state the first edge starts from (QEMU: "pressed").
        let e = !self.porte.read((E_PINS as usize) << 2) & E_PINS;
        let f = !self.portf.read((F_PINS as usize) << 2) & F_PINS;
        self.last
            .store(e | if f != 0 { 1 << 4 } else { 0 }, Ordering::Relaxed);
        for (port, pins) in [(self.porte, E_PINS), (self.portf, F_PINS)] {
            port.modify(IM, pins, 0);
            port.modify(DIR, pins, 0);
            port.modify(DEN, 0, pins);
            port.modify(IS, pins, 0); // edge
            port.modify(IBE, 0, pins); // both edges
            port.write(ICR, pins);
            port.modify(IM, 0, pins);
        }
    }

    /// GPIO E or F interrupt: one event per edge, posted as one shot.
    pub fn on_interrupt(&'static self) {
        let mut events = [0u8; 10]; // up to two per key
        let mut n = 0;
        for (port, pins, first_key) in [(self.porte, E_PINS, 0u8), (self.portf, F_PINS, 4)] {
            let mis = port.read(MIS) & pins;
            if mis == 0 {
                continue;
            }
            port.write(ICR, mis);
            let level = port.read((pins as usize) << 2); // address-masked DATA
            for bit in 0..8u8 {
                if mis & (1 << bit) != 0 && n + 2 <= events.len() {
                    let key = if first_key == 4 { 4 } else { bit };
                    let pressed = level & (1 << bit) == 0; // active low
                    let was = self.last.load(Ordering::Relaxed) & (1 << key) != 0;
                    if was == pressed {
                        // An interrupt but no change: two edges came; report the missed one.
                        events[n] = key | (!pressed as u8) << 7;
                        n += 1;
                    }
                    events[n] = key | (pressed as u8) << 7;
                    n += 1;
                    let bit = 1 << key;
                    if pressed {
                        self.last.fetch_or(bit, Ordering::Relaxed);
                    } else {
                        self.last.fetch_and(!bit, Ordering::Relaxed);
                    }
                }
            }
        }
        if n == 0 {
            return;
        }
        let ready = mask::driver(|cs| {
            let mut st = self.stream.borrow_ref_mut(cs);
            let s = st.as_mut()?;
            let buf = s.token.pool_buf().ok()?;
            let k = n.min(buf.len() - s.pos);
            buf[s.pos..s.pos + k].copy_from_slice(&events[..k]);
            s.pos += k;
            n -= k;
            st.take()
        });
        if n > 0 {
            self.iodev.record_overrun(n as u32); // no stream, no pool block, or no room
        }
        if let Some(s) = ready {
            self.post(s);
        }
    }

    fn post(&'static self, s: Stream) {
        let pos = s.pos;
        let keep = match s.token.shot(pos) {
            Shot::Rearmed(t) => Some(Stream { token: t, pos: 0 }),
            Shot::Full(t) => Some(Stream { token: t, pos }),
            Shot::Stopped => None,
        };
        if let Some(k) = keep {
            mask::driver(|cs| *self.stream.borrow_ref_mut(cs) = Some(k));
        }
    }
}

impl IodevApi for Gamepad {
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
        match s {
            Some(s) if s.pos == 0 => s.token.err(Error::Canceled),
            Some(s) => self.post(s),
            None => {}
        }
    }
}
