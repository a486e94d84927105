//! The simulated bus engine: one "interrupt" thread per bus serves every device on it.
//!
//! ```text
//!  owner thread            bus thread ("interrupt")
//!  submit ──► Device::submit ──► bus queue (priority, FIFO) ──► pop ──► wait for the
//!                                                                     transfer time
//!  consume ◄── completion ◄──────────────────── Token::complete ◄──── run the target model
//! ```
//!
//! A transfer occupies the bus for the time its bytes take at the bus clock (I2C: 9 bits a
//! byte plus START/address/STOP; SPI: 8 bits a byte plus a chip-select setup time), so a
//! caller that does not block really gets its CPU back. A whole transaction is one bus
//! transfer (S5): one START and one STOP on I2C, chip select held on SPI. An AWAIT aimed at a
//! device holds its whole bus until it is signalled or cancelled (S15). A transfer that is
//! cancelled while on the bus completes `Canceled`; as on hardware, bytes it already moved
//! stay moved.

use crate::fault::{Fault, Faults};
use rtio::Error;
use rtio::{Iodev, IodevApi, IodevQueue, OpId, Request, Token};
use std::boxed::Box;
use std::string::String;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec::Vec;

/// Which protocol a bus speaks: it decides transfer timing and transaction framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// I2C: 9 bits per byte, START + address per direction change, one STOP.
    I2c,
    /// SPI: 8 bits per byte, chip select held for the whole transaction.
    Spi,
}

/// What a device on a simulated bus runs when the bus reaches one of its transfers.
pub(crate) trait BusClient: Sync {
    /// Executes the transfer (all members of the transaction) against the device model.
    fn execute(&'static self, token: &mut Token, fault: Option<Fault>) -> Result<usize, Error>;
    /// The device's fault script.
    fn faults(&self) -> &Faults;
    /// The device's bus identity: I2C address or SPI chip select.
    fn bus_id(&self) -> u8;
}

/// One transfer as the bus saw it: what [`Bus::trace`] records, for tests that assert the
/// exact order of events on a bus. An AWAIT that held the bus (S15) appears as a transfer of
/// 0 bytes spanning the hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    /// The device: its I2C address or SPI chip select.
    pub device: u8,
    /// Entries in the transfer (1, or the members of a transaction).
    pub entries: usize,
    /// Bytes the transfer moved (the larger side of a full-duplex transfer).
    pub bytes: usize,
    /// Nanoseconds the controller waited inside the transfer with the bus held (the
    /// transaction's `DelayNs` members), part of its time.
    pub delay_ns: u64,
    /// Priority of the (head) entry.
    pub priority: rtio::Priority,
    /// The scripted fault it got, if any.
    pub fault: Option<Fault>,
    /// Its result (the head entry's).
    pub result: Result<usize, Error>,
    /// When it started, µs since the bus was created.
    pub start_us: u64,
    /// When it ended (completed, failed or was aborted), µs since the bus was created.
    pub end_us: u64,
}

struct Pending {
    id: OpId,
    client: &'static dyn BusClient,
}

struct State {
    owners: Vec<Pending>,
    /// Set by a cancel hook for the transfer in progress.
    abort: Option<OpId>,
    current: Option<OpId>,
    /// An AWAIT holding the bus until it is signalled (S15).
    held_by: Option<OpId>,
}

