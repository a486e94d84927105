//! Example 6: UART reads with a timeout, and cancellation.
//!
//! Three reads of 8 bytes on a simulated 115200-baud UART whose bytes arrive "whenever the
//! other side sends them":
//! 1. the sender sends a full message: the read completes with the bytes, and its
//!    LINK_TIMEOUT completes `Ok(0)` (it did not fire);
//! 2. the sender sends only 3 bytes: the read completes `TimedOut`, its LINK_TIMEOUT too (S8);
//! 3. nobody sends: the application cancels the read: `Canceled` (S7).
//!
//! Then the transmit side: a write takes 10 bits a byte at the baud rate.

use crate::support::{claim, static_buf};
use rtio::sim::Uart;
use rtio::{Buffer, Duration, Error, Rtio, Storage};
use std::time::Instant;

/// One scenario's completions: (userdata, result), and the bytes read if any.
pub type Outcome = (Vec<(usize, Result<usize, Error>)>, Vec<u8>);

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Full message within the timeout (100 ms).
    pub complete: Outcome,
    /// Short message: timed out.
    pub timed_out: Outcome,
    /// Nothing sent: cancelled after 20 ms.
    pub canceled: Outcome,
    /// How long the timed-out read took.
    pub timeout_after: std::time::Duration,
    /// What the transmit line carried.
    pub transmitted: Vec<u8>,
    /// How long writing it took.
    pub write_time: std::time::Duration,
}

fn drain(ctx: &rtio::Context, n: usize) -> Outcome {
    let mut out = Vec::new();
    let mut data = Vec::new();
    for _ in 0..n {
        let mut c = ctx.consume();
        out.push((c.userdata(), c.result()));
        if let (Ok(k), Buffer::Mut(b)) = (c.result(), c.take_buffer()) {
            data.extend_from_slice(&b[..k]);
        }
    }
    (out, data)
}

/// Runs the three scenarios.
///
/// # Errors
/// Acquire/submit/cancel errors.
pub fn run() -> Result<Report, Error> {
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE);
    let ctx = claim(&RTIO)?;
    let uart = Uart::device("uart0", 115_200, 64);
    let timeout = Duration::from_millis(100);

    // 1. The message arrives in time (8 bytes at 115200 baud: ~0.7 ms).
    ctx.chain::<2>()?
        .read(uart.dev(), static_buf::<8>())
        .userdata(1)
        .link_timeout(timeout)
        .userdata(2)
        .submit()?;
    uart.inject(b"RTIO-OK!");
    let complete = drain(&ctx, 2);

    // 2. Only three bytes come: the read times out.
    let t0 = Instant::now();
    ctx.chain::<2>()?
        .read(uart.dev(), static_buf::<8>())
        .userdata(3)
        .link_timeout(timeout)
        .userdata(4)
        .submit()?;
    uart.inject(b"abc");
    let timed_out = drain(&ctx, 2);
    let timeout_after = t0.elapsed();

    // The three bytes that did arrive were not lost: they are still in the FIFO.
    // 3. Nothing comes; the application gives up on its own.
    let h = ctx
        .acquire()?
        .read(uart.dev(), static_buf::<16>())
        .userdata(5)
        .submit()?;
    std::thread::sleep(std::time::Duration::from_millis(20));
    ctx.cancel(h.head())?;
    let canceled = drain(&ctx, 1);

    let t0 = Instant::now();
    let w = ctx
        .acquire()?
        .write(uart.dev(), b"hello, world\r\n")
        .userdata(6)
        .wait()?;
    w[0].result()?;
    let write_time = t0.elapsed();
    Ok(Report {
        complete,
        timed_out,
        canceled,
        timeout_after,
        transmitted: uart.take_written(),
        write_time,
    })
}
