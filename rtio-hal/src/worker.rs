//! What the blocking-driver iodevs share: a queue, the driver, a step that runs one
//! operation (or transaction) with it, a worker thread on `std`, and the scratch buffer a
//! transaction of several entries moves its bytes through.

use core::cell::RefCell;
use critical_section::Mutex;
use portable_atomic::{AtomicBool, Ordering};
use rtio::Error;
use rtio::{IodevQueue, Request, Token};

/// Most entries in one transaction the adapters turn into one embedded-hal `transaction`
/// with no heap (their `step`, the async iodevs); the `std` workers take any number.
pub(crate) const MAX_OPS: usize = 8;
/// Bytes a multi-entry transaction may move through the step's stack scratch buffer (the
/// `std` worker uses a heap buffer of any size). Single entries are never copied.
pub(crate) const STACK_SCRATCH: usize = 256;

/// Where a member's bytes sit in the scratch buffer.
#[derive(Clone, Copy, Default)]
pub(crate) struct Span {
    /// 0 nothing, 1 write, 2 read, 3 transfer (rx at off, tx at off + len), 4 transfer in
    /// place (one buffer at off), 5 a delay of `ns` with the bus held.
    pub(crate) kind: u8,
    pub(crate) off: usize,
    pub(crate) len: usize,
    pub(crate) tx_len: usize,
    pub(crate) ns: u32,
}

/// Span kinds an I2C bus cannot do (full duplex, a delay inside a transaction).
pub(crate) const NOT_I2C: u8 = 3;

