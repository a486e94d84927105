//! PL022 SSI0 as a bus shared by two targets, the SSD0323 OLED and the SD card. PD0 picks
//! the target (high = OLED, low = card); PC7 is the OLED's D/C# line.
//!
//! The bus runs one *job* at a time (an OLED frame, an SD block, the SD init): a small state
//! machine that hands out the next byte to send and, for the bytes it marked, receives the
//! byte that came back. The TX interrupt drains RX, feeds the job and refills TX, keeping at
//! most 8 bytes in flight (the FIFO depth: QEMU drops writes beyond 8 unread RX + 8 TX).
//! Pin changes (select, D/C) wait until nothing is in flight.
//!
//! Every job step runs in the SSI interrupt handler: `submit` and `resume` only queue and
//! pend the interrupt. So the job's state lives in a [`HandlerOnly`] cell and the state
//! machine runs with interrupts enabled; the driver masks only around the AWAIT hand-over
//! (and the runtime around its queue operations).
//!
//! No DMA: QEMU's PL022 has none (DMACR only logs). On silicon with a uDMA (not on the
//! LM3S6965, but on its successors) the data phases of a job (the OLED frame, the 512 bytes
//! of a block) are the part to hand to DMA: the job would return one "bulk" step and the DMA
//! completion interrupt would resume it.
#![forbid(unsafe_code)]

use crate::board::{self, OLED_DC, SSI_SELECT};
use crate::drivers::{oled, sd};
use crate::mask::{self, HandlerOnly};
use crate::mmio::Mmio;
use portable_atomic::{AtomicBool, Ordering};
use rtio::{Error, IodevApi, IodevQueue, Op, OpId, Request, ResumeFn, Token};

const CR0: usize = 0x00;
const CR1: usize = 0x04;
const DR: usize = 0x08;
const SR: usize = 0x0C;
const CPSR: usize = 0x10;
const IM: usize = 0x14;

const SR_RNE: u32 = 1 << 2;
const IM_TX: u32 = 1 << 3;
const FIFO: u8 = 8;

/// What a job wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Send this byte; `keep` = pass the byte that comes back to the job (`sd::Job::rx`).
    Send(u8, bool),
    /// Send bytes `from..to` of transaction member `member` (a WRITE), ignoring what comes
    /// back; the bus reports how many went out (`sent`). This is the step a DMA
    /// channel would take over on silicon.
    Bulk {
        /// Transaction member holding the data.
        member: usize,
        /// First byte to send.
        from: usize,
        /// End of the run.
        to: usize,
    },
    /// Nothing to send until the bytes in flight came back.
    Wait,
    /// Drive PD0 (true = OLED) once nothing is in flight.
    Select(bool),
    /// Drive the OLED D/C# line once nothing is in flight.
    Dc(bool),
    /// Finished, once nothing is in flight.
    Done(Result<usize, Error>),
}

/// A transfer on the bus.
pub enum Job {
    /// An OLED write.
    Oled(oled::Job),
    /// An SD card command sequence.
    Sd(sd::Job),
}

impl Job {
    fn next(&mut self, t: &mut Token, idle: bool) -> Next {
        match self {
            Job::Oled(j) => j.next(t, idle),
            Job::Sd(j) => j.next(t, idle),
        }
    }
    fn sent(&mut self, n: usize) {
        match self {
            Job::Oled(j) => j.sent(n),
            Job::Sd(j) => j.sent(n),
        }
    }
    fn rx(&mut self, t: &mut Token, b: u8) {
        match self {
            Job::Oled(_) => {}
            Job::Sd(j) => j.rx(t, b),
        }
    }
}

/// Which target a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The SSD0323 display (PD0 high).
    Oled,
    /// The SD card (PD0 low).
    Sd,
}

impl Target {
    /// The target behind devicetree chip select `cs`: 0 = PD0 high (OLED), 1 = PD0 low (card).
    pub const fn from_chip_select(cs: u8) -> Target {
        match cs {
            0 => Target::Oled,
            _ => Target::Sd,
        }
    }
}

struct Active {
    token: Token,
    job: Job,
}

struct State {
    active: Option<Active>,
    inflight: u8,
    /// Keep flags of the bytes in flight, oldest in bit 0.
    keep: u8,
    pending_pin: Option<Next>,
    turn: bool,
}

