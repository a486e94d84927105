//! Example 6: UART reads with a timeout, and cancellation.
//!
//! Three reads of 8 bytes on a simulated 115200-baud UART whose bytes arrive "whenever the
//! other side sends them":
//! 1. the sender sends a full message: the read completes with the bytes, and its
//!    LINK_TIMEOUT completes `Ok(0)` (it did not fire);
//! 2. the sender sends only 3 bytes: the read completes `TimedOut`, its LINK_TIMEOUT too (S8);
//! 3. nobody sends: the application cancels the read: `Canceled` (S7).
//!
//! Then the transmit side: a write takes 10 bits a byte at the baud rate. Last, a multishot
//! read receives whatever arrives, whenever it arrives (a sender thread types a line in
//! bursts), one pool buffer per receive interrupt with the bytes that came since, until the
//! line is complete and the stream is cancelled. And the same UART as an `embedded-io`
//! byte stream ([`rtio_hal::Serial`]): `write_all`, then `read_exact` of the reply.
//!
//! Run: `cargo run -p rtio-examples --example uart`
//! Test: `cargo test -p rtio-examples --example uart`.

use rtio::{Buffer, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_examples::support::{claim, static_buf};
use rtio_sim::Uart;
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
    /// The line received by the multishot read.
    pub line: Vec<u8>,
    /// Buffers (shots) it took: one per receive interrupt.
    pub line_shots: usize,
    /// Result of the stream's last completion.
    pub stream_end: Result<usize, Error>,
    /// What `embedded_io::Write::write_all` put on the line.
    pub io_sent: Vec<u8>,
    /// What `embedded_io::Read::read_exact` got back.
    pub io_reply: Vec<u8>,
    /// Pool blocks free at the end, and in total.
    pub pool_free: (usize, usize),
}

fn drain(ctx: &rtio::Context, n: usize) -> Outcome {
    let mut out = Vec::new();
    let mut data = Vec::new();
    for _ in 0..n {
        let mut c = ctx.consume().expect("a completion is outstanding");
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
    static POOL_STORAGE: PoolStorage<8, 32> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_clock(&rtio::time::STD_CLOCK)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;
    let uart = Uart::device("uart0", 115_200, 64);
    let timeout = Duration::from_millis(100);

    // 1. The message arrives in time (8 bytes at 115200 baud: ~0.7 ms).
    let _ = ctx
        .chain::<2>()?
        .read(uart.dev(), static_buf::<8>())
        .userdata(1)
        .link_timeout(timeout)
        .userdata(2)
        .submit()?;
    uart.inject(b"RTIO-OK!");
    let complete = drain(&ctx, 2);

    // 2. Only three bytes come: the read times out.
    let t0 = Instant::now();
    let _ = ctx
        .chain::<2>()?
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
        .wait_checked()?; // Err names the entry that failed first (S17)
    w[0].result()?;
    let write_time = t0.elapsed();
    let transmitted = uart.take_written();

    // A stream of whatever arrives: the other side types a line in bursts.
    let h = ctx
        .acquire()?
        .read_multishot(uart.dev(), 1, 32)
        .userdata(7)
        .submit()?;
    let sender = std::thread::spawn(move || {
        for burst in [&b"$GPGGA,12"[..], b"3519,4807.038,N", b"*47\n"] {
            uart.inject(burst);
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
    });
    let (mut line, mut line_shots, mut stop_sent) = (Vec::new(), 0, false);
    let stream_end = loop {
        let mut c = ctx.consume()?;
        if let Buffer::Pool(p) = c.take_buffer() {
            line.extend_from_slice(&p);
            line_shots += 1;
        }
        if !c.more() {
            break c.result();
        }
        if !stop_sent && line.ends_with(b"\n") {
            ctx.cancel(h.head())?;
            stop_sent = true;
        }
    };
    let _ = sender.join();

    // The same UART as an embedded-io byte stream.
    let (io_sent, io_reply) = {
        use embedded_io::{Read as _, Write as _};
        let mut serial = rtio_hal::Serial::new(&ctx, uart.dev());
        serial.write_all(b"AT+GMR\r\n").map_err(Error::from)?;
        uart.inject(b"OK\r\n");
        let mut reply = [0u8; 4];
        serial.read_exact(&mut reply).map_err(|e| match e {
            embedded_io::ReadExactError::Other(e) => e.rtio(),
            embedded_io::ReadExactError::UnexpectedEof => Error::InvalidArgument,
        })?;
        (uart.take_written(), reply.to_vec())
    };
    Ok(Report {
        complete,
        timed_out,
        canceled,
        timeout_after,
        transmitted,
        write_time,
        line,
        line_shots,
        stream_end,
        io_sent,
        io_reply,
        pool_free: (POOL.free_blocks(), POOL.blocks()),
    })
}

// The printing: `cargo run -p rtio-examples --example uart`.
fn main() -> Result<(), rtio::Error> {
    let r = run()?;
    println!(
        "full message:   {:?}  data {:?}",
        r.complete.0,
        String::from_utf8_lossy(&r.complete.1)
    );
    println!(
        "short message:  {:?}  after {:?}",
        r.timed_out.0, r.timeout_after
    );
    println!("nobody sends:   {:?}", r.canceled.0);
    println!(
        "transmitted {:?} in {:?}",
        String::from_utf8_lossy(&r.transmitted),
        r.write_time
    );
    println!(
        "stream: {:?} in {} buffers, then {:?}; pool {}/{} free",
        String::from_utf8_lossy(&r.line),
        r.line_shots,
        r.stream_end,
        r.pool_free.0,
        r.pool_free.1
    );
    println!(
        "embedded-io: sent {:?}, got {:?}",
        String::from_utf8_lossy(&r.io_sent),
        String::from_utf8_lossy(&r.io_reply)
    );
    Ok(())
}

// The assertions: `cargo test -p rtio-examples --example uart`.
/// Example 6: UART reads complete, time out, or are cancelled: one completion each.
#[cfg(test)]
mod tests {
    use super::*;
    use rtio::Error;

    #[test]
    fn uart_read_completes_times_out_and_cancels() {
        let r = run().unwrap();
        assert_eq!(r.complete.0, vec![(1, Ok(8)), (2, Ok(0))]);
        assert_eq!(r.complete.1, b"RTIO-OK!");
        assert_eq!(
            r.timed_out.0,
            vec![(3, Err(Error::TimedOut)), (4, Err(Error::TimedOut))]
        );
        assert!(r.timeout_after >= std::time::Duration::from_millis(100));
        assert_eq!(r.canceled.0, vec![(5, Err(Error::Canceled))]);
        assert_eq!(r.transmitted, b"hello, world\r\n");
        // 14 bytes at 115200 baud, 10 bits each: 1.215 ms.
        assert!(r.write_time >= std::time::Duration::from_micros(1215));
        // The multishot read: the line, in at least one buffer per burst, then Canceled.
        // The three bytes of the timed-out read were still in the FIFO: they come first.
        assert_eq!(r.line, b"abc$GPGGA,123519,4807.038,N*47\n");
        assert!(r.line_shots >= 3, "{} shots", r.line_shots);
        assert_eq!(r.stream_end, Err(Error::Canceled));
        assert_eq!(r.io_sent, b"AT+GMR\r\n");
        assert_eq!(r.io_reply, b"OK\r\n");
        assert_eq!(r.pool_free.0, r.pool_free.1);
    }
}