/// Copies the members' data into scratch spans. Pool reads get their buffers first.
pub(crate) fn gather(
    t: &mut Token,
    scratch_len: usize,
    spans: &mut [Span],
) -> Result<usize, Error> {
    let n = t.transaction_len();
    if n > spans.len() {
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
                ..Span::default()
            },
            Some(Request::Read(b)) => Span {
                kind: 2,
                off,
                len: b.len(),
                ..Span::default()
            },
            Some(Request::Transceive { tx, rx }) => Span {
                kind: 3,
                off,
                len: rx.len(),
                tx_len: tx.len(),
                ns: 0,
            },
            Some(Request::TransceiveInPlace(b)) => Span {
                kind: 4,
                off,
                len: b.len(),
                ..Span::default()
            },
            Some(Request::DelayNs(ns)) => Span {
                kind: 5,
                off,
                ns,
                ..Span::default()
            },
            Some(Request::Nop) => Span {
                kind: 0,
                off,
                ..Span::default()
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
pub(crate) fn fill(t: &mut Token, spans: &[Span], scratch: &mut [u8]) {
    for (i, s) in spans.iter().enumerate() {
        match t.member(i) {
            Some(Request::Write(d)) => scratch[s.off..s.off + s.len].copy_from_slice(d),
            Some(Request::TransceiveInPlace(b)) => scratch[s.off..s.off + s.len].copy_from_slice(b),
            Some(Request::Transceive { tx, .. }) => {
                scratch[s.off + s.len..s.off + s.len + s.tx_len].copy_from_slice(tx)
            }
            _ => {}
        }
    }
}

/// Copies read data from scratch back into the members' buffers.
pub(crate) fn scatter(t: &mut Token, spans: &[Span], scratch: &[u8]) {
    for (i, s) in spans.iter().enumerate() {
        match t.member(i) {
            Some(Request::Read(b)) | Some(Request::TransceiveInPlace(b)) => {
                b.copy_from_slice(&scratch[s.off..s.off + s.len])
            }
            Some(Request::Transceive { rx, .. }) => {
                rx.copy_from_slice(&scratch[s.off..s.off + s.len])
            }
            _ => {}
        }
    }
}

/// Splits `scratch` into one mutable piece per span (rx part, tx part).
pub(crate) fn pieces<'a>(
    mut scratch: &'a mut [u8],
    spans: &[Span],
    out: &mut [(&'a mut [u8], &'a mut [u8])],
) {
    for (i, s) in spans.iter().enumerate() {
        let (a, rest) = core::mem::take(&mut scratch).split_at_mut(s.len);
        let (b, rest) = rest.split_at_mut(s.tx_len);
        out[i] = (a, b);
        scratch = rest;
    }
}

/// State shared by the blocking adapters: the queue, the driver, the step guard, the worker.
pub(crate) struct Core<B> {
    pub(crate) bus: Mutex<RefCell<Option<B>>>,
    pub(crate) queue: IodevQueue,
    stepping: AtomicBool,
    #[cfg(feature = "std")]
    wake: (std::sync::Mutex<bool>, std::sync::Condvar),
}

impl<B> Core<B> {
    pub(crate) const fn new() -> Self {
        Core {
            bus: Mutex::new(RefCell::new(None)),
            queue: IodevQueue::new(),
            stepping: AtomicBool::new(false),
            #[cfg(feature = "std")]
            wake: (std::sync::Mutex::new(false), std::sync::Condvar::new()),
        }
    }

    pub(crate) fn submit(&self, t: Token) {
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
    pub(crate) fn step(&self, f: impl FnOnce(&mut B, &mut Token) -> Result<usize, Error>) -> bool {
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
    pub(crate) fn wait_for_work(&self) {
        let mut p = self.wake.0.lock().unwrap_or_else(|e| e.into_inner());
        while !*p && self.queue.is_empty() {
            p = self.wake.1.wait(p).unwrap_or_else(|e| e.into_inner());
        }
        *p = false;
    }
}

#[cfg(feature = "std")]
pub(crate) fn scratch_need(t: &mut Token) -> usize {
    let mut n = 0;
    for i in 0..t.transaction_len() {
        n += match t.member(i) {
            Some(Request::Write(d)) => d.len(),
            Some(Request::Read(b)) => b.len(),
            Some(Request::ReadPool { preferred, .. }) => preferred,
            Some(Request::Transceive { tx, rx }) => tx.len() + rx.len(),
            Some(Request::TransceiveInPlace(b)) => b.len(),
            _ => 0,
        };
    }
    n
}

/// The embedded-hal SPI operations of a gathered transaction, over the pieces of its scratch
/// buffer (the same for the blocking and the async iodev); the count used.
pub(crate) fn spi_ops<'a>(
    spans: &[Span],
    parts: &'a mut [(&'a mut [u8], &'a mut [u8])],
) -> ([embedded_hal::spi::Operation<'a, u8>; MAX_OPS], usize) {
    use embedded_hal::spi::Operation as SpiOp;
    let mut ops: [SpiOp<'a, u8>; MAX_OPS] = core::array::from_fn(|_| SpiOp::Write(&[]));
    let mut k = 0;
    for op in spi_op_iter(spans, parts).take(MAX_OPS) {
        ops[k] = op;
        k += 1;
    }
    (ops, k)
}

/// The embedded-hal SPI operation of each span that moves something, in order.
pub(crate) fn spi_op_iter<'a, 'p>(
    spans: &'p [Span],
    parts: &'a mut [(&'a mut [u8], &'a mut [u8])],
) -> impl Iterator<Item = embedded_hal::spi::Operation<'a, u8>> + 'p
where
    'a: 'p,
{
    use embedded_hal::spi::Operation as SpiOp;
    spans
        .iter()
        .zip(parts.iter_mut())
        .filter_map(|(s, (a, b))| match s.kind {
            1 => Some(SpiOp::Write(a)),
            2 => Some(SpiOp::Read(a)),
            3 => Some(SpiOp::Transfer(a, b)),
            4 => Some(SpiOp::TransferInPlace(a)),
            5 => Some(SpiOp::DelayNs(s.ns)),
            _ => None,
        })
}

/// The embedded-hal I2C operations of a gathered transaction (no full duplex: refused before
/// this is called); the count used.
pub(crate) fn i2c_ops<'a>(
    spans: &[Span],
    parts: &'a mut [(&'a mut [u8], &'a mut [u8])],
) -> ([embedded_hal::i2c::Operation<'a>; MAX_OPS], usize) {
    use embedded_hal::i2c::Operation as I2cOp;
    let mut ops: [I2cOp<'a>; MAX_OPS] = core::array::from_fn(|_| I2cOp::Write(&[]));
    let mut k = 0;
    for op in i2c_op_iter(spans, parts).take(MAX_OPS) {
        ops[k] = op;
        k += 1;
    }
    (ops, k)
}

/// The embedded-hal I2C operation of each span that moves something, in order.
pub(crate) fn i2c_op_iter<'a, 'p>(
    spans: &'p [Span],
    parts: &'a mut [(&'a mut [u8], &'a mut [u8])],
) -> impl Iterator<Item = embedded_hal::i2c::Operation<'a>> + 'p
where
    'a: 'p,
{
    use embedded_hal::i2c::Operation as I2cOp;
    spans
        .iter()
        .zip(parts.iter_mut())
        .filter_map(|(s, (a, _))| match s.kind {
            1 => Some(I2cOp::Write(a)),
            2 => Some(I2cOp::Read(a)),
            _ => None,
        })
}
