//! SD card in SPI mode, on SSI0 behind PD0.
//!
//! Operations on the card iodev:
//! - SPI_CONFIGURE: (re)initializes the card: CMD0, CMD8, CMD55+ACMD41 until ready, CMD58
//!   (addressing mode), CMD16(512).
//! - a transaction [TINY_WRITE of the 4-byte big-endian block number, WRITE of 512 bytes]:
//!   CMD24, one block written.
//! - a transaction [TINY_WRITE of the block number, READ of 512 bytes]: CMD17.
//!
//! Every command starts by clocking 0xFF until the card answers 0xFF ("wait ready"). QEMU's
//! card needs one more clocked byte after each response before it takes a new command, and
//! this also covers the busy period a real card shows after a write.
#![forbid(unsafe_code)]

use crate::drivers::ssi::Next;
use portable_atomic::{AtomicBool, Ordering};
use rtio::{Error, Op, Request, Token};

/// Block size.
pub const BLOCK: usize = 512;

/// What survives between jobs.
#[derive(Debug)]
pub struct Card {
    ready: AtomicBool,
    block_addressing: AtomicBool,
}

impl Card {
    /// Not initialized.
    pub const fn new() -> Self {
        Card {
            ready: AtomicBool::new(false),
            block_addressing: AtomicBool::new(false),
        }
    }
}

impl Default for Card {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Init,
    Read,
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Init: PD0 high, 10 x 0xFF (at least 74 clocks with the card deselected).
    PowerUp(u8),
    /// Init: select the card after the power-up clocks.
    SelectCard,
    /// Clock 0xFF until the card returns 0xFF.
    WaitReady,
    /// Command byte i of 6.
    Cmd(u8),
    /// Poll for R1.
    R1,
    /// Extra response bytes (R3/R7).
    Extra(u8),
    /// The command finished: decide what comes next.
    CmdDone,
    /// Write: one gap byte, then the start token.
    WriteGap,
    WriteToken,
    WriteData,
    WriteCrc(u8),
    DataResponse,
    /// Read: poll for the start token 0xFE.
    ReadToken,
    ReadData,
    ReadCrc(u8),
    Finished(Result<usize, Error>),
}

/// An SD command sequence in progress.
#[derive(Debug)]
pub struct Job {
    kind: Kind,
    phase: Phase,
    /// Init step (which command), or 0.
    step: u8,
    cmd: [u8; 6],
    extra_len: u8,
    extra: [u8; 4],
    extra_rx: u8,
    r1: u8,
    /// Polls of the current phase (wait ready, R1, tokens).
    tries: u16,
    /// Init: ACMD41 rounds that still reported "idle".
    acmd41_tries: u16,
    sent: u16,
    received: u16,
    /// Receiving data bytes (read data phase).
    data_rx: bool,
    waiting: bool,
    block_addressing: bool,
    card: &'static Card,
}

const CMD17: u8 = 17;
const CMD24: u8 = 24;

fn cmd(index: u8, arg: u32, crc: u8) -> [u8; 6] {
    let a = arg.to_be_bytes();
    [0x40 | index, a[0], a[1], a[2], a[3], crc]
}

impl Job {
    /// Checks the operation's shape (see the module docs) and plans the commands.
    ///
    /// # Errors
    /// `NotSupported` for other shapes, `InvalidArgument` for a wrong block size,
    /// `Device(0)` when the card was not initialized.
    pub fn new(t: &mut Token, card: &'static Card) -> Result<Job, Error> {
        let mut j = Job {
            kind: Kind::Init,
            phase: Phase::PowerUp(0),
            step: 0,
            cmd: [0; 6],
            extra_len: 0,
            extra: [0; 4],
            extra_rx: 0,
            r1: 0xFF,
            tries: 0,
            acmd41_tries: 0,
            sent: 0,
            received: 0,
            data_rx: false,
            waiting: false,
            block_addressing: card.block_addressing.load(Ordering::Acquire),
            card,
        };
        if t.op() == Op::SpiConfigure {
            card.ready.store(false, Ordering::Release);
            return Ok(j);
        }
        if t.transaction_len() != 2 {
            return Err(Error::NotSupported);
        }
        let lba = match t.member(0) {
            Some(Request::Write(d)) if d.len() == 4 => u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
            _ => return Err(Error::InvalidArgument),
        };
        j.kind = match t.member(1) {
            Some(Request::Write(d)) if d.len() == BLOCK => Kind::Write,
            Some(Request::Read(b)) if b.len() == BLOCK => Kind::Read,
            _ => return Err(Error::InvalidArgument),
        };
        if !card.ready.load(Ordering::Acquire) {
            return Err(Error::Device(0));
        }
        let arg = if j.block_addressing {
            lba
        } else {
            lba.wrapping_mul(BLOCK as u32)
        };
        j.cmd = cmd(if j.kind == Kind::Write { CMD24 } else { CMD17 }, arg, 0xFF);
        j.phase = Phase::WaitReady;
        Ok(j)
    }

