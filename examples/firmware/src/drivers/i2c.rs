//! Stellaris I2C master: one bus driver, one iodev per target address.
//!
//! An operation is a WRITE, TINY_WRITE or READ on a target, or a transaction of them
//! (S5: for example "write the register pointer, then read"). Every byte moved with RUN
//! raises the controller interrupt; the handler moves the next byte and completes the token
//! after the last one.
//!
//! Where QEMU's model differs from silicon (see the fact sheet, section 7):
//! - **No repeated START.** Between the members of a transaction the driver ends the first
//!   part with STOP and starts the next with a fresh START. On silicon (feature `silicon`)
//!   it issues a repeated START instead, as a write-then-read register access expects.
//!   The TMP105 and the AT24C accept both.
//! - **An address NACK raises no interrupt** (MCS reads ERROR|ARBLST at once). The driver
//!   therefore checks MCS right after each MCS write while BUSY is clear; on silicon BUSY is
//!   set at that point and the interrupt reports the error instead.
//! - Transfers complete before the MCS store returns; there is no bus timing.
#![forbid(unsafe_code)]

use crate::board;
use crate::mask::HandlerOnly;
use crate::mmio::Mmio;
use portable_atomic::{AtomicU32, Ordering};
use rtio::{Error, IodevApi, IodevQueue, OpId, Request, Token};

const MSA: usize = 0x00;
const MCS: usize = 0x04;
const MDR: usize = 0x08;
const MTPR: usize = 0x0C;
const MIMR: usize = 0x10;
const MRIS: usize = 0x14;
const MICR: usize = 0x1C;
const MCR: usize = 0x20;

// MCS as written.
const RUN: u32 = 0x01;
const START: u32 = 0x02;
const STOP: u32 = 0x04;
const ACK: u32 = 0x08;
// MCS as read.
const BUSY: u32 = 0x01;
const ERROR: u32 = 0x02;
const ADRACK: u32 = 0x04;
const DATACK: u32 = 0x08;
const ARBLST: u32 = 0x10;

/// Whether transaction members are joined by a repeated START (silicon) or STOP + START
/// (QEMU 7.2, which does not emulate repeated START).
const REPEATED_START: bool = cfg!(feature = "silicon");

/// One target on the bus: what an [`rtio::Iodev`] wraps.
pub struct I2cDevice {
    bus: &'static I2cBus,
    addr: u8,
    queue: IodevQueue,
}

impl core::fmt::Debug for I2cDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "I2cDevice({:#04x})", self.addr)
    }
}

impl I2cDevice {
    /// The target at 7-bit address `addr` on `bus`.
    pub const fn new(bus: &'static I2cBus, addr: u8) -> Self {
        I2cDevice {
            bus,
            addr,
            queue: IodevQueue::new(),
        }
    }
}

impl IodevApi for I2cDevice {
    fn submit(&'static self, token: Token) {
        self.queue.push(token);
        self.bus.kick();
    }
    fn cancel(&'static self, op: OpId) {
        // Queued: cancelled now. On the wire: the transfer is a few bytes; it completes.
        self.queue.cancel(op);
    }
}

/// Where the byte in flight goes when its interrupt arrives.
#[derive(Clone, Copy)]
enum Pending {
    Written,
    Read { member: usize, pos: usize },
}

struct Active {
    token: Token,
    addr: u8,
    members: usize,
    member: usize,
    pos: usize,
    total: usize,
    pending: Pending,
}

struct State {
    active: Option<Active>,
    next_dev: usize,
}

/// The controller and its targets.
pub struct I2cBus {
    regs: Mmio,
    devices: &'static [&'static I2cDevice],
    /// The transfer in progress: only the I2C interrupt handler touches it (every step runs
    /// there; `submit` pends the interrupt), so it needs no masking.
    state: HandlerOnly<State>,
    sysclk_hz: AtomicU32,
    irq: u32,
}

impl core::fmt::Debug for I2cBus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("I2cBus")
            .field("devices", &self.devices)
            .finish_non_exhaustive()
    }
}

