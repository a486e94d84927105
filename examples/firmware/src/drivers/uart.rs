//! PL011 UART as a byte stream: interrupt-driven receive into a ring. A READ completes with
//! whatever arrived (at least one byte and at most [`MAX_READ`], like `read(2)`); a multishot
//! READ streams into pool buffers, one shot per pool buffer's worth of bytes (S2, S11), and
//! takes precedence over plain reads while it runs. WRITE is interrupt-driven too.
//!
//! **Nothing is lost silently.** The receive interrupt moves the FIFO into a [`RING`]-byte
//! ring. What happens when the ring is full is the driver's [`Overflow`] policy:
//! - [`Overflow::Hold`] (the default): the driver stops reading the FIFO and masks the
//!   receive interrupt until a reader makes room. The sender is held: QEMU's serial
//!   back-end stops reading the host while the guest's FIFO is full, so nothing is lost (on
//!   silicon the same stop needs RTS/CTS, or the PL011 overruns and the driver counts it).
//! - [`Overflow::Drop`]: the FIFO is always drained (a sender that cannot be held); bytes
//!   the ring cannot take are dropped and counted.
//!
//! Every byte dropped, and every overrun the PL011 itself flags (DR bit 11, silicon only:
//! QEMU never overruns), is added to the iodev's overrun counter ([`rtio::Iodev::overruns`])
//! (S9). [`Uart::seen`] counts every byte read from the line, so that bytes kept + dropped
//! = bytes seen can be checked.
//!
//! A stream that finds no pool block or no completion slot leaves its bytes in the ring;
//! [`Uart::on_tick`] (called by the board's clock tick) retries, so a stream is never stuck
//! behind a consumer that has since freed its blocks.
//!
//! QEMU: the RX interrupt rises when the FIFO goes from empty to one byte and stays up until
//! reads empty it (IFLS is ignored; there is no receive-timeout interrupt), so the driver
//! never clears it with ICR: a FIFO left non-empty (ring full) raises it again as soon as the
//! interrupt is unmasked. TX raises an interrupt after every byte written (not at reset), so
//! a write starts by filling the FIFO itself. Baud rate and framing are ignored by the model;
//! they are set for silicon, with the RX FIFO level at 1/2 and the receive timeout on.
#![forbid(unsafe_code)]

use crate::mask;
use crate::mmio::Mmio;
use core::cell::RefCell;
use critical_section::Mutex;
use portable_atomic::{AtomicBool, AtomicU32, Ordering};
use rtio::{Error, Iodev, IodevApi, IodevQueue, OpId, Request, Shot, Token};

const DR: usize = 0x00;
const FR: usize = 0x18;
const IBRD: usize = 0x24;
const FBRD: usize = 0x28;
const LCRH: usize = 0x2C;
const CTL: usize = 0x30;
const IFLS: usize = 0x34;
const IM: usize = 0x38;
const MIS: usize = 0x40;
const ICR: usize = 0x44;

const FR_RXFE: u32 = 1 << 4;
const FR_TXFF: u32 = 1 << 5;
const INT_RX: u32 = 1 << 4;
const INT_TX: u32 = 1 << 5;
const INT_RT: u32 = 1 << 6;
/// DR: overrun error (a byte was lost in the hardware before this one).
const DR_OE: u32 = 1 << 11;
/// IFLS: RX interrupt at 1/2 full (8 of 16), TX at 1/2 (silicon; QEMU ignores IFLS).
const IFLS_HALF: u32 = 0x2 << 3 | 0x2;

/// Receive ring size. At 115200 8N1 (11,520 bytes/s) it holds 89 ms of input: a consumer
/// may be that late before [`Overflow::Hold`] holds the sender (or [`Overflow::Drop`] drops).
pub const RING: usize = 1024;
/// Hardware FIFO depth: bytes moved per critical section, which bounds the masked time.
const FIFO: usize = 16;
/// Most bytes one plain READ returns: the copy runs with interrupts masked.
pub const MAX_READ: usize = 64;
/// FIFO batches one receive interrupt moves before it returns (QEMU may refill the FIFO
/// while it is drained; the interrupt stays pending, so nothing waits for long).
const BATCHES_PER_IRQ: usize = 4;

/// What the driver does with input when its ring is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Stop reading the FIFO until there is room: the sender is held, nothing is lost.
    Hold,
    /// Keep draining the FIFO and drop (and count) what the ring cannot take.
    Drop,
}

struct Rx {
    ring: [u8; RING],
    head: usize,
    len: usize,
    policy: Overflow,
    /// The receive interrupt is masked because the ring is full ([`Overflow::Hold`]).
    held: bool,
    reader: Option<Token>,
    stream: Option<Stream>,
    /// The stream's token is out of `stream` while one of its shots is posted: it still
    /// runs, so plain readers keep waiting and a second stream is refused.
    posting: bool,
}