/// The SSI0 controller and its two targets.
pub struct SsiBus {
    regs: Mmio,
    resume: ResumeFn,
    oled_q: IodevQueue,
    sd_q: IodevQueue,
    /// The SD card's state that outlives a job (initialized, addressing mode).
    pub card: sd::Card,
    /// The job and the bytes in flight: only the SSI interrupt handler touches them, so the
    /// job's state machine runs with interrupts enabled.
    state: HandlerOnly<State>,
    /// An AWAIT holds the bus (S15): no job starts until it is signalled.
    held: AtomicBool,
    irq: u32,
}

impl core::fmt::Debug for SsiBus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SsiBus").finish_non_exhaustive()
    }
}

/// One target of the bus: what an [`rtio::Iodev`] wraps.
#[derive(Debug)]
pub struct SsiDevice {
    bus: &'static SsiBus,
    target: Target,
}

impl SsiDevice {
    /// `target` on `bus`.
    pub const fn new(bus: &'static SsiBus, target: Target) -> Self {
        SsiDevice { bus, target }
    }
}

impl IodevApi for SsiDevice {
    fn submit(&'static self, token: Token) {
        match self.target {
            Target::Oled => self.bus.oled_q.push(token),
            Target::Sd => self.bus.sd_q.push(token),
        }
        self.bus.kick();
    }
    fn cancel(&'static self, op: OpId) {
        match self.target {
            Target::Oled => self.bus.oled_q.cancel(op),
            Target::Sd => self.bus.sd_q.cancel(op),
        };
    }
}

impl SsiBus {
    /// The controller at `regs`, interrupting on external line `irq`.
    ///
    /// `resume` must call [`SsiBus::resume`] on this bus: it is how a parked AWAIT comes
    /// back (a plain `fn`, so the board passes a function naming its static).
    pub const fn new(regs: Mmio, irq: u32, resume: ResumeFn) -> Self {
        SsiBus {
            regs,
            resume,
            oled_q: IodevQueue::new(),
            sd_q: IodevQueue::new(),
            card: sd::Card::new(),
            state: HandlerOnly::new(
                irq as u8,
                State {
                    active: None,
                    inflight: 0,
                    keep: 0,
                    pending_pin: None,
                    turn: false,
                },
            ),
            held: AtomicBool::new(false),
            irq,
        }
    }

    /// Hands work to the interrupt handler: every job step runs there.
    fn kick(&self) {
        board::pend(self.irq);
    }

    /// SPI mode 0, 8-bit frames, master; the OLED selected and in command mode.
    pub fn init(&self, sysclk_hz: u32, spi_hz: u32) {
        let r = self.regs;
        r.write(CR1, 0);
        // SCK = SYSCLK / (CPSDVSR * (1 + SCR)); QEMU ignores both.
        let div = (sysclk_hz / spi_hz.max(1)).clamp(2, 254) & !1;
        r.write(CPSR, div);
        r.write(CR0, 0x07); // DSS = 8 bits, SPO = SPH = 0
        r.write(IM, 0);
        r.write(CR1, 1 << 1); // SSE
        while r.read(SR) & SR_RNE != 0 {
            let _ = r.read(DR);
        }
        // Reset trap (fact sheet 6): drive PD0 high before it is ever driven low.
        SSI_SELECT.output();
        SSI_SELECT.set(true);
        OLED_DC.output();
        OLED_DC.set(false);
    }

    /// Called (through the board's resume function) when a parked AWAIT is signalled or
    /// cancelled: completes it and lets the queued jobs run.
    pub fn resume(&'static self, token: Token) {
        self.held.store(false, Ordering::Release);
        token.finish_await();
        self.kick();
    }

    /// The SSI interrupt.
    pub fn on_interrupt(&'static self) {
        self.run();
    }

