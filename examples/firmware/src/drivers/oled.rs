//! SSD0323 OLED (128 x 64, 4-bit grey, two pixels per byte) on SSI0.
//!
//! A WRITE sends display data (D/C# high). A transaction of two writes sends the first as
//! commands (D/C# low), typically the column and row window, and the second as data: one
//! frame update is then one operation. QEMU's model needs no init sequence.
#![forbid(unsafe_code)]

use crate::drivers::ssi::Next;
use rtio::{Error, Request, Token};

/// Width in pixels.
pub const WIDTH: usize = 128;
/// Height in pixels.
pub const HEIGHT: usize = 64;
/// Bytes in one full frame.
pub const FRAME_BYTES: usize = WIDTH * HEIGHT / 2;
/// Commands that set the full-screen window: columns 0..63 (byte columns), rows 0..63.
pub const FULL_WINDOW: [u8; 6] = [0x15, 0, 63, 0x75, 0, 63];

/// An OLED write in progress.
#[derive(Debug)]
pub struct Job {
    members: usize,
    /// Index of the first data member: 0 for a plain write, 1 after a command member.
    data_from: usize,
    member: usize,
    pos: usize,
    dc_set: bool,
    total: usize,
}

impl Job {
    /// Checks the operation's shape: a WRITE, or a transaction [commands, data].
    ///
    /// # Errors
    /// `NotSupported` for anything else.
    pub fn new(t: &mut Token) -> Result<Job, Error> {
        let members = t.transaction_len();
        if members > 2 {
            return Err(Error::NotSupported);
        }
        for i in 0..members {
            if !matches!(t.member(i), Some(Request::Write(_))) {
                return Err(Error::NotSupported);
            }
        }
        Ok(Job {
            members,
            data_from: members - 1,
            member: 0,
            pos: 0,
            dc_set: false,
            total: 0,
        })
    }

    /// `n` bytes of the current bulk step went out.
    pub fn sent(&mut self, n: usize) {
        self.pos += n;
    }

    /// The next step.
    pub fn next(&mut self, t: &mut Token, _idle: bool) -> Next {
        loop {
            if self.member == self.members {
                return Next::Done(Ok(self.total));
            }
            if !self.dc_set {
                self.dc_set = true;
                return Next::Dc(self.member >= self.data_from);
            }
            let Some(Request::Write(d)) = t.member(self.member) else {
                return Next::Done(Err(Error::NotSupported));
            };
            if self.pos < d.len() {
                return Next::Bulk {
                    member: self.member,
                    from: self.pos,
                    to: d.len(),
                };
            }
            self.total += d.len();
            self.member += 1;
            self.pos = 0;
            self.dc_set = false;
        }
    }
}