impl Rx {
    /// Whether a multishot stream runs (it takes the bytes; plain reads wait).
    fn streaming(&self) -> bool {
        self.stream.is_some() || self.posting
    }
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
    iodev: &'static Iodev,
    readers: IodevQueue,
    writers: IodevQueue,
    rx: Mutex<RefCell<Rx>>,
    tx: Mutex<RefCell<Tx>>,
    /// Bytes read from the line since start (kept or dropped).
    seen: AtomicU32,
    /// The stream is waiting for a pool block or a completion slot: retry on the tick.
    stalled: AtomicBool,
}

impl core::fmt::Debug for Uart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Uart").finish_non_exhaustive()
    }
}

impl Uart {
    /// The UART at `regs`; `iodev` is the iodev that wraps it (for the overrun counter).
    pub const fn new(regs: Mmio, iodev: &'static Iodev) -> Self {
        Uart {
            regs,
            iodev,
            readers: IodevQueue::new(),
            writers: IodevQueue::new(),
            rx: Mutex::new(RefCell::new(Rx {
                ring: [0; RING],
                head: 0,
                len: 0,
                policy: Overflow::Hold,
                held: false,
                reader: None,
                stream: None,
                posting: false,
            })),
            tx: Mutex::new(RefCell::new(Tx { writer: None })),
            seen: AtomicU32::new(0),
            stalled: AtomicBool::new(false),
        }
    }

    /// 8N1 at `baud` from `sysclk_hz`, FIFOs on, receive interrupts on.
    pub fn init(&self, sysclk_hz: u32, baud: u32) {
        let r = self.regs;
        r.write(CTL, 0);
        // Divisor in 1/64ths: sysclk / (16 * baud).
        let div64 = (sysclk_hz as u64 * 4 / baud as u64) as u32;
        r.write(IBRD, div64 >> 6);
        r.write(FBRD, div64 & 63);
        r.write(LCRH, 0x60 | 0x10); // 8 bits, FIFO enable
        r.write(IFLS, IFLS_HALF);
        r.write(ICR, 0x7FF);
        r.write(IM, INT_RX | INT_RT);
        r.write(CTL, 0x301); // UARTEN | TXE | RXE
    }

    /// Sets what happens to input when the ring is full (see [`Overflow`]).
    pub fn set_overflow(&'static self, policy: Overflow) {
        mask::driver(|cs| self.rx.borrow_ref_mut(cs).policy = policy);
        // Switching to Drop while held: drain again.
        self.resume();
    }

    /// Bytes read from the line since start, kept or dropped.
    pub fn seen(&self) -> u32 {
        self.seen.load(Ordering::Relaxed)
    }

    /// Bytes waiting in the ring.
    pub fn buffered(&self) -> usize {
        mask::driver(|cs| self.rx.borrow_ref(cs).len)
    }

    /// The UART interrupt.
    pub fn on_interrupt(&'static self) {
        let mis = self.regs.read(MIS);
        if mis & INT_RT != 0 {
            self.regs.write(ICR, INT_RT); // silicon only; RX is a level that reads clear
        }
        if mis & (INT_RX | INT_RT) != 0 {
            self.receive();
        }
        if mis & INT_TX != 0 {
            self.regs.write(ICR, INT_TX);
            self.pump_tx();
        }
    }

    /// The board's clock tick: a stream that waited for a pool block or a completion slot
    /// tries again (one load when nothing waits).
    pub fn on_tick(&'static self) {
        if self.stalled.swap(false, Ordering::AcqRel) {
            self.feed_stream();
        }
    }

