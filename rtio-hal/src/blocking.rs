//! Blocking embedded-hal drivers as iodevs: a queue, and a step that runs one operation.

use core::cell::RefCell;
use critical_section::Mutex;
use embedded_hal::i2c::{I2c, Operation as I2cOp};
use embedded_hal::spi::{Operation as SpiOp, SpiDevice};
use portable_atomic::{AtomicBool, Ordering};
use rtio::Error;
use rtio::{IodevApi, IodevQueue, OpId, Request, Token};

/// Most entries in one transaction the adapters turn into one embedded-hal `transaction`.
const MAX_OPS: usize = 8;
/// Bytes a multi-entry transaction may move through the step's stack scratch buffer (the
/// `std` worker uses a heap buffer of any size). Single entries are never copied.
const STACK_SCRATCH: usize = 256;

/// Where a member's bytes sit in the scratch buffer.
#[derive(Clone, Copy, Default)]
struct Span {
    kind: u8, // 0 nothing, 1 write, 2 read, 3 transfer (rx at off, tx at off + len)
    off: usize,
    len: usize,
    tx_len: usize,
}

/// Copies the members' data into scratch spans. Pool reads get their buffers first.
fn gather(t: &mut Token, scratch_len: usize, spans: &mut [Span; MAX_OPS]) -> Result<usize, Error> {
    let n = t.transaction_len();
    if n > MAX_OPS {
        return Err(Error::InvalidArgument);
    }
    for i in 0..n {
        if matches!(t.member(i), Some(Request::ReadPool { .. })) {
            t.member_pool_buf(i)?;
        }
    }
    let mut off = 0;
    for (i, span) in spans.iter_mut().enumerate().take(n) {
        *span = match t.member(i) {
            Some(Request::Write(d)) => Span {
                kind: 1,
                off,
                len: d.len(),
                tx_len: 0,
            },
            Some(Request::Read(b)) => Span {
                kind: 2,
                off,
                len: b.len(),
                tx_len: 0,
            },
            Some(Request::Transceive { tx, rx }) => Span {
                kind: 3,
                off,
                len: rx.len(),
                tx_len: tx.len(),
            },
            Some(Request::Nop) => Span {
                kind: 0,
                off,
                len: 0,
                tx_len: 0,
            },
            _ => return Err(Error::NotSupported),
        };
        off += span.len + span.tx_len;
    }
    if off > scratch_len {
        return Err(Error::InvalidArgument);
    }
    Ok(off)
}

/// Copies write data into scratch.
fn fill(t: &mut Token, spans: &[Span], scratch: &mut [u8]) {
    for (i, s) in spans.iter().enumerate() {
        match t.member(i) {
            Some(Request::Write(d)) => scratch[s.off..s.off + s.len].copy_from_slice(d),
            Some(Request::Transceive { tx, .. }) => {
                scratch[s.off + s.len..s.off + s.len + s.tx_len].copy_from_slice(tx)
            }
            _ => {}
        }
    }
}

/// Copies read data from scratch back into the members' buffers.
fn scatter(t: &mut Token, spans: &[Span], scratch: &[u8]) {
    for (i, s) in spans.iter().enumerate() {
        match t.member(i) {
            Some(Request::Read(b)) => b.copy_from_slice(&scratch[s.off..s.off + s.len]),
            Some(Request::Transceive { rx, .. }) => {
                rx.copy_from_slice(&scratch[s.off..s.off + s.len])
            }
            _ => {}
        }
    }
}

/// Splits `scratch` into one mutable piece per span (rx part, tx part).
fn pieces<'a>(
    mut scratch: &'a mut [u8],
    spans: &[Span],
    out: &mut [(&'a mut [u8], &'a mut [u8]); MAX_OPS],
) {
    for (i, s) in spans.iter().enumerate() {
        let (a, rest) = core::mem::take(&mut scratch).split_at_mut(s.len);
        let (b, rest) = rest.split_at_mut(s.tx_len);
        out[i] = (a, b);
        scratch = rest;
    }
}

