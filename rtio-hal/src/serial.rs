//! A UART iodev as an `embedded_io` / `embedded_io_async` byte stream.

use rtio::caps;
use rtio::Buffer;
use rtio::Context;
use rtio::Dev;
use rtio::Error;
use rtio::TINY_MAX;

/// A UART (any iodev that reads and writes bytes) as a byte stream: implements
/// `embedded_io::{Read, Write}` and `embedded_io_async::{Read, Write}`.
///
/// `read` waits until at least one byte arrived and returns what is there, up to the
/// buffer's length (one pool read with a minimum of 1 byte, so the context needs a
/// [`rtio::Mempool`]). The blocking `write` sends the whole buffer in one WRITE of the
/// caller's bytes; the async `write` sends up to 15 bytes (copied into one TINY_WRITE) and
/// returns how many, as the embedded-io contract allows; `write_all` loops.
///
/// ```
/// use embedded_io::{Read, Write};
/// use rtio_hal::Serial;
/// use rtio_sim::Uart;
/// use rtio::{Mempool, PoolStorage, Rtio, Storage};
///
/// static POOL_STORAGE: PoolStorage<4, 64> = PoolStorage::new();
/// static POOL: Mempool = Mempool::new(&POOL_STORAGE);
/// static STORAGE: Storage<4, 4> = Storage::new();
/// static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL).with_clock(&rtio::time::STD_CLOCK);
///
/// let uart = Uart::device("uart-doc", 115_200, 64);
/// let ctx = RTIO.claim().unwrap();
/// let mut serial = Serial::new(&ctx, uart.dev());
/// serial.write_all(b"AT\r\n")?;
/// assert_eq!(uart.take_written(), b"AT\r\n");
/// uart.inject(b"OK");
/// let mut buf = [0u8; 2];
/// serial.read_exact(&mut buf).unwrap();
/// assert_eq!(&buf, b"OK");
/// # Ok::<(), rtio::Error>(())
/// ```
#[derive(Debug)]
pub struct Serial<'c, K: caps::Kind> {
    ctx: &'c Context,
    dev: Dev<K>,
}

impl<'c, K: caps::Read + caps::Write> Serial<'c, K> {
    /// A byte stream over `dev`, submitting through `ctx`.
    pub fn new(ctx: &'c Context, dev: Dev<K>) -> Self {
        Serial { ctx, dev }
    }

    /// A pool read of 1 to `buf.len()` bytes: what has arrived, once something has.
    fn read_chain(&self, buf: &[u8]) -> Result<rtio::Chain<'c, 1>, Error> {
        Ok(self.ctx.acquire()?.read_pool(self.dev, 1, buf.len()))
    }

    fn take(mut c: rtio::Completion, buf: &mut [u8]) -> Result<usize, Error> {
        let n = c.result()?.min(buf.len());
        match c.take_buffer() {
            Buffer::Pool(p) => {
                buf[..n].copy_from_slice(&p[..n]);
                Ok(n)
            }
            _ => Err(Error::NoMemory),
        }
    }

    fn read_blocking(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let [c] = self.read_chain(buf)?.wait()?;
        Self::take(c, buf)
    }

    async fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let [c] = self.read_chain(buf)?.run()?.await;
        Self::take(c, buf)
    }

    /// Blocking: the whole buffer in one WRITE of the caller's bytes (no copy).
    fn write_blocking(&mut self, buf: &[u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let dev = self.dev;
        self.ctx.scope(|s| {
            let op = s.write(dev, buf)?;
            s.wait(op)
        })
    }

    /// Async: up to 15 bytes copied into one TINY_WRITE; the caller's buffer is never lent
    /// to an operation a dropped future could leave behind.
    async fn write_some(&mut self, buf: &[u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let chunk = &buf[..buf.len().min(TINY_MAX)];
        let [c] = self.ctx.acquire()?.tiny_write(self.dev, chunk).run()?.await;
        c.result()
    }
}

impl<K: caps::Kind> embedded_io::ErrorType for Serial<'_, K> {
    type Error = crate::Error;
}

impl<K: caps::Read + caps::Write> embedded_io::Read for Serial<'_, K> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, crate::Error> {
        self.read_blocking(buf).map_err(crate::Error::from)
    }
}

impl<K: caps::Read + caps::Write> embedded_io::Write for Serial<'_, K> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, crate::Error> {
        self.write_blocking(buf).map_err(crate::Error::from)
    }
    fn flush(&mut self) -> Result<(), crate::Error> {
        Ok(()) // a write completes when its bytes are on the line
    }
}

impl<K: caps::Read + caps::Write> embedded_io_async::Read for Serial<'_, K> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, crate::Error> {
        self.read_some(buf).await.map_err(crate::Error::from)
    }
}

impl<K: caps::Read + caps::Write> embedded_io_async::Write for Serial<'_, K> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, crate::Error> {
        self.write_some(buf).await.map_err(crate::Error::from)
    }
    async fn flush(&mut self) -> Result<(), crate::Error> {
        Ok(())
    }
}