    /// Moves the FIFO into the ring and serves the reader or the stream, a FIFO's worth per
    /// critical section.
    fn receive(&'static self) {
        for _ in 0..BATCHES_PER_IRQ {
            let (done, more) = mask::driver(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                let more = self.fill(&mut rx);
                let done = if rx.streaming() {
                    None
                } else {
                    self.serve(&mut rx)
                };
                (done, more)
            });
            if let Some((t, n)) = done {
                t.ok(n);
                self.next_reader();
            }
            self.feed_stream();
            if !more {
                return;
            }
        }
    }

    /// Reads up to a FIFO's worth of bytes into the ring; returns whether the FIFO may hold
    /// more that this policy would read now.
    fn fill(&self, rx: &mut Rx) -> bool {
        let r = self.regs;
        let mut dropped = 0;
        let mut more = true;
        for _ in 0..FIFO {
            if r.read(FR) & FR_RXFE != 0 {
                more = false;
                break;
            }
            if rx.len == RING && rx.policy == Overflow::Hold {
                // Hold the sender: leave the bytes in the FIFO, mask until there is room.
                rx.held = true;
                r.modify(IM, INT_RX | INT_RT, 0);
                more = false;
                break;
            }
            let d = r.read(DR);
            self.seen.fetch_add(1, Ordering::Relaxed);
            if d & DR_OE != 0 {
                dropped += 1; // the PL011 lost (at least) one byte before this one
            }
            if rx.len == RING {
                dropped += 1; // Overflow::Drop
                continue;
            }
            let i = (rx.head + rx.len) % RING;
            rx.ring[i] = d as u8;
            rx.len += 1;
        }
        if dropped > 0 {
            self.iodev.record_overrun(dropped);
        }
        more
    }

    /// The ring has room again: unmask a held receiver (its FIFO still holds bytes, so the
    /// interrupt comes at once).
    fn release(&self, rx: &mut Rx) {
        if rx.held && (rx.len < RING || rx.policy == Overflow::Drop) {
            rx.held = false;
            self.regs.modify(IM, 0, INT_RX | INT_RT);
        }
    }

    fn resume(&'static self) {
        mask::driver(|cs| self.release(&mut self.rx.borrow_ref_mut(cs)));
    }

    /// Takes up to `max` bytes from the ring into `out`; returns how many.
    fn take(&self, rx: &mut Rx, out: &mut [u8]) -> usize {
        let n = out.len().min(rx.len);
        for b in out.iter_mut().take(n) {
            *b = rx.ring[rx.head];
            rx.head = (rx.head + 1) % RING;
        }
        rx.len -= n;
        if n > 0 {
            self.release(rx);
        }
        n
    }

    /// Moves ring bytes into the stream's pool buffer and posts them as shots.
    fn feed_stream(&'static self) {
        loop {
            let ready = mask::driver(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                let rx = &mut *rx;
                let mut s = rx.stream.take()?;
                let n = match s.token.pool_buf() {
                    Ok(buf) => {
                        let pos = s.pos;
                        self.take(rx, &mut buf[pos..])
                    }
                    Err(_) => {
                        // No pool block free: the bytes wait in the ring; retry on the tick.
                        if rx.len > 0 {
                            self.stalled.store(true, Ordering::Release);
                        }
                        rx.stream = Some(s);
                        return None;
                    }
                };
                s.pos += n;
                if s.pos == 0 {
                    rx.stream = Some(s);
                    return None;
                }
                rx.posting = true;
                Some(s)
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
            // The completion side is full: keep the bytes, retry on the tick.
            Shot::Full(t) => {
                self.stalled.store(true, Ordering::Release);
                (
                    Some(Stream {
                        token: t,
                        pos: s.pos,
                    }),
                    false,
                )
            }
            Shot::Stopped => (None, false),
        };
        let stopped = keep.is_none();
        let done = mask::driver(|cs| {
            let mut rx = self.rx.borrow_ref_mut(cs);
            rx.stream = keep;
            rx.posting = false;
            // The stream ended: a plain reader parked behind it gets the ring now.
            if stopped {
                self.serve(&mut rx)
            } else {
                None
            }
        });
        if let Some((t, n)) = done {
            t.ok(n);
            self.next_reader();
        }
        rearmed
    }

    /// Copies ring bytes into the parked reader's buffer; returns it when served.
    fn serve(&self, rx: &mut Rx) -> Option<(Token, usize)> {
        if rx.len == 0 {
            return None;
        }
        let mut t = rx.reader.take()?;
        let n = match t.request() {
            Request::Read(buf) => {
                let max = buf.len().min(MAX_READ);
                self.take(rx, &mut buf[..max])
            }
            _ => 0,
        };
        Some((t, n))
    }

    /// Parks the next queued reader, serving it at once if bytes are waiting.
    fn next_reader(&'static self) {
        loop {
            let done = mask::driver(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                if rx.reader.is_some() {
                    return None;
                }
                let mut t = self.readers.pop()?;
                if !matches!(t.request(), Request::Read(b) if !b.is_empty()) {
                    return Some((t, Err(Error::NotSupported)));
                }
                rx.reader = Some(t);
                if rx.streaming() {
                    return None; // the stream takes the bytes while it runs
                }
                self.serve(&mut rx).map(|(t, n)| (t, Ok(n)))
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
            let done = mask::driver(|cs| {
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
                // At most a FIFO's worth per critical section.
                let end = n.min(*pos + FIFO);
                while *pos < end && self.regs.read(FR) & FR_TXFF == 0 {
                    self.regs.write(DR, data[*pos] as u32);
                    *pos += 1;
                }
                if *pos < n {
                    // The TX interrupt continues (QEMU raises it after every byte written).
                    return None;
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
            let busy = mask::driver(|cs| {
                let mut rx = self.rx.borrow_ref_mut(cs);
                if rx.streaming() {
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
        let s = mask::driver(|cs| {
            let mut rx = self.rx.borrow_ref_mut(cs);
            match &rx.stream {
                Some(s) if s.token.id() == op => {
                    rx.posting = true;
                    rx.stream.take()
                }
                // Out for a shot: that shot sees the cancel and ends the stream.
                _ => None,
            }
        });
        if let Some(s) = s {
            if s.pos == 0 {
                s.token.err(Error::Canceled); // nothing to deliver: just the final completion
                mask::driver(|cs| self.rx.borrow_ref_mut(cs).posting = false);
            } else {
                self.post(s);
            }
            // A plain reader parked behind the stream gets the ring now.
            let done = mask::driver(|cs| self.serve(&mut self.rx.borrow_ref_mut(cs)));
            if let Some((t, n)) = done {
                t.ok(n);
                self.next_reader();
            }
            return;
        }
        // A parked reader can be aborted (a LINK_TIMEOUT ends up here too).
        let t = mask::driver(|cs| {
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
