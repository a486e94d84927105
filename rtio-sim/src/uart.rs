//! A UART as a FIFO device: bytes in by injection, bytes out at the baud rate.

use crate::{Source, StreamConfig, StreamDevice};

/// A UART: bytes arrive whenever the outside world sends them ([`StreamDevice::inject`]);
/// reads complete when their buffer is full; writes take 10 bits a byte at the baud rate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uart;

impl Uart {
    /// Starts a UART at `baud` with a receive FIFO of `fifo` bytes. A multishot read gets a
    /// buffer (without header) for every byte or run of bytes received.
    ///
    /// ```
    /// use rtio_sim::Uart;
    /// use rtio::{Duration, Error, Rtio, Storage};
    /// static STORAGE: Storage<4, 4> = Storage::new();
    /// static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    /// let uart = Uart::device("uart-read-doc", 115_200, 32);
    /// let ctx = RTIO.claim().unwrap();
    /// let rx: &'static mut [u8; 4] = Box::leak(Box::new([0; 4]));
    /// // Nothing arrives: the LINK_TIMEOUT ends the read (S8).
    /// let [read, timeout] = ctx
    ///     .chain::<2>()?
    ///     .read(uart.dev(), rx)
    ///     .link_timeout(Duration::from_millis(10))
    ///     .wait()?;
    /// assert_eq!((read.result(), timeout.result()), (Err(Error::TimedOut), Err(Error::TimedOut)));
    /// # Ok::<(), rtio::Error>(())
    /// ```
    pub fn device(name: &str, baud: u32, fifo: usize) -> &'static StreamDevice {
        StreamDevice::new(
            name,
            Uart,
            StreamConfig {
                rate_hz: 0,
                fifo,
                watermark: 1,
                header: false,
                write_bps: baud,
            },
        )
    }
}

impl Source for Uart {
    fn frame_size(&self) -> usize {
        1
    }
    fn frame(&mut self, _n: u64, _t_us: u64, _out: &mut [u8]) {}
}