/// State shared by the blocking adapters: the queue, the driver, the step guard, the worker.
struct Core<B> {
    bus: Mutex<RefCell<Option<B>>>,
    queue: IodevQueue,
    stepping: AtomicBool,
    #[cfg(feature = "std")]
    wake: (std::sync::Mutex<bool>, std::sync::Condvar),
}

impl<B> Core<B> {
    const fn new() -> Self {
        Core {
            bus: Mutex::new(RefCell::new(None)),
            queue: IodevQueue::new(),
            stepping: AtomicBool::new(false),
            #[cfg(feature = "std")]
            wake: (std::sync::Mutex::new(false), std::sync::Condvar::new()),
        }
    }

    fn submit(&self, t: Token) {
        self.queue.push(t);
        #[cfg(feature = "std")]
        {
            let mut p = self.wake.0.lock().unwrap_or_else(|e| e.into_inner());
            *p = true;
            self.wake.1.notify_all();
        }
    }

    /// Pops one token and runs `f` on it with the driver; completes it. Returns whether it
    /// ran one.
    fn step(&self, f: impl FnOnce(&mut B, &mut Token) -> Result<usize, Error>) -> bool {
        if self.stepping.swap(true, Ordering::Acquire) {
            return false; // another step is running: it will drain the queue
        }
        let Some(mut t) = self.queue.pop() else {
            self.stepping.store(false, Ordering::Release);
            return false;
        };
        let bus = critical_section::with(|cs| self.bus.borrow_ref_mut(cs).take());
        let res = match bus {
            Some(mut b) => {
                let r = if t.is_canceled() {
                    Err(Error::Canceled)
                } else {
                    f(&mut b, &mut t)
                };
                critical_section::with(|cs| *self.bus.borrow_ref_mut(cs) = Some(b));
                r
            }
            None => Err(Error::NotSupported), // not initialised
        };
        self.stepping.store(false, Ordering::Release);
        t.complete(res);
        true
    }

    #[cfg(feature = "std")]
    fn wait_for_work(&self) {
        let mut p = self.wake.0.lock().unwrap_or_else(|e| e.into_inner());
        while !*p && self.queue.is_empty() {
            p = self.wake.1.wait(p).unwrap_or_else(|e| e.into_inner());
        }
        *p = false;
    }
}

/// A blocking `embedded_hal::i2c::I2c` bus and a target address, as an iodev.
///
/// Each entry becomes one bus operation; a transaction of entries becomes one
/// `I2c::transaction` with a `Write`/`Read` operation per member (at most 8; with more than
/// one member the data moves through a scratch buffer: 256 bytes on the stack for
/// [`I2cIodev::step`], any size for the `std` worker). Operations run when [`I2cIodev::step`]
/// is called (`no_std`: from the main loop or a low-priority interrupt) or on the worker
/// thread ([`I2cIodev::spawn_worker`], `std`). Queued operations are cancelled at once; one
/// already on the bus completes normally (a blocking driver cannot be stopped, S7).
///
/// ```
/// use embedded_hal::i2c::{ErrorType, I2c, Operation};
/// use rtio_hal::I2cIodev;
/// use rtio::{caps, Dev, Iodev, Rtio, Storage};
///
/// /// Some blocking driver: here a one-register loopback.
/// #[derive(Debug)]
/// struct Loop(u8);
/// impl ErrorType for Loop { type Error = core::convert::Infallible; }
/// impl I2c for Loop {
///     fn transaction(&mut self, _a: u8, ops: &mut [Operation<'_>]) -> Result<(), Self::Error> {
///         for op in ops {
///             match op { Operation::Write(w) => self.0 = w[0], Operation::Read(r) => r.fill(self.0) }
///         }
///         Ok(())
///     }
/// }
/// static REG: I2cIodev<Loop> = I2cIodev::new(0x48);
/// static REG_IODEV: Iodev = Iodev::new(&REG);
/// struct K;
/// impl caps::Kind for K { const NAME: &'static str = "loop"; }
/// impl caps::Read for K {}
/// impl caps::Write for K {}
///
/// REG.init(Loop(0));
/// REG.spawn_worker(); // std; on no_std call REG.step() from the main loop
/// static STORAGE: Storage<4, 4> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE);
/// let ctx = RTIO.claim().unwrap();
/// let mut out = [0u8; 2];
/// ctx.scope(|s| {
///     let op = s.write_read(Dev::<K>::new(&REG_IODEV), &[0x2A], &mut out)?;
///     s.wait(op)
/// })?;
/// assert_eq!(out, [0x2A, 0x2A]);
/// # Ok::<(), rtio::Error>(())
/// ```
pub struct I2cIodev<B> {
    core: Core<B>,
    address: u8,
}