    fn start_cmd(&mut self, index: u8, arg: u32, crc: u8, extra: u8) {
        self.cmd = cmd(index, arg, crc);
        self.extra_len = extra;
        self.extra_rx = 0;
        self.tries = 0;
        self.phase = Phase::WaitReady;
    }

    fn fail(&mut self, e: Error) -> Next {
        self.phase = Phase::Finished(Err(e));
        Next::Done(Err(e))
    }

    /// Init: the command that follows a finished one.
    fn init_step(&mut self) -> Next {
        let r1 = self.r1;
        let (next_step, ok) = match self.step {
            0 => (1, r1 == 0x01),                               // CMD0 -> idle
            1 => (2, r1 & !0x01 == 0 && self.extra[3] == 0xAA), // CMD8 echo
            2 => (3, r1 & !0x01 == 0),                          // CMD55
            3 if r1 == 0x01 => {
                // ACMD41 says "still idle": ask again.
                self.acmd41_tries += 1;
                if self.acmd41_tries > 200 {
                    return self.fail(Error::TimedOut);
                }
                (2, true)
            }
            3 => (4, r1 == 0),
            4 => {
                // CMD58: QEMU's R1 reads 0x01 here; only the OCR matters.
                self.block_addressing = self.extra[0] & 0x40 != 0;
                (5, true)
            }
            5 => (6, r1 == 0), // CMD16
            _ => (6, true),
        };
        if !ok {
            return self.fail(Error::Device(r1));
        }
        self.step = next_step;
        match next_step {
            1 => self.start_cmd(8, 0x1AA, 0x87, 4),
            2 => self.start_cmd(55, 0, 0x65, 0),
            3 => self.start_cmd(41, 0x4000_0000, 0x77, 0),
            4 => self.start_cmd(58, 0, 0xFD, 4),
            5 => self.start_cmd(16, BLOCK as u32, 0x15, 0),
            _ => {
                self.card
                    .block_addressing
                    .store(self.block_addressing, Ordering::Release);
                self.card.ready.store(true, Ordering::Release);
                self.phase = Phase::Finished(Ok(0));
                return Next::Done(Ok(0));
            }
        }
        Next::Wait
    }

    /// `n` bytes of the current bulk step went out.
    pub fn sent(&mut self, n: usize) {
        self.sent += n as u16;
    }

