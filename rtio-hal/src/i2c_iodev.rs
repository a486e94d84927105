//! A blocking embedded-hal I2C bus as an iodev.

#[cfg(feature = "std")]
use crate::worker::i2c_op_iter;
#[cfg(feature = "std")]
use crate::worker::scratch_need;
use crate::worker::{
    fill, gather, i2c_ops, pieces, scatter, Core, Span, MAX_OPS, NOT_I2C, STACK_SCRATCH,
};
use embedded_hal::i2c::I2c;
use rtio::{Error, IodevApi, OpId, Request, Token};

/// A blocking `embedded_hal::i2c::I2c` bus and a target address, as an iodev.
///
/// Each entry becomes one bus operation; a transaction of entries becomes one
/// `I2c::transaction` with a `Write`/`Read` operation per member. With more than one member
/// the data moves through a scratch buffer. The `std` worker takes any number of members and
/// bytes (on the heap); [`I2cIodev::step`], which has no heap, takes up to 8 members and 256
/// bytes (on its stack) and fails a larger transaction [`rtio::Error::InvalidArgument`]: on
/// `no_std`, bound such transactions or give the driver a worker of its own. Full duplex and
/// a delay on the bus are not I2C operations: [`rtio::Error::NotSupported`]. Operations run
/// when [`I2cIodev::step`]
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
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
/// let ctx = RTIO.claim().unwrap();
/// let mut out = [0u8; 2];
/// ctx.scope(|s| {
///     let op = s.write_read(Dev::<K>::new_unchecked(&REG_IODEV), &[0x2A], &mut out)?;
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
    let n = t.transaction_len();
    if n > MAX_OPS {
        return run_i2c_heap(bus, addr, t, scratch);
    }
    let mut spans = [Span::default(); MAX_OPS];
    let used = gather(t, scratch.len(), &mut spans)?;
    let spans = &spans[..n];
    if spans.iter().any(|s| s.kind >= NOT_I2C) {
        return Err(Error::NotSupported); // I2C has no full duplex and no delay on the bus
    }
    let scratch = &mut scratch[..used];
    fill(t, spans, scratch);
    {
        let mut parts: [(&mut [u8], &mut [u8]); MAX_OPS] = Default::default();
        pieces(scratch, spans, &mut parts);
        let (mut ops, k) = i2c_ops(spans, &mut parts);
        bus.transaction(addr, &mut ops[..k])
            .map_err(crate::from_i2c)?;
    }
    scatter(t, spans, scratch);
    Ok(spans[0].len)
}

/// A transaction of more than [`MAX_OPS`] members: its operations on the heap (`std`).
#[cfg(feature = "std")]
fn run_i2c_heap<B: I2c>(
    bus: &mut B,
    addr: u8,
    t: &mut Token,
    scratch: &mut [u8],
) -> Result<usize, Error> {
    use std::vec::Vec;
    let n = t.transaction_len();
    let mut spans = std::vec![Span::default(); n];
    let used = gather(t, scratch.len(), &mut spans)?;
    if spans.iter().any(|s| s.kind >= NOT_I2C) {
        return Err(Error::NotSupported); // I2C has no full duplex and no delay on the bus
    }
    let scratch = &mut scratch[..used];
    fill(t, &spans, scratch);
    {
        let mut parts: Vec<(&mut [u8], &mut [u8])> = (0..n).map(|_| Default::default()).collect();
        pieces(scratch, &spans, &mut parts);
        let mut ops: Vec<_> = i2c_op_iter(&spans, &mut parts).collect();
        bus.transaction(addr, &mut ops).map_err(crate::from_i2c)?;
    }
    scatter(t, &spans, scratch);
    Ok(spans[0].len)
}

/// Without a heap a transaction is bounded by [`MAX_OPS`] members.
#[cfg(not(feature = "std"))]
fn run_i2c_heap<B: I2c>(_: &mut B, _: u8, _: &mut Token, _: &mut [u8]) -> Result<usize, Error> {
    Err(Error::InvalidArgument)
}