/// Buses held by a parked AWAIT, so that its resume function finds the bus to release.
static HELD: Mutex<Vec<(OpId, &'static Bus)>> = Mutex::new(Vec::new());

/// Resumes a parked AWAIT (signalled or cancelled): completes it and releases its bus.
fn resume_await(t: Token) {
    let id = t.id();
    let bus = {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        let pos = held.iter().position(|(op, _)| *op == id);
        pos.map(|p| held.swap_remove(p).1)
    };
    t.finish_await();
    if let Some(bus) = bus {
        bus.lock().held_by = None;
        bus.cv.notify_all();
    }
}

/// A simulated bus: its clock, its queue and its interrupt thread.
///
/// Buses and devices live for the rest of the program (they are leaked on creation), as
/// hardware does; create them once per test or example.
///
/// ```
/// use rtio_sim::{Bus, Tmp105};
/// let i2c = Bus::i2c("i2c0", 400_000);
/// let tmp = i2c.attach_i2c(0x48, Tmp105::new(21.5));
/// assert_eq!(tmp.address(), 0x48);
/// assert_eq!(i2c.hz(), 400_000);
/// ```
pub struct Bus {
    name: String,
    protocol: Protocol,
    hz: std::sync::atomic::AtomicU32,
    setup_ns: std::sync::atomic::AtomicU32,
    queue: IodevQueue,
    state: Mutex<State>,
    cv: Condvar,
    transfers: std::sync::atomic::AtomicU64,
    busy_ns: std::sync::atomic::AtomicU64,
    created: StdInstant,
    trace: Mutex<Option<Vec<Transfer>>>,
}

impl core::fmt::Debug for Bus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Bus")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("hz", &self.hz())
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// A new bus with its interrupt thread.
    pub fn new(name: &str, protocol: Protocol, hz: u32) -> &'static Bus {
        let bus: &'static Bus = Box::leak(Box::new(Bus {
            name: name.into(),
            protocol,
            hz: std::sync::atomic::AtomicU32::new(hz.max(1)),
            setup_ns: std::sync::atomic::AtomicU32::new(match protocol {
                Protocol::I2c => 0,
                Protocol::Spi => 1_000,
            }),
            queue: IodevQueue::new(),
            state: Mutex::new(State {
                owners: Vec::new(),
                abort: None,
                current: None,
                held_by: None,
            }),
            cv: Condvar::new(),
            transfers: std::sync::atomic::AtomicU64::new(0),
            busy_ns: std::sync::atomic::AtomicU64::new(0),
            created: StdInstant::now(),
            trace: Mutex::new(None),
        }));
        std::thread::Builder::new()
            .name(std::format!("sim-{name}"))
            .spawn(move || bus.run())
            .expect("spawn a simulated bus thread");
        bus
    }

    /// A new I2C bus at `hz` (100 kHz standard, 400 kHz fast mode, 1 MHz fast mode plus).
    pub fn i2c(name: &str, hz: u32) -> &'static Bus {
        Bus::new(name, Protocol::I2c, hz)
    }

    /// A new SPI bus at `hz`.
    pub fn spi(name: &str, hz: u32) -> &'static Bus {
        Bus::new(name, Protocol::Spi, hz)
    }

    /// The bus name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The bus clock in Hz.
    pub fn hz(&self) -> u32 {
        self.hz.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Changes the bus clock (also done by I2C/SPI configure entries).
    pub fn set_hz(&self, hz: u32) {
        self.hz
            .store(hz.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets the fixed overhead of each transfer (SPI: chip-select setup, default 1 µs).
    pub fn set_setup_time(&self, d: rtio::Duration) {
        let ns = d.as_micros().saturating_mul(1000).min(u32::MAX as u64) as u32;
        self.setup_ns
            .store(ns, std::sync::atomic::Ordering::Relaxed);
    }

    /// Transfers completed (or failed) on this bus so far.
    pub fn transfers(&self) -> u64 {
        self.transfers.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Total simulated time the bus was busy.
    pub fn busy_time(&self) -> rtio::Duration {
        rtio::Duration::from_micros(self.busy_ns.load(std::sync::atomic::Ordering::Relaxed) / 1000)
    }

    /// Starts recording every transfer (clearing what was recorded); see [`Bus::trace`].
    ///
    /// ```
    /// use rtio_sim::{Bus, Tmp105};
    /// use rtio::{Rtio, Storage};
    /// static STORAGE: Storage<2, 2> = Storage::new();
    /// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    /// let bus = Bus::i2c("trace-doc", 400_000);
    /// let tmp = bus.attach_i2c(0x48, Tmp105::new(0.0));
    /// bus.record();
    /// let ctx = RTIO.claim().unwrap();
    /// ctx.chain::<2>()?.tiny_write(tmp.dev(), &[0]).transaction()
    ///     .read(tmp.dev(), Box::leak(Box::new([0u8; 2]))).wait()?;
    /// let t = bus.trace();
    /// assert_eq!(t.len(), 1, "a transaction is one transfer");
    /// assert_eq!((t[0].device, t[0].entries, t[0].bytes, t[0].result), (0x48, 2, 3, Ok(1)));
    /// # Ok::<(), rtio::Error>(())
    /// ```
    pub fn record(&self) {
        *self.trace.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
    }

    /// The transfers recorded since [`Bus::record`], in the order they started (which is
    /// the order they ended: the bus does one at a time).
    pub fn trace(&self) -> Vec<Transfer> {
        self.trace
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default()
    }

    /// Operations queued on the bus, not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long the transfer of `token` occupies the bus.
    fn duration(&self, token: &mut Token) -> StdDuration {
        let hz = self.hz() as u64;
        let mut bits: u64 = 0;
        let mut last_dir: Option<bool> = None;
        for i in 0..token.transaction_len() {
            let (dir, bytes) = match token.member(i) {
                Some(Request::Read(b)) => (Some(true), b.len()),
                Some(Request::ReadPool { .. }) => (Some(true), 0), // no buffer: fails
                Some(Request::Write(b)) => (Some(false), b.len()),
                Some(Request::Transceive { tx, rx }) => (None, tx.len().max(rx.len())),
                Some(Request::TransceiveInPlace(b)) => (None, b.len()),
                _ => (None, 0),
            };
            match self.protocol {
                Protocol::I2c => {
                    if dir.is_some() && dir != last_dir {
                        bits += 1 + 9; // (repeated) START + address byte with ACK
                        last_dir = dir;
                    }
                    bits += 9 * bytes as u64;
                }
                Protocol::Spi => bits += 8 * bytes as u64,
            }
        }
        if self.protocol == Protocol::I2c {
            bits += 1; // STOP
        }
        let ns = bits * 1_000_000_000 / hz
            + self.setup_ns.load(std::sync::atomic::Ordering::Relaxed) as u64
            + delay_ns(token);
        StdDuration::from_nanos(ns)
    }

    pub(crate) fn submit(&'static self, client: &'static dyn BusClient, token: Token) {
        let id = token.id();
        {
            let mut st = self.lock();
            st.owners.push(Pending { id, client });
            self.queue.push(token);
        }
        self.cv.notify_all();
    }

    pub(crate) fn cancel(&'static self, op: OpId) {
        let queued = {
            let mut st = self.lock();
            match self.queue.remove(op) {
                Some(t) => {
                    st.owners.retain(|p| p.id != op);
                    Some(t)
                }
                None => {
                    if st.current == Some(op) {
                        st.abort = Some(op);
                    }
                    None
                }
            }
        };
        self.cv.notify_all();
        // Complete outside the lock: the chain's next entry may be submitted to this bus.
        if let Some(t) = queued {
            t.err(Error::Canceled);
        }
    }

    fn run(&'static self) {
        loop {
            let (mut token, client) = {
                let mut st = self.lock();
                loop {
                    if let Some(t) = self.queue.pop() {
                        let id = t.id();
                        let pos = st.owners.iter().position(|p| p.id == id);
                        let client = pos.map(|p| st.owners.swap_remove(p).client);
                        st.current = Some(id);
                        st.abort = None;
                        break (t, client);
                    }
                    st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            };
            let Some(client) = client else {
                // Not ours: cannot happen, but never lose a token.
                token.err(Error::Bus);
                continue;
            };
            if token.op() == rtio::Op::Await {
                self.hold(token, client);
                continue;
            }
            let fault = client.faults().take();
            let (entries, bytes) = shape(&mut token);
            let delay_ns = delay_ns(&mut token);
            let mut d = self.duration(&mut token);
            if let Some(Fault::Stall(s)) = fault {
                d += StdDuration::from_micros(s.as_micros());
            }
            let hang = fault == Some(Fault::Hang);
            let start = StdInstant::now();
            // The device model runs as the transfer starts (its own CPU cost is hidden in
            // the transfer time, as a DMA engine's would be); the completion is posted when
            // the bus time has passed. A hung device runs nothing and waits for a cancel.
            let res = if hang {
                Err(Error::Canceled)
            } else {
                TRANSFER_END.with(|t| t.set(Some(start + d)));
                let r = client.execute(&mut token, fault);
                TRANSFER_END.with(|t| t.set(None));
                r
            };
            let aborted = self.wait_transfer(&token, start, d, hang);
            self.busy_ns
                .fetch_add(d.as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
            let res = if aborted { Err(Error::Canceled) } else { res };
            if let Some(trace) = self
                .trace
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
            {
                let us = |t: StdInstant| (t - self.created).as_micros() as u64;
                trace.push(Transfer {
                    device: client.bus_id(),
                    entries,
                    bytes,
                    delay_ns,
                    priority: token.priority(),
                    fault,
                    result: res,
                    start_us: us(start),
                    end_us: us(StdInstant::now()),
                });
            }
            {
                let mut st = self.lock();
                st.current = None;
                st.abort = None;
            }
            self.transfers
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            token.complete(res);
        }
    }

    /// AWAIT aimed at a device on this bus (S15): the bus serves nothing else until the
    /// AWAIT is signalled (or cancelled).
    fn hold(&'static self, token: Token, client: &'static dyn BusClient) {
        let id = token.id();
        let priority = token.priority();
        let start = StdInstant::now();
        self.lock().held_by = Some(id);
        HELD.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, self));
        if let Some(t) = token.await_signal(resume_await) {
            // The signal came first.
            HELD.lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(op, _)| *op != id);
            self.lock().held_by = None;
            t.finish_await();
        }
        let mut st = self.lock();
        while st.held_by == Some(id) {
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.current = None;
        drop(st);
        if let Some(trace) = self
            .trace
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            let us = |t: StdInstant| (t - self.created).as_micros() as u64;
            trace.push(Transfer {
                device: client.bus_id(),
                entries: 1,
                bytes: 0,
                delay_ns: 0,
                priority,
                fault: None,
                result: Ok(0),
                start_us: us(start),
                end_us: us(StdInstant::now()),
            });
        }
    }

    /// Waits out the transfer time; returns whether it was aborted by a cancel.
    fn wait_transfer(&self, token: &Token, start: StdInstant, d: StdDuration, hang: bool) -> bool {
        let end = start + d;
        let mut st = self.lock();
        loop {
            if st.abort == Some(token.id()) || token.is_canceled() {
                return true;
            }
            let now = StdInstant::now();
            if !hang && now >= end {
                return false;
            }
            // Short slices: a cancel flag set without a notify is still seen promptly.
            let slice = if hang {
                StdDuration::from_millis(1)
            } else {
                (end - now).min(StdDuration::from_millis(1))
            };
            if slice < StdDuration::from_micros(60) && !hang {
                // Below the scheduler's resolution: spin for accuracy.
                drop(st);
                while StdInstant::now() < end {
                    core::hint::spin_loop();
                }
                st = self.lock();
                continue;
            }
            st = self
                .cv
                .wait_timeout(st, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

std::thread_local! {
    /// When the transfer being executed on this bus thread ends (its STOP / chip-select
    /// release): device models that start something at the end (an EEPROM write cycle)
    /// read it with [`transfer_end`].
    static TRANSFER_END: core::cell::Cell<Option<StdInstant>> = const { core::cell::Cell::new(None) };
}

/// The end of the transfer the calling device model is executing, if called from a bus.
pub(crate) fn transfer_end() -> Option<StdInstant> {
    TRANSFER_END.with(|t| t.get())
}

/// Entries and bytes of a transfer.
fn shape(token: &mut Token) -> (usize, usize) {
    let n = token.transaction_len();
    // Pool reads get their buffers now, so that the trace, the transfer time and the device
    // see the same length (the request's, bounded by the blocks it got).
    for i in 0..n {
        if matches!(token.member(i), Some(Request::ReadPool { .. })) {
            let _ = token.member_pool_buf(i);
        }
    }
    let bytes = (0..n)
        .map(|i| match token.member(i) {
            Some(Request::Read(b)) => b.len(),
            Some(Request::ReadPool { .. }) => 0, // no buffer: the transfer fails NoMemory
            Some(Request::Write(b)) => b.len(),
            Some(Request::Transceive { tx, rx }) => tx.len().max(rx.len()),
            Some(Request::TransceiveInPlace(b)) => b.len(),
            _ => 0,
        })
        .sum();
    (n, bytes)
}

/// Nanoseconds the transfer's `DelayNs` members hold the bus.
fn delay_ns(token: &mut Token) -> u64 {
    (0..token.transaction_len())
        .map(|i| match token.member(i) {
            Some(Request::DelayNs(ns)) => ns as u64,
            _ => 0,
        })
        .sum()
}

/// Applies a data fault to bytes read.
pub(crate) fn corrupt(fault: Option<Fault>, buf: &mut [u8]) {
    if let Some(Fault::Corrupt(mask)) = fault {
        for b in buf {
            *b ^= mask;
        }
    }
}

/// The error a fault turns a transfer into, if any.
pub(crate) fn fault_error(fault: Option<Fault>) -> Result<(), Error> {
    match fault {
        Some(Fault::Nack) => Err(Error::Nack),
        Some(Fault::Bus) => Err(Error::Bus),
        Some(Fault::Overrun) => Err(Error::Overrun),
        _ => Ok(()),
    }
}

/// Leaks an iodev for a device: simulated hardware lives for the rest of the program.
pub(crate) fn leak_iodev(api: &'static dyn IodevApi) -> &'static Iodev {
    Box::leak(Box::new(Iodev::new(api)))
}
