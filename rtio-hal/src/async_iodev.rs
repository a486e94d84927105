//! Any async HAL as an iodev: an `embedded-hal-async` I2C bus or SPI device, driven by an
//! async task, serves rtio's queues.
//!
//! A chip with an async DMA HAL (embassy's STM32, nRF, RP2040 HALs) then gets rtio's queues,
//! chains, transactions, priorities and cancellation with no interrupt driver written: the
//! iodev queues what is submitted (S12: by priority, then FIFO), and
//! [`AsyncSpiIodev::run`] / [`AsyncI2cIodev::run`], spawned on the application's executor,
//! takes each operation, awaits the HAL and completes it.
//!
//! Cancellation (S7): a queued operation is cancelled at once; one in flight has its HAL
//! future dropped (the way async HALs abort a transfer: embassy's DMA futures stop the DMA
//! when dropped) and completes `Canceled`.
//!
//! ```text
//!  submit ──► queue ──► wake ──► task: pop ─► hal.transaction(..).await ─► complete
//!  cancel ──► (queued: Canceled now) (in flight: drop the HAL future, Canceled)
//! ```

use crate::worker::{fill, gather, i2c_ops, pieces, scatter, spi_ops, Span, MAX_OPS, NOT_I2C};
use atomic_waker::AtomicWaker;
use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context as TaskCx, Poll};
use critical_section::Mutex;
use rtio::{Error, IodevApi, IodevQueue, OpId, Request, Token};

/// The queue, the task's waker and the operation in flight, shared by both iodevs.
struct Serve {
    queue: IodevQueue,
    waker: AtomicWaker,
    current: Mutex<Cell<Option<OpId>>>,
    abort: Mutex<Cell<bool>>,
}

impl Serve {
    const fn new() -> Self {
        Serve {
            queue: IodevQueue::new(),
            waker: AtomicWaker::new(),
            current: Mutex::new(Cell::new(None)),
            abort: Mutex::new(Cell::new(false)),
        }
    }

    fn submit(&self, t: Token) {
        self.queue.push(t);
        self.waker.wake();
    }

    fn cancel(&self, op: OpId) {
        if self.queue.cancel(op) {
            return;
        }
        let hit = critical_section::with(|cs| {
            let hit = self.current.borrow(cs).get() == Some(op);
            if hit {
                self.abort.borrow(cs).set(true);
            }
            hit
        });
        if hit {
            self.waker.wake();
        }
    }