impl<B> core::fmt::Debug for I2cIodev<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("I2cIodev")
            .field("address", &self.address)
            .field("queued", &self.core.queue.len())
            .finish_non_exhaustive()
    }
}

impl<B: I2c + Send> I2cIodev<B> {
    /// An adapter for the target at `address`; give it its bus with [`I2cIodev::init`].
    pub const fn new(address: u8) -> Self {
        I2cIodev {
            core: Core::new(),
            address,
        }
    }

    /// Hands the adapter its bus (replacing any previous one).
    pub fn init(&self, bus: B) {
        critical_section::with(|cs| *self.core.bus.borrow_ref_mut(cs) = Some(bus));
    }

    /// Takes the bus back out (operations fail with `NotSupported` until the next `init`).
    pub fn release(&self) -> Option<B> {
        critical_section::with(|cs| self.core.bus.borrow_ref_mut(cs).take())
    }

    /// Runs the next queued operation (or transaction) with the blocking driver and
    /// completes it. Returns whether there was one. `no_std` users call this from their
    /// main loop or a low-priority interrupt; re-entrant calls return `false` at once.
    pub fn step(&self) -> bool {
        let addr = self.address;
        self.core.step(|bus, t| {
            let mut scratch = [0u8; STACK_SCRATCH];
            run_i2c(bus, addr, t, &mut scratch)
        })
    }

    /// Operations waiting to run.
    pub fn queued(&self) -> usize {
        self.core.queue.len()
    }
}

#[cfg(feature = "std")]
impl<B: I2c + Send + 'static> I2cIodev<B> {
    /// Starts a worker thread that runs operations as they are submitted (`std`).
    pub fn spawn_worker(&'static self) -> std::thread::JoinHandle<()> {
        let addr = self.address;
        std::thread::Builder::new()
            .name(std::format!("rtio-i2c-{addr:02x}"))
            .spawn(move || loop {
                self.core.wait_for_work();
                while self.core.step(|bus, t| {
                    let mut scratch = std::vec![0u8; scratch_need(t)];
                    run_i2c(bus, addr, t, &mut scratch)
                }) {}
            })
            .expect("spawn an rtio worker thread")
    }
}

impl<B: I2c + Send> IodevApi for I2cIodev<B> {
    fn submit(&'static self, token: Token) {
        self.core.submit(token);
    }
    fn cancel(&'static self, op: OpId) {
        self.core.queue.cancel(op);
    }
}

#[cfg(feature = "std")]
fn scratch_need(t: &mut Token) -> usize {
    let mut n = 0;
    for i in 0..t.transaction_len() {
        n += match t.member(i) {
            Some(Request::Write(d)) => d.len(),
            Some(Request::Read(b)) => b.len(),
            Some(Request::ReadPool { preferred, .. }) => preferred,
            Some(Request::Transceive { tx, rx }) => tx.len() + rx.len(),
            _ => 0,
        };
    }
    n
}