    fn start_job(&'static self, st: &mut State) -> Option<(Token, Result<usize, Error>)> {
        let order = if st.turn {
            [Target::Sd, Target::Oled]
        } else {
            [Target::Oled, Target::Sd]
        };
        let (mut token, target) = order.into_iter().find_map(|t| {
            let q = match t {
                Target::Oled => &self.oled_q,
                Target::Sd => &self.sd_q,
            };
            q.pop().map(|tok| (tok, t))
        })?;
        st.turn = target == Target::Oled; // the other target goes first next time
        if token.op() == Op::Await {
            // S15: hold the bus (and so both targets) until the AWAIT is signalled. Masked, so
            // that a cancel cannot slip in between the check and `await_signal` (which returns
            // None both when it parked the token and when a cancel that came first completed
            // it).
            return mask::driver(|_| {
                if token.is_canceled() {
                    return Some((token, Err(Error::Canceled)));
                }
                // Held before parking: `resume` may run as soon as the token is parked.
                self.held.store(true, Ordering::Release);
                match token.await_signal(self.resume) {
                    Some(t) => {
                        self.held.store(false, Ordering::Release);
                        Some((t, Ok(0))) // the signal came first
                    }
                    None => None,
                }
            });
        }
        let job = match target {
            Target::Oled => oled::Job::new(&mut token).map(Job::Oled),
            Target::Sd => sd::Job::new(&mut token, &self.card).map(Job::Sd),
        };
        let job = match job {
            Ok(j) => j,
            Err(e) => return Some((token, Err(e))),
        };
        match target {
            Target::Oled => SSI_SELECT.set(true),
            Target::Sd => {
                OLED_DC.set(false); // filler bytes reach the OLED as ignored commands
                SSI_SELECT.set(false);
            }
        }
        st.active = Some(Active { token, job });
        None
    }

    /// Drains RX into the job, refills TX, finishes the job; loops over completions.
    fn run(&'static self) {
        loop {
            let done = self.state.with(|st| {
                let r = self.regs;
                // Bytes that came back.
                while r.read(SR) & SR_RNE != 0 && st.inflight > 0 {
                    let b = r.read(DR) as u8;
                    let keep = st.keep & 1 != 0;
                    st.keep >>= 1;
                    st.inflight -= 1;
                    if let (true, Some(a)) = (keep, st.active.as_mut()) {
                        a.job.rx(&mut a.token, b);
                    }
                }
                if st.active.is_none() && self.held.load(Ordering::Acquire) {
                    r.modify(IM, IM_TX, 0);
                    return None;
                }
                if st.active.is_none() {
                    if let Some(done) = self.start_job(st) {
                        return Some(done);
                    }
                    if st.active.is_none() {
                        r.modify(IM, IM_TX, 0);
                        return None;
                    }
                }
                if let Some(p) = st.pending_pin {
                    if st.inflight > 0 {
                        return None;
                    }
                    apply_pin(p);
                    st.pending_pin = None;
                }
                let a = st.active.as_mut()?;
                while st.inflight < FIFO {
                    match a.job.next(&mut a.token, st.inflight == 0) {
                        Next::Send(b, keep) => {
                            st.keep |= (keep as u8) << st.inflight;
                            st.inflight += 1;
                            r.write(DR, b as u32);
                        }
                        Next::Bulk { member, from, to } => {
                            let room = (FIFO - st.inflight) as usize;
                            let n = match a.token.member(member) {
                                Some(Request::Write(d)) => {
                                    let end = to.min(d.len()).min(from + room);
                                    for &b in &d[from.min(end)..end] {
                                        r.write(DR, b as u32);
                                    }
                                    end.saturating_sub(from)
                                }
                                _ => 0,
                            };
                            st.inflight += n as u8; // replies ignored: keep bits stay 0
                            a.job.sent(n);
                            if n == 0 {
                                break;
                            }
                        }
                        Next::Wait => break,
                        p @ (Next::Select(_) | Next::Dc(_)) => {
                            if st.inflight > 0 {
                                st.pending_pin = Some(p);
                                break;
                            }
                            apply_pin(p);
                        }
                        Next::Done(res) => {
                            if st.inflight == 0 {
                                let a = st.active.take()?;
                                return Some((a.token, res));
                            }
                            // Finish once the last bytes are back: the job says Done again.
                            break;
                        }
                    }
                }
                // More to do once the FIFO moves: the TX interrupt brings us back.
                r.modify(IM, 0, IM_TX);
                None
            });
            match done {
                Some((t, res)) => t.complete(res),
                None => return,
            }
        }
    }
}

fn apply_pin(p: Next) {
    match p {
        Next::Select(oled) => SSI_SELECT.set(oled),
        Next::Dc(data) => OLED_DC.set(data),
        _ => {}
    }
}
