//! A blocking embedded-hal SPI device as an iodev.

#[cfg(feature = "std")]
use crate::worker::scratch_need;
#[cfg(feature = "std")]
use crate::worker::spi_op_iter;
use crate::worker::{fill, gather, pieces, scatter, spi_ops, Core, Span, MAX_OPS, STACK_SCRATCH};
use embedded_hal::spi::SpiDevice;
use rtio::{Error, IodevApi, OpId, Request, Token};

/// A blocking `embedded_hal::spi::SpiDevice` (a bus with its chip select) as an iodev.
///
/// Like [`I2cIodev`](crate::I2cIodev): each entry is one `SpiDevice` operation; a transaction of entries is
/// one `SpiDevice::transaction` (chip select held throughout) with a `Write`, `Read`,
/// `Transfer`, `TransferInPlace` or `DelayNs` per member, with the same bounds (any size on
/// the `std` worker; 8 members and 256 bytes for `step`). Use it the same way: `new`,
/// `init`, an `Iodev` static, then `step` or `spawn_worker`.
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
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
/// let ctx = RTIO.claim().unwrap();
/// let rx: &'static mut [u8; 2] = Box::leak(Box::new([0; 2]));
/// ctx.acquire()?.read(Dev::<K>::new_unchecked(&CHIP_IODEV), rx).submit()?;
/// while !CHIP.step() {} // no_std style: the main loop runs the driver
/// assert_eq!(ctx.consume().unwrap().buffer().data(), Some(&[0xA5, 0xA5][..]));
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

    /// Runs the next queued operation; see [`I2cIodev::step`](crate::I2cIodev::step).
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
            Request::TransceiveInPlace(b) => dev
                .transfer_in_place(b)
                .map(|_| b.len())
                .map_err(crate::from_spi),
            Request::DelayNs(ns) => dev
                .transaction(&mut [embedded_hal::spi::Operation::DelayNs(ns)])
                .map(|_| 0)
                .map_err(crate::from_spi),
            Request::Nop => Ok(0),
            _ => Err(Error::NotSupported),
        };
    }
    let n = t.transaction_len();
    if n > MAX_OPS {
        return run_spi_heap(dev, t, scratch);
    }
    let mut spans = [Span::default(); MAX_OPS];
    let used = gather(t, scratch.len(), &mut spans)?;
    let spans = &spans[..n];
    let scratch = &mut scratch[..used];
    fill(t, spans, scratch);
    {
        let mut parts: [(&mut [u8], &mut [u8]); MAX_OPS] = Default::default();
        pieces(scratch, spans, &mut parts);
        let (mut ops, k) = spi_ops(spans, &mut parts);
        dev.transaction(&mut ops[..k]).map_err(crate::from_spi)?;
    }
    scatter(t, spans, scratch);
    Ok(spans[0].len.max(spans[0].tx_len))
}

/// A transaction of more than [`MAX_OPS`] members: its operations on the heap (`std`).
#[cfg(feature = "std")]
fn run_spi_heap<D: SpiDevice>(
    dev: &mut D,
    t: &mut Token,
    scratch: &mut [u8],
) -> Result<usize, Error> {
    use std::vec::Vec;
    let n = t.transaction_len();
    let mut spans = std::vec![Span::default(); n];
    let used = gather(t, scratch.len(), &mut spans)?;
    let scratch = &mut scratch[..used];
    fill(t, &spans, scratch);
    {
        let mut parts: Vec<(&mut [u8], &mut [u8])> = (0..n).map(|_| Default::default()).collect();
        pieces(scratch, &spans, &mut parts);
        let mut ops: Vec<_> = spi_op_iter(&spans, &mut parts).collect();
        dev.transaction(&mut ops).map_err(crate::from_spi)?;
    }
    scatter(t, &spans, scratch);
    Ok(spans[0].len.max(spans[0].tx_len))
}

/// Without a heap a transaction is bounded by [`MAX_OPS`] members.
#[cfg(not(feature = "std"))]
fn run_spi_heap<D: SpiDevice>(_: &mut D, _: &mut Token, _: &mut [u8]) -> Result<usize, Error> {
    Err(Error::InvalidArgument)
}