fn run_i2c<B: I2c>(
    bus: &mut B,
    addr: u8,
    t: &mut Token,
    scratch: &mut [u8],
) -> Result<usize, Error> {
    if t.transaction_len() == 1 {
        if matches!(t.request(), Request::ReadPool { .. }) {
            t.pool_buf()?;
        }
        return match t.request() {
            Request::Write(d) => bus.write(addr, d).map(|_| d.len()).map_err(crate::from_i2c),
            Request::Read(b) => bus.read(addr, b).map(|_| b.len()).map_err(crate::from_i2c),
            Request::Nop => Ok(0),
            _ => Err(Error::NotSupported),
        };
    }
    let mut spans = [Span::default(); MAX_OPS];
    let n = t.transaction_len();
    let used = gather(t, scratch.len(), &mut spans)?;
    let spans = &spans[..n];
    if spans.iter().any(|s| s.kind == 3) {
        return Err(Error::NotSupported); // I2C has no full-duplex transfer
    }
    let scratch = &mut scratch[..used];
    fill(t, spans, scratch);
    {
        let mut parts: [(&mut [u8], &mut [u8]); MAX_OPS] = Default::default();
        pieces(scratch, spans, &mut parts);
        let mut ops: [I2cOp<'_>; MAX_OPS] = core::array::from_fn(|_| I2cOp::Write(&[]));
        let mut k = 0;
        for (s, (a, _)) in spans.iter().zip(parts.iter_mut()) {
            match s.kind {
                1 => ops[k] = I2cOp::Write(a),
                2 => ops[k] = I2cOp::Read(a),
                _ => continue,
            }
            k += 1;
        }
        bus.transaction(addr, &mut ops[..k])
            .map_err(crate::from_i2c)?;
    }
    scatter(t, spans, scratch);
    Ok(spans[0].len)
}

/// A blocking `embedded_hal::spi::SpiDevice` (a bus with its chip select) as an iodev.
///
/// Like [`I2cIodev`]: each entry is one `SpiDevice` operation; a transaction of entries is
/// one `SpiDevice::transaction` (chip select held throughout) with a `Write`, `Read` or
/// `Transfer` per member. Use it the same way: `new`, `init`, an `Iodev` static, then
/// `step` or `spawn_worker`.
///
/// ```
/// use embedded_hal::spi::{ErrorType, Operation, SpiDevice};
/// use rtio_hal::SpiIodev;
/// use rtio::{caps, Dev, Iodev, Rtio, Storage};
/// /// A blocking driver for a device that answers 0xA5 to everything.
/// struct Chip;
/// impl ErrorType for Chip { type Error = core::convert::Infallible; }
/// impl SpiDevice for Chip {
///     fn transaction(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), Self::Error> {
///         for op in ops {
///             if let Operation::Read(r) = op { r.fill(0xA5) }
///         }
///         Ok(())
///     }
/// }
/// static CHIP: SpiIodev<Chip> = SpiIodev::new();
/// static CHIP_IODEV: Iodev = Iodev::new(&CHIP);
/// struct K;
/// impl caps::Kind for K { const NAME: &'static str = "chip"; }
/// impl caps::Read for K {}
/// impl caps::Write for K {}
/// CHIP.init(Chip);
/// static STORAGE: Storage<2, 2> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE);
/// let ctx = RTIO.claim().unwrap();
/// let rx: &'static mut [u8; 2] = Box::leak(Box::new([0; 2]));
/// ctx.acquire()?.read(Dev::<K>::new(&CHIP_IODEV), rx).submit()?;
/// while !CHIP.step() {} // no_std style: the main loop runs the driver
/// assert_eq!(ctx.consume().buffer().data(), Some(&[0xA5, 0xA5][..]));
/// # Ok::<(), rtio::Error>(())
/// ```
pub struct SpiIodev<D> {
    core: Core<D>,
}

impl<D> core::fmt::Debug for SpiIodev<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SpiIodev")
            .field("queued", &self.core.queue.len())
            .finish_non_exhaustive()
    }
}