enum Step {
    Wait,
    Done(Result<usize, Error>),
}

impl I2cBus {
    /// The controller at `regs`, interrupting on external line `irq`, serving `devices`.
    pub const fn new(regs: Mmio, irq: u32, devices: &'static [&'static I2cDevice]) -> Self {
        I2cBus {
            regs,
            devices,
            sysclk_hz: AtomicU32::new(0),
            state: HandlerOnly::new(
                irq as u8,
                State {
                    active: None,
                    next_dev: 0,
                },
            ),
            irq,
        }
    }

    /// Hands work to the interrupt handler, where every step of a transfer runs.
    fn kick(&self) {
        board::pend(self.irq);
    }

    /// Enables the master at `bus_hz` (SCL) from `sysclk_hz`.
    pub fn init(&self, sysclk_hz: u32, bus_hz: u32) {
        let r = self.regs;
        // MFE: master enable (QEMU ignores MCS writes without it).
        r.write(MCR, 0x10);
        self.sysclk_hz.store(sysclk_hz, Ordering::Relaxed);
        self.set_speed(bus_hz);
        r.write(MICR, 1);
        r.write(MIMR, 1); // QEMU: MIMR reads 1 after any write; mask in the NVIC instead
    }

    /// Bring-up and benchmark baseline, without rtio: writes `wr` then reads `rd` from
    /// `addr` by polling MCS (STOP between the parts, as QEMU needs), with the controller
    /// interrupt masked in the NVIC by the caller. Must not run while the bus has work.
    ///
    /// # Errors
    /// `Nack` or `Bus` as reported by MCS.
    pub fn polled_write_read(&self, addr: u8, wr: &[u8], rd: &mut [u8]) -> Result<(), Error> {
        let r = self.regs;
        let wait = || loop {
            let mcs = r.read(MCS);
            if mcs & BUSY == 0 {
                break mcs;
            }
        };
        r.write(MSA, (addr as u32) << 1);
        for (i, &b) in wr.iter().enumerate() {
            r.write(MDR, b as u32);
            let last = i + 1 == wr.len();
            r.write(
                MCS,
                RUN | if i == 0 { START } else { 0 } | if last { STOP } else { 0 },
            );
            let mcs = wait();
            if mcs & ERROR != 0 {
                return Err(self.error(mcs));
            }
        }
        r.write(MSA, (addr as u32) << 1 | 1);
        let n = rd.len();
        for (i, b) in rd.iter_mut().enumerate() {
            let last = i + 1 == n;
            r.write(
                MCS,
                RUN | if i == 0 { START } else { 0 } | if last { STOP } else { ACK },
            );
            let mcs = wait();
            if mcs & ERROR != 0 {
                return Err(self.error(mcs));
            }
            *b = r.read(MDR) as u8;
        }
        r.write(MICR, 1);
        Ok(())
    }

    /// SCL = SYSCLK / (20 * (TPR + 1)) (QEMU stores TPR only).
    fn set_speed(&self, bus_hz: u32) {
        let sysclk = self.sysclk_hz.load(Ordering::Relaxed);
        let tpr = (sysclk / (20 * bus_hz.max(1))).saturating_sub(1);
        self.regs.write(MTPR, tpr.min(0x7F));
    }

    /// The controller interrupt: a byte finished (MRIS), or work was handed over
    /// ([`I2cBus::kick`]).
    pub fn on_interrupt(&'static self) {
        let byte_done = self.regs.read(MRIS) & 1 != 0;
        self.run(byte_done);
    }

    /// Advances the bus (in the I2C interrupt only): after a byte interrupt, finishes the
    /// byte in flight; when idle, starts the next queued operation. Completions run outside
    /// the state's borrow, so a chained successor may submit to this bus again.
    fn run(&'static self, mut irq: bool) {
        loop {
            let done = self.state.with(|st| {
                if irq && st.active.is_none() {
                    // No byte in flight: a stale flag. Clear it; queued work may be waiting.
                    self.regs.write(MICR, 1);
                    irq = false;
                }
                let step = match (&mut st.active, irq) {
                    (Some(a), true) => {
                        self.regs.write(MICR, 1);
                        self.byte_done(a)
                    }
                    // Kicked while a transfer runs: its byte interrupts carry it on.
                    (Some(_), false) => return None,
                    (None, _) => {
                        let n = self.devices.len();
                        let mut found = None;
                        for k in 0..n {
                            let i = (st.next_dev + k) % n;
                            if let Some(t) = self.devices[i].queue.pop() {
                                st.next_dev = (i + 1) % n;
                                found = Some((t, self.devices[i].addr));
                                break;
                            }
                        }
                        let (token, addr) = found?;
                        let members = token.transaction_len();
                        let a = st.active.insert(Active {
                            token,
                            addr,
                            members,
                            member: 0,
                            pos: 0,
                            total: 0,
                            pending: Pending::Written,
                        });
                        self.issue(a)
                    }
                };
                match step {
                    Step::Wait => None,
                    Step::Done(r) => st.active.take().map(|a| (a.token, r)),
                }
            });
            match done {
                Some((token, r)) => {
                    token.complete(r);
                    irq = false; // go on with the next queued operation
                }
                None => return,
            }
        }
    }

    /// The interrupt of the byte in flight: check for errors, store read data, go on.
    fn byte_done(&self, a: &mut Active) -> Step {
        let mcs = self.regs.read(MCS);
        if mcs & ERROR != 0 {
            return Step::Done(Err(self.error(mcs)));
        }
        if let Pending::Read { member, pos } = a.pending {
            let b = self.regs.read(MDR) as u8;
            if let Some(Request::Read(buf)) = a.token.member(member) {
                buf[pos] = b;
            }
        }
        self.issue(a)
    }

    fn error(&self, mcs: u32) -> Error {
        // Silicon: the master must send STOP after a NACK. QEMU: the bus is already free.
        self.regs.write(MCS, STOP);
        if mcs & (ADRACK | DATACK) != 0 || mcs & ARBLST != 0 && !cfg!(feature = "silicon") {
            Error::Nack // QEMU reports a missing device as ERROR|ARBLST
        } else {
            Error::Bus
        }
    }

    /// Puts the next byte on the bus, or finishes the operation.
    fn issue(&self, a: &mut Active) -> Step {
        let r = self.regs;
        loop {
            if a.member == a.members {
                return Step::Done(Ok(a.total));
            }
            let last_member = a.member + 1 == a.members;
            let stop_after = last_member || !REPEATED_START;
            let (is_read, len, byte) = match a.token.member(a.member) {
                Some(Request::Write(d)) => (false, d.len(), d.get(a.pos).copied().unwrap_or(0)),
                Some(Request::Read(b)) => (true, b.len(), 0),
                Some(Request::I2cConfigure { hz }) => {
                    self.set_speed(hz); // between transfers: the bus is idle here
                    (false, 0, 0)
                }
                Some(Request::Nop) => (false, 0, 0),
                _ => return Step::Done(Err(Error::NotSupported)),
            };
            if len == 0 {
                a.member += 1;
                a.pos = 0;
                continue;
            }
            let first = a.pos == 0;
            let last = a.pos + 1 == len;
            let mut mcs = RUN;
            if first {
                r.write(MSA, (a.addr as u32) << 1 | is_read as u32);
                mcs |= START;
            }
            if last && stop_after {
                mcs |= STOP;
            }
            if is_read && !last {
                mcs |= ACK;
            }
            if !is_read {
                r.write(MDR, byte as u32);
            }
            a.pending = if is_read {
                Pending::Read {
                    member: a.member,
                    pos: a.pos,
                }
            } else {
                Pending::Written
            };
            a.pos += 1;
            if last {
                a.total += len;
                a.member += 1;
                a.pos = 0;
            }
            r.write(MCS, mcs);
            // QEMU finished the byte already; a NACK there raises no interrupt.
            let st = r.read(MCS);
            if st & BUSY == 0 && st & ERROR != 0 {
                return Step::Done(Err(self.error(st)));
            }
            return Step::Wait;
        }
    }
}
