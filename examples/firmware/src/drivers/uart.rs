//! PL011 UART as a byte stream: interrupt-driven receive into a ring. A READ completes with
//! whatever arrived (at least one byte, like `read(2)`); a multishot READ streams into pool
//! buffers, one shot per receive interrupt's worth of bytes (S2, S11) and takes precedence
//! over plain reads while it runs. WRITE is interrupt-driven too.
//!
//! QEMU: the RX interrupt rises when the FIFO goes from empty to one byte and there is no
//! receive-timeout interrupt, so the handler always drains the FIFO. TX raises an interrupt
//! after every byte written (not at reset), so a write starts by filling the FIFO itself.
//! Baud rate and framing are ignored by the model; they are set for silicon.
#![forbid(unsafe_code)]

use crate::mmio::Mmio;
use core::cell::RefCell;
use critical_section::Mutex;
use rtio::{Error, IodevApi, IodevQueue, OpId, Request, Shot, Token};

const DR: usize = 0x00;
const FR: usize = 0x18;
const IBRD: usize = 0x24;
const FBRD: usize = 0x28;
const LCRH: usize = 0x2C;
const CTL: usize = 0x30;
const IM: usize = 0x38;
const MIS: usize = 0x40;
const ICR: usize = 0x44;

const FR_RXFE: u32 = 1 << 4;
const FR_TXFF: u32 = 1 << 5;
const INT_RX: u32 = 1 << 4;
const INT_TX: u32 = 1 << 5;
const INT_RT: u32 = 1 << 6;

const RING: usize = 64;

struct Rx {
    ring: [u8; RING],
    head: usize,
    len: usize,
    reader: Option<Token>,
    stream: Option<Stream>,
}

/// A multishot read: its token and the bytes already in its current pool buffer.
struct Stream {
    token: Token,
    pos: usize,
}

struct Tx {
    writer: Option<(Token, usize)>,
}

/// The UART driver.
pub struct Uart {
    regs: Mmio,
    readers: IodevQueue,
    writers: IodevQueue,
    rx: Mutex<RefCell<Rx>>,
    tx: Mutex<RefCell<Tx>>,
}

impl core::fmt::Debug for Uart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Uart").finish_non_exhaustive()
    }
}

impl Uart {
    /// The UART at `regs`.
    pub const fn new(regs: Mmio) -> Self {
        Uart {
            regs,
            readers: IodevQueue::new(),
            writers: IodevQueue::new(),
            rx: Mutex::new(RefCell::new(Rx {
                ring: [0; RING],
                head: 0,
                len: 0,
                reader: None,
                stream: None,
            })),
            tx: Mutex::new(RefCell::new(Tx { writer: None })),
        }
    }

    /// 8N1 at `baud` from `sysclk_hz`, FIFOs on, receive interrupt on.
    pub fn init(&self, sysclk_hz: u32, baud: u32) {
        let r = self.regs;
        r.write(CTL, 0);
        // Divisor in 1/64ths: sysclk / (16 * baud).
        let div64 = (sysclk_hz as u64 * 4 / baud as u64) as u32;
        r.write(IBRD, div64 >> 6);
        r.write(FBRD, div64 & 63);
        r.write(LCRH, 0x60 | 0x10); // 8 bits, FIFO enable
        r.write(ICR, 0x7FF);
        r.write(IM, INT_RX | INT_RT);
        r.write(CTL, 0x301); // UARTEN | TXE | RXE
    }

    /// The UART interrupt.
    pub fn on_interrupt(&'static self) {
        let mis = self.regs.read(MIS);
        if mis & (INT_RX | INT_RT) != 0 {
            self.regs.write(ICR, INT_RX | INT_RT);
            self.drain_rx();
        }
        if mis & INT_TX != 0 {
            self.regs.write(ICR, INT_TX);
            self.pump_tx();
        }
    }

    /// Moves received bytes into the ring and serves a waiting reader.
    fn drain_rx(&'static self) {
        let done = critical_section::with(|cs| {
            let mut rx = self.rx.borrow_ref_mut(cs);
            while self.regs.read(FR) & FR_RXFE == 0 {
                let b = self.regs.read(DR) as u8;
                if rx.len == RING {
                    continue; // ring full: the byte is lost
                }
                let i = (rx.head + rx.len) % RING;
                rx.ring[i] = b;
                rx.len += 1;
            }
            if rx.stream.is_some() {
                return None;
            }
            Self::serve(&mut rx)
        });
        if let Some((t, n)) = done {
            t.ok(n);
            self.next_reader();
        }
        self.feed_stream();
    }

