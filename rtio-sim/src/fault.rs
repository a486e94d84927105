//! Scripted fault injection, shared by every simulated device.

use rtio::Duration;
use std::collections::VecDeque;
use std::sync::Mutex;

/// A fault a simulated device can be told to produce (see [`Faults`]).
///
/// ```
/// use rtio_sim::{Bus, Fault, Tmp105};
/// use rtio::{Error, Rtio, Storage};
/// static STORAGE: Storage<2, 2> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
/// let tmp = Bus::i2c("fault-doc", 400_000).attach_i2c(0x48, Tmp105::new(20.0));
/// tmp.faults().next(Fault::Nack);
/// let ctx = RTIO.claim().unwrap();
/// let [c] = ctx.acquire()?.tiny_write(tmp.dev(), &[0]).wait()?;
/// assert_eq!(c.result(), Err(Error::Nack));
/// # Ok::<(), rtio::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The target does not acknowledge: the transfer fails with [`rtio::Error::Nack`].
    Nack,
    /// A bus-level fault (arbitration lost, framing): [`rtio::Error::Bus`].
    Bus,
    /// The device never answers: the transfer stays in flight until it is cancelled (for
    /// example by a LINK_TIMEOUT), then completes with `Canceled`/`TimedOut`.
    Hang,
    /// The device's FIFO overflows now: buffered data is dropped and counted as overrun
    /// ([`rtio::Iodev::overruns`]); bus devices fail the transfer with
    /// [`rtio::Error::Overrun`].
    Overrun,
    /// Bytes read are corrupted: each is XORed with the mask.
    Corrupt(u8),
    /// The transfer takes this much longer than the bus speed implies.
    Stall(Duration),
}

/// A per-device fault script: which transfer gets which fault.
///
/// Transfers are numbered from 0 in the order the device starts them. A fault is scheduled
/// for "the next transfer", for transfer number `n`, or for every transfer until cleared.
///
/// ```
/// use rtio_sim::{Fault, Faults};
/// let f = Faults::new();
/// f.next(Fault::Nack); // the next transfer is NACKed
/// f.at(f.transfers() + 3, Fault::Corrupt(0xFF)); // the fourth one from now is corrupted
/// assert_eq!(f.take(), Some(Fault::Nack));
/// assert_eq!(f.take(), None);
/// ```
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<Script>,
}

#[derive(Debug, Default)]
struct Script {
    count: u64,
    scheduled: VecDeque<(u64, Fault)>,
    always: Option<Fault>,
}

impl Faults {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next transfer gets `fault` (after any already scheduled for "next").
    pub fn next(&self, fault: Fault) {
        let mut s = self.lock();
        let at = s
            .scheduled
            .iter()
            .map(|&(n, _)| n + 1)
            .max()
            .unwrap_or(0)
            .max(s.count);
        s.scheduled.push_back((at, fault));
    }

    /// Transfer number `n` (see [`Faults::transfers`]) gets `fault`.
    pub fn at(&self, n: u64, fault: Fault) {
        let mut s = self.lock();
        s.scheduled.push_back((n, fault));
    }

    /// Every transfer gets `fault` until [`Faults::clear`].
    pub fn always(&self, fault: Fault) {
        self.lock().always = Some(fault);
    }

    /// Removes every scheduled and permanent fault.
    pub fn clear(&self) {
        let mut s = self.lock();
        s.scheduled.clear();
        s.always = None;
    }

    /// Number of transfers started so far.
    pub fn transfers(&self) -> u64 {
        self.lock().count
    }

    /// The fault the next [`Faults::take`] would return, without starting a transfer.
    pub fn peek(&self) -> Option<Fault> {
        let s = self.lock();
        let n = s.count;
        s.scheduled
            .iter()
            .find(|&&(at, _)| at == n)
            .map(|&(_, f)| f)
            .or(s.always)
    }

    /// Starts a transfer: counts it and returns the fault it gets, if any. Devices call this
    /// once per transfer (a whole transaction is one transfer).
    pub fn take(&self) -> Option<Fault> {
        let mut s = self.lock();
        let n = s.count;
        s.count += 1;
        let pos = s.scheduled.iter().position(|&(at, _)| at == n);
        match pos {
            Some(p) => s.scheduled.remove(p).map(|(_, f)| f),
            None => s.always,
        }
    }
}