    /// The next operation to serve.
    async fn next(&self) -> Token {
        core::future::poll_fn(|cx| {
            self.waker.register(cx.waker());
            match self.queue.pop() {
                Some(t) => Poll::Ready(t),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// Runs one operation: `exec` unless it is cancelled first or while in flight.
    async fn serve<F: Future<Output = Result<usize, Error>>>(
        &self,
        id: OpId,
        canceled: bool,
        exec: F,
    ) -> Result<usize, Error> {
        if canceled {
            return Err(Error::Canceled);
        }
        critical_section::with(|cs| {
            self.current.borrow(cs).set(Some(id));
            self.abort.borrow(cs).set(false);
        });
        let fut = core::pin::pin!(exec);
        let res = Abortable { serve: self, fut }.await;
        critical_section::with(|cs| self.current.borrow(cs).set(None));
        res
    }
}

/// A HAL future that ends `Canceled` (dropping it, which aborts the transfer) when its
/// operation is cancelled.
struct Abortable<'a, 'f, F> {
    serve: &'a Serve,
    fut: Pin<&'f mut F>,
}

impl<F: Future<Output = Result<usize, Error>>> Future for Abortable<'_, '_, F> {
    type Output = Result<usize, Error>;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.serve.waker.register(cx.waker());
        if critical_section::with(|cs| this.serve.abort.borrow(cs).get()) {
            return Poll::Ready(Err(Error::Canceled));
        }
        this.fut.as_mut().poll(cx)
    }
}

/// Bytes a single-entry operation moved.
fn single_len(r: &Request<'_>) -> usize {
    match r {
        Request::Read(b) => b.len(),
        Request::Write(d) => d.len(),
        Request::Transceive { tx, rx } => tx.len().max(rx.len()),
        Request::TransceiveInPlace(b) => b.len(),
        _ => 0,
    }
}

/// An `embedded_hal_async::spi::SpiDevice` (a bus with its chip select) as an iodev, served
/// by [`AsyncSpiIodev::run`] on the application's executor.
///
/// Each entry is one HAL operation (a pool read gets its buffer first); a transaction is one
/// `SpiDevice::transaction` with a `Write`, `Read`, `Transfer`, `TransferInPlace` or
/// `DelayNs` per member, its bytes moved through the `scratch` buffer given to `run`. With
/// no heap, a transaction has at most 8 members and fits `scratch`; a larger one fails
/// [`rtio::Error::InvalidArgument`].
///
/// ```
/// use rtio::{caps, Dev, Iodev, Rtio, Storage};
/// use rtio_hal::AsyncSpiIodev;
/// # use embedded_hal::spi::{ErrorType, Operation};
/// /// Some async HAL's SPI device: here one that answers 0xA5 to every byte.
/// struct Hal;
/// # impl ErrorType for Hal { type Error = core::convert::Infallible; }
/// impl embedded_hal_async::spi::SpiDevice for Hal {
///     async fn transaction(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), Self::Error> {
///         for op in ops {
///             if let Operation::Read(r) = op { r.fill(0xA5) }
///         }
///         Ok(())
///     }
/// }
/// static CHIP: AsyncSpiIodev = AsyncSpiIodev::new();
/// static CHIP_IODEV: Iodev = Iodev::new(&CHIP);
/// struct K;
/// impl caps::Kind for K { const NAME: &'static str = "chip"; }
/// impl caps::Read for K {}
/// impl caps::Write for K {}
/// // The task (spawn it on your executor; here a thread runs it).
/// std::thread::spawn(|| rtio::block_on(CHIP.run(Hal, &mut [0u8; 64])));
/// static STORAGE: Storage<2, 2> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
/// let ctx = RTIO.claim().unwrap();
/// let rx: &'static mut [u8; 2] = Box::leak(Box::new([0; 2]));
/// let [c] = ctx.acquire()?.read(Dev::<K>::new_unchecked(&CHIP_IODEV), rx).wait()?;
/// assert_eq!(c.buffer().data(), Some(&[0xA5, 0xA5][..]));
/// # Ok::<(), rtio::Error>(())
/// ```
pub struct AsyncSpiIodev {
    serve: Serve,
}

impl core::fmt::Debug for AsyncSpiIodev {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncSpiIodev")
            .field("queued", &self.serve.queue.len())
            .finish_non_exhaustive()
    }
}

impl Default for AsyncSpiIodev {
    fn default() -> Self {
        Self::new()
    }
}

impl AsyncSpiIodev {
    /// An iodev with nothing queued; serve it with [`AsyncSpiIodev::run`].
    pub const fn new() -> Self {
        AsyncSpiIodev {
            serve: Serve::new(),
        }
    }

    /// Serves the iodev with `dev` forever: spawn it as a task. `scratch` carries the bytes
    /// of transactions of several entries (a transaction larger than it fails
    /// [`rtio::Error::InvalidArgument`]).
    pub async fn run<D: embedded_hal_async::spi::SpiDevice>(
        &'static self,
        mut dev: D,
        scratch: &mut [u8],
    ) -> ! {
        loop {
            let mut t = self.serve.next().await;
            let (id, canceled) = (t.id(), t.is_canceled());
            let res = self
                .serve
                .serve(id, canceled, spi_exec(&mut dev, &mut t, scratch))
                .await;
            t.complete(res);
        }
    }
}

async fn spi_exec<D: embedded_hal_async::spi::SpiDevice>(
    dev: &mut D,
    t: &mut Token,
    scratch: &mut [u8],
) -> Result<usize, Error> {
    if t.transaction_len() == 1 {
        if matches!(t.request(), Request::ReadPool { .. }) {
            t.pool_buf()?; // allocated; `request` now hands the requested length
        }
        let mut r = t.request();
        let n = single_len(&r);
        let res = match &mut r {
            Request::Write(d) => dev.write(d).await,
            Request::Read(b) => dev.read(b).await,
            Request::Transceive { tx, rx } => dev.transfer(rx, tx).await,
            Request::TransceiveInPlace(b) => dev.transfer_in_place(b).await,
            Request::DelayNs(ns) => {
                use embedded_hal::spi::Operation;
                dev.transaction(&mut [Operation::DelayNs(*ns)]).await
            }
            Request::Nop => Ok(()),
            _ => return Err(Error::NotSupported),
        };
        return res.map(|_| n).map_err(crate::from_spi);
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
        let (mut ops, k) = spi_ops(spans, &mut parts);
        dev.transaction(&mut ops[..k])
            .await
            .map_err(crate::from_spi)?;
    }
    scatter(t, spans, scratch);
    Ok(spans[0].len.max(spans[0].tx_len))
}

impl IodevApi for AsyncSpiIodev {
    fn submit(&'static self, token: Token) {
        self.serve.submit(token);
    }
    fn cancel(&'static self, op: OpId) {
        self.serve.cancel(op);
    }
}

/// An `embedded_hal_async::i2c::I2c` bus and a target address as an iodev, served by
/// [`AsyncI2cIodev::run`] on the application's executor. Like [`AsyncSpiIodev`]; a
/// transaction is one `I2c::transaction` (one START/STOP), full duplex is refused.
pub struct AsyncI2cIodev {
    serve: Serve,
    address: u8,
}

impl core::fmt::Debug for AsyncI2cIodev {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncI2cIodev")
            .field("address", &self.address)
            .field("queued", &self.serve.queue.len())
            .finish_non_exhaustive()
    }
}

impl AsyncI2cIodev {
    /// An iodev for the target at `address`; serve it with [`AsyncI2cIodev::run`].
    pub const fn new(address: u8) -> Self {
        AsyncI2cIodev {
            serve: Serve::new(),
            address,
        }
    }