    /// The next step. (`t` is unused today: data phases are bulk steps the bus runs; the
    /// signature matches the other jobs.)
    #[allow(clippy::only_used_in_recursion)]
    pub fn next(&mut self, t: &mut Token, idle: bool) -> Next {
        // Polling phases send one byte and wait for it to come back.
        if self.waiting {
            return Next::Wait;
        }
        match self.phase {
            Phase::PowerUp(0) => {
                self.phase = Phase::PowerUp(1);
                Next::Select(true) // the card is deselected during the clocks (PD0 high)
            }
            Phase::PowerUp(n) if n <= 10 => {
                self.phase = Phase::PowerUp(n + 1);
                Next::Send(0xFF, false)
            }
            Phase::PowerUp(_) => {
                self.phase = Phase::SelectCard;
                self.next(t, idle)
            }
            Phase::SelectCard => {
                self.start_cmd(0, 0, 0x95, 0);
                Next::Select(false) // applied once the clocks are out
            }
            Phase::WaitReady | Phase::R1 | Phase::DataResponse | Phase::ReadToken => {
                self.waiting = true;
                Next::Send(0xFF, true)
            }
            Phase::Cmd(i) => {
                self.phase = if i == 5 { Phase::R1 } else { Phase::Cmd(i + 1) };
                self.tries = 0; // R1 polls start counting after the command
                Next::Send(self.cmd[i as usize], false)
            }
            Phase::Extra(i) => {
                if i < self.extra_len {
                    self.phase = Phase::Extra(i + 1);
                    Next::Send(0xFF, true)
                } else if idle {
                    self.phase = Phase::CmdDone;
                    self.next(t, idle)
                } else {
                    Next::Wait
                }
            }
            Phase::CmdDone => match self.kind {
                Kind::Init => {
                    let n = self.init_step();
                    if n == Next::Wait {
                        self.next(t, idle)
                    } else {
                        n
                    }
                }
                Kind::Write => {
                    if self.r1 != 0 {
                        return self.fail(Error::Device(self.r1));
                    }
                    self.phase = Phase::WriteGap;
                    self.next(t, idle)
                }
                Kind::Read => {
                    if self.r1 != 0 {
                        return self.fail(Error::Device(self.r1));
                    }
                    self.tries = 0;
                    self.phase = Phase::ReadToken;
                    self.next(t, idle)
                }
            },
            Phase::WriteGap => {
                self.phase = Phase::WriteToken;
                Next::Send(0xFF, false)
            }
            Phase::WriteToken => {
                self.phase = Phase::WriteData;
                self.sent = 0;
                Next::Send(0xFE, false)
            }
            Phase::WriteData => {
                if self.sent as usize == BLOCK {
                    self.phase = Phase::WriteCrc(0);
                    return self.next(t, idle);
                }
                Next::Bulk {
                    member: 1,
                    from: self.sent as usize,
                    to: BLOCK,
                }
            }
            Phase::WriteCrc(i) => {
                self.phase = if i == 1 {
                    self.tries = 0;
                    Phase::DataResponse
                } else {
                    Phase::WriteCrc(1)
                };
                Next::Send(0xFF, false)
            }
            Phase::ReadData => {
                if self.sent as usize == BLOCK {
                    self.phase = Phase::ReadCrc(0);
                    return self.next(t, idle);
                }
                self.sent += 1;
                Next::Send(0xFF, true)
            }
            Phase::ReadCrc(i) => {
                if i < 2 {
                    self.phase = Phase::ReadCrc(i + 1);
                    Next::Send(0xFF, false)
                } else if idle && self.received as usize == BLOCK {
                    self.phase = Phase::Finished(Ok(BLOCK));
                    Next::Done(Ok(BLOCK))
                } else {
                    Next::Wait
                }
            }
            Phase::Finished(r) => Next::Done(r),
        }
    }

    /// A byte came back for a byte sent with `keep`.
    pub fn rx(&mut self, t: &mut Token, b: u8) {
        if self.data_rx {
            if let Some(Request::Read(buf)) = t.member(1) {
                buf[self.received as usize] = b;
            }
            self.received += 1;
            if self.received as usize == BLOCK {
                self.data_rx = false;
            }
            return;
        }
        self.waiting = false;
        match self.phase {
            Phase::WaitReady => {
                if b == 0xFF {
                    self.phase = Phase::Cmd(0);
                } else {
                    self.retry(5000);
                }
            }
            Phase::R1 => {
                if b & 0x80 == 0 {
                    self.r1 = b;
                    self.phase = Phase::Extra(0);
                } else {
                    self.retry(16);
                }
            }
            Phase::Extra(_) | Phase::CmdDone => {
                if let Some(e) = self.extra.get_mut(self.extra_rx as usize) {
                    *e = b;
                }
                self.extra_rx += 1;
            }
            Phase::DataResponse => {
                if b == 0xFF {
                    self.retry(16);
                } else if b & 0x1F == 0x05 {
                    // Accepted. The next command's wait-ready covers the busy period.
                    self.phase = Phase::Finished(Ok(BLOCK));
                } else {
                    self.phase = Phase::Finished(Err(Error::Device(b)));
                }
            }
            Phase::ReadToken => {
                if b == 0xFE {
                    self.phase = Phase::ReadData;
                    self.sent = 0;
                    self.received = 0;
                    self.data_rx = true;
                } else if b != 0xFF {
                    self.phase = Phase::Finished(Err(Error::Device(b)));
                } else {
                    self.retry(5000);
                }
            }
            _ => {}
        }
    }

    fn retry(&mut self, limit: u16) {
        self.tries += 1;
        if self.tries > limit {
            self.phase = Phase::Finished(Err(Error::TimedOut));
        }
    }
}