    /// Moves ring bytes into the stream's pool buffer and posts them as shots.
    fn feed_stream(&'static self) {
        loop {
            let ready = critical_section::with(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                let rx = &mut *rx;
                let s = rx.stream.as_mut()?;
                // No pool block free: the bytes wait in the ring (and the ring may overflow).
                let buf = s.token.pool_buf().ok()?;
                while rx.len > 0 && s.pos < buf.len() {
                    buf[s.pos] = rx.ring[rx.head];
                    rx.head = (rx.head + 1) % RING;
                    rx.len -= 1;
                    s.pos += 1;
                }
                if s.pos == 0 {
                    return None;
                }
                rx.stream.take()
            });
            // Re-armed: more bytes may be waiting in the ring, go round again.
            let rearmed = ready.is_some_and(|s| self.post(s));
            if !rearmed {
                return;
            }
        }
    }

    /// Posts one shot; returns whether the stream goes on with an empty buffer.
    fn post(&'static self, s: Stream) -> bool {
        let (keep, rearmed) = match s.token.shot(s.pos) {
            Shot::Rearmed(t) => (Some(Stream { token: t, pos: 0 }), true),
            // The completion side is full: keep the bytes, retry on the next interrupt.
            Shot::Full(t) => (
                Some(Stream {
                    token: t,
                    pos: s.pos,
                }),
                false,
            ),
            Shot::Stopped => (None, false),
        };
        if let Some(k) = keep {
            critical_section::with(|cs| self.rx.borrow_ref_mut(cs).stream = Some(k));
        }
        rearmed
    }

    /// Copies ring bytes into the parked reader's buffer; returns it when served.
    fn serve(rx: &mut Rx) -> Option<(Token, usize)> {
        if rx.len == 0 {
            return None;
        }
        let mut t = rx.reader.take()?;
        let n = match t.request() {
            Request::Read(buf) => {
                let n = buf.len().min(rx.len);
                for b in buf.iter_mut().take(n) {
                    *b = rx.ring[rx.head];
                    rx.head = (rx.head + 1) % RING;
                }
                rx.len -= n;
                n
            }
            _ => 0,
        };
        Some((t, n))
    }

    /// Parks the next queued reader, serving it at once if bytes are waiting.
    fn next_reader(&'static self) {
        loop {
            let done = critical_section::with(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                if rx.reader.is_some() {
                    return None;
                }
                let mut t = self.readers.pop()?;
                if !matches!(t.request(), Request::Read(b) if !b.is_empty()) {
                    return Some((t, Err(Error::NotSupported)));
                }
                rx.reader = Some(t);
                Self::serve(&mut rx).map(|(t, n)| (t, Ok(n)))
            });
            match done {
                Some((t, r)) => t.complete(r),
                None => return,
            }
        }
    }

    /// Writes bytes while the FIFO has room; completes the writer after its last byte.
    fn pump_tx(&'static self) {
        loop {
            let done = critical_section::with(|cs| {
                let mut tx = self.tx.borrow_ref_mut(cs);
                if tx.writer.is_none() {
                    let mut t = self.writers.pop()?;
                    if !matches!(t.request(), Request::Write(_)) {
                        return Some((t, Err(Error::NotSupported)));
                    }
                    tx.writer = Some((t, 0));
                    self.regs.modify(IM, 0, INT_TX);
                }
                let (t, pos) = tx.writer.as_mut()?;
                let Request::Write(data) = t.request() else {
                    return None;
                };
                let n = data.len();
                while *pos < n && self.regs.read(FR) & FR_TXFF == 0 {
                    self.regs.write(DR, data[*pos] as u32);
                    *pos += 1;
                }
                if *pos < n {
                    return None; // the TX interrupt continues
                }
                self.regs.modify(IM, INT_TX, 0);
                tx.writer.take().map(|(t, _)| (t, Ok(n)))
            });
            match done {
                Some((t, r)) => t.complete(r),
                None => return,
            }
        }
    }
}

impl IodevApi for Uart {
    fn submit(&'static self, token: Token) {
        if token.is_multishot() {
            let busy = critical_section::with(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                if rx.stream.is_some() {
                    return Some(token);
                }
                rx.stream = Some(Stream { token, pos: 0 });
                None
            });
            match busy {
                Some(t) => t.err(Error::InvalidArgument), // one stream at a time
                None => self.feed_stream(),
            }
            return;
        }
        match token.op() {
            rtio::Op::Read => {
                self.readers.push(token);
                self.next_reader();
            }
            _ => {
                self.writers.push(token);
                self.pump_tx();
            }
        }
    }

    fn cancel(&'static self, op: OpId) {
        if self.readers.cancel(op) || self.writers.cancel(op) {
            return;
        }
        // The stream: `shot` sees the cancel, posts what it has, then the final Canceled.
        let s = critical_section::with(|cs| {
            let mut rx = self.rx.borrow_ref_mut(cs);
            match &rx.stream {
                Some(s) if s.token.id() == op => rx.stream.take(),
                _ => None,
            }
        });
        if let Some(s) = s {
            if s.pos == 0 {
                s.token.err(Error::Canceled); // nothing to deliver: just the final completion
            } else {
                self.post(s);
            }
            return;
        }
        // A parked reader can be aborted (a LINK_TIMEOUT ends up here too).
        let t = critical_section::with(|cs| {
            let mut rx = self.rx.borrow_ref_mut(cs);
            match &rx.reader {
                Some(t) if t.id() == op => rx.reader.take(),
                _ => None,
            }
        });
        if let Some(t) = t {
            t.err(Error::Canceled);
            self.next_reader();
        }
    }
}