    /// Serves the iodev with `bus` forever: spawn it as a task (see [`AsyncSpiIodev::run`]).
    pub async fn run<B: embedded_hal_async::i2c::I2c>(
        &'static self,
        mut bus: B,
        scratch: &mut [u8],
    ) -> ! {
        loop {
            let mut t = self.serve.next().await;
            let (id, canceled) = (t.id(), t.is_canceled());
            let exec = i2c_exec(&mut bus, self.address, &mut t, scratch);
            let res = self.serve.serve(id, canceled, exec).await;
            t.complete(res);
        }
    }
}

async fn i2c_exec<B: embedded_hal_async::i2c::I2c>(
    bus: &mut B,
    addr: u8,
    t: &mut Token,
    scratch: &mut [u8],
) -> Result<usize, Error> {
    if t.transaction_len() == 1 {
        if matches!(t.request(), Request::ReadPool { .. }) {
            t.pool_buf()?;
        }
        let mut r = t.request();
        let n = single_len(&r);
        let res = match &mut r {
            Request::Write(d) => bus.write(addr, d).await,
            Request::Read(b) => bus.read(addr, b).await,
            Request::Nop => Ok(()),
            _ => return Err(Error::NotSupported),
        };
        return res.map(|_| n).map_err(crate::from_i2c);
    }
    let mut spans = [Span::default(); MAX_OPS];
    let n = t.transaction_len();
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
            .await
            .map_err(crate::from_i2c)?;
    }
    scatter(t, spans, scratch);
    Ok(spans[0].len)
}

impl IodevApi for AsyncI2cIodev {
    fn submit(&'static self, token: Token) {
        self.serve.submit(token);
    }
    fn cancel(&'static self, op: OpId) {
        self.serve.cancel(op);
    }
}