impl<D: SpiDevice + Send> SpiIodev<D> {
    /// An adapter; give it its device with [`SpiIodev::init`].
    pub const fn new() -> Self {
        SpiIodev { core: Core::new() }
    }

    /// Hands the adapter its device.
    pub fn init(&self, dev: D) {
        critical_section::with(|cs| *self.core.bus.borrow_ref_mut(cs) = Some(dev));
    }

    /// Takes the device back out.
    pub fn release(&self) -> Option<D> {
        critical_section::with(|cs| self.core.bus.borrow_ref_mut(cs).take())
    }

    /// Runs the next queued operation; see [`I2cIodev::step`].
    pub fn step(&self) -> bool {
        self.core.step(|dev, t| {
            let mut scratch = [0u8; STACK_SCRATCH];
            run_spi(dev, t, &mut scratch)
        })
    }
}

impl<D: SpiDevice + Send> Default for SpiIodev<D> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl<D: SpiDevice + Send + 'static> SpiIodev<D> {
    /// Starts a worker thread that runs operations as they are submitted (`std`).
    pub fn spawn_worker(&'static self) -> std::thread::JoinHandle<()> {
        std::thread::Builder::new()
            .name("rtio-spi".into())
            .spawn(move || loop {
                self.core.wait_for_work();
                while self.core.step(|dev, t| {
                    let mut scratch = std::vec![0u8; scratch_need(t)];
                    run_spi(dev, t, &mut scratch)
                }) {}
            })
            .expect("spawn an rtio worker thread")
    }
}

impl<D: SpiDevice + Send> IodevApi for SpiIodev<D> {
    fn submit(&'static self, token: Token) {
        self.core.submit(token);
    }
    fn cancel(&'static self, op: OpId) {
        self.core.queue.cancel(op);
    }
}

fn run_spi<D: SpiDevice>(dev: &mut D, t: &mut Token, scratch: &mut [u8]) -> Result<usize, Error> {
    if t.transaction_len() == 1 {
        if matches!(t.request(), Request::ReadPool { .. }) {
            t.pool_buf()?;
        }
        return match t.request() {
            Request::Write(d) => dev.write(d).map(|_| d.len()).map_err(crate::from_spi),
            Request::Read(b) => dev.read(b).map(|_| b.len()).map_err(crate::from_spi),
            Request::Transceive { tx, rx } => dev
                .transfer(rx, tx)
                .map(|_| tx.len().max(rx.len()))
                .map_err(crate::from_spi),
            Request::Nop => Ok(0),
            _ => Err(Error::NotSupported),
        };
    }
    let mut spans = [Span::default(); MAX_OPS];
    let n = t.transaction_len();
    let used = gather(t, scratch.len(), &mut spans)?;
    let spans = &spans[..n];
    let scratch = &mut scratch[..used];
    fill(t, spans, scratch);
    {
        let mut parts: [(&mut [u8], &mut [u8]); MAX_OPS] = Default::default();
        pieces(scratch, spans, &mut parts);
        let mut ops: [SpiOp<'_, u8>; MAX_OPS] = core::array::from_fn(|_| SpiOp::Write(&[]));
        let mut k = 0;
        for (s, (a, b)) in spans.iter().zip(parts.iter_mut()) {
            match s.kind {
                1 => ops[k] = SpiOp::Write(a),
                2 => ops[k] = SpiOp::Read(a),
                3 => ops[k] = SpiOp::Transfer(a, b),
                _ => continue,
            }
            k += 1;
        }
        dev.transaction(&mut ops[..k]).map_err(crate::from_spi)?;
    }
    scatter(t, spans, scratch);
    Ok(spans[0].len.max(spans[0].tx_len))
}
