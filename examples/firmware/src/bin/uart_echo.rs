//! UART echo with timeout and cancellation: each READ is bounded by a LINK_TIMEOUT; what
//! arrives is echoed with a TINY_WRITE. After 1 s without input the read completes
//! `TimedOut`. Then a read is submitted and cancelled while it waits in the driver, a wait
//! with a deadline runs out, and a line is received as a multishot stream (until its newline,
//! or 1 s without input). Last, a deliberately slow consumer: with the driver set to drop
//! what its ring cannot take, the program stops consuming while the runner sends a burst,
//! then reports what it received and what the driver counted as dropped.
//!
//! Every byte is accounted for: the driver counts the bytes it read from the line (`seen`)
//! and the bytes it had to drop, and the program prints both with an FNV-1a digest of what it
//! received, which the runner recomputes from what it sent.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Context, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_firmware::drivers::uart::Overflow;
use rtio_firmware::report::{self, fnv1a, FNV_START};
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 8> = Storage::new();
static POOL_STORAGE: PoolStorage<4, 16> = PoolStorage::new();
static POOL: Mempool = Mempool::new(&POOL_STORAGE);
static CTX: Rtio = Rtio::new(&STORAGE)
    .with_pool(&POOL)
    .with_clock(&board::CLOCK);

/// The line shown in the stream report (the count and the digest cover every byte).
const SHOWN: usize = 64;

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_uart(board::SYSCLK_HZ);
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();
    let mut buf: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 15] = [0; 15]).map(|b| &mut b[..]);
    println!("uart: ready");

    let mut echoed = 0;
    let mut ok = true;
    let timeout = Duration::from_millis(1000);
    let last = loop {
        let _chain = ctx
            .chain::<2>()
            .unwrap()
            .read(board::UART0, buf.take().unwrap())
            .link_timeout(timeout)
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        let mut read = rtio_firmware::consume(&ctx);
        let timer = rtio_firmware::consume(&ctx);
        let res = read.result();
        if let Buffer::Mut(b) = read.take_buffer() {
            if let Ok(n) = res {
                // Echo: the bytes are copied into the entry, so the buffer is free again.
                let _chain = ctx
                    .acquire()
                    .unwrap()
                    .tiny_write(board::UART0, &b[..n])
                    .prepare()
                    .unwrap();
                ctx.submit(1).unwrap();
                match rtio_firmware::consume(&ctx).result() {
                    Ok(w) => echoed += w,
                    Err(e) => {
                        println!("uart: echo write failed: {:?}", Err::<usize, _>(e));
                        ok = false;
                    }
                }
            }
            buf = Some(b);
        }
        if res.is_err() {
            // The read ends the loop; its timer entry says why if the read only says Canceled.
            break report::first_failure(&[res, timer.result()]).map_or(res, |(_, e)| Err(e));
        }
    };
    println!(
        "uart: echoed {} bytes, then {:?} after 1 s idle",
        echoed, last
    );
    println!(
        "uart: {} bytes seen on the line, {} dropped",
        board::uart0_seen(),
        board::uart0_dropped()
    );
    ok &= last == Err(Error::TimedOut) && board::uart0_dropped() == 0;

    // A deadline on the wait itself (S1/S14): a read is parked in the driver and nothing
    // arrives, so the wait runs out.
    let h = ctx
        .acquire()
        .unwrap()
        .read(board::UART0, buf.take().unwrap())
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let t0 = CTX.now().unwrap();
    let waited = ctx.consume_timeout(Duration::from_millis(50));
    let elapsed = CTX.now().unwrap() - t0;
    println!(
        "uart: consume with a 50 ms deadline: {:?}, waited >= 50 ms: {}",
        waited.map(|c| c.result()),
        elapsed >= Duration::from_millis(50)
    );
    // Cancellation (S7): cancel takes the parked read back, with its buffer (S3).
    ctx.cancel(h.head()).unwrap();
    let c = rtio_firmware::consume(&ctx);
    let back = matches!(c.buffer(), Buffer::Mut(_));
    println!(
        "uart: pending read cancelled: {:?}, buffer returned: {}",
        c.result(),
        back
    );
    ok &= c.result() == Err(Error::Canceled) && back;
    // A stale handle is refused (S7).
    println!("uart: cancel again: {:?}", ctx.cancel(h.head()));
    // Nothing outstanding: a wait that could never end is refused at once (S16).
    println!(
        "uart: consume with nothing outstanding: {:?}",
        ctx.consume_timeout(Duration::from_millis(50))
            .map(|c| c.result())
    );

    // The byte stream as a multishot READ: one shot per pool block of bytes, until the line
    // is complete or the line stays idle for 1 s; then cancel (its last completion says
    // Canceled).
    println!("uart: stream ready");
    let s = stream(&ctx, StreamEnd::Newline, Duration::from_millis(1000));
    let shown = &s.line[..s.len.min(SHOWN)];
    let text = core::str::from_utf8(shown).unwrap_or("?").trim_end();
    if s.newline {
        println!(
            "uart: streamed \"{}\" ({} bytes in {} shots, fnv {:#010x}), last {:?}",
            text, s.len, s.shots, s.fnv, s.last
        );
    } else {
        println!(
            "uart: stream idle for 1 s after {} bytes without a newline ({} shots, fnv {:#010x}), last {:?}",
            s.len, s.shots, s.fnv, s.last
        );
    }
    ok &= s.last == Err(Error::Canceled);

    // A deliberately slow consumer. The driver keeps draining the FIFO and drops what the
    // ring cannot take; the program does not consume until the line has been idle for
    // 300 ms, so the pool blocks (4 x 16 bytes) and the ring (1 KiB) fill and the rest of
    // the burst is dropped, and counted.
    board::uart0_set_overflow(Overflow::Drop);
    let (seen0, dropped0) = (board::uart0_seen(), board::uart0_dropped());
    println!("uart: overflow ready");
    let s = stream(&ctx, StreamEnd::Stalled, Duration::from_millis(300));
    let seen = board::uart0_seen() - seen0;
    let dropped = board::uart0_dropped() - dropped0;
    println!(
        "uart: overflow: {} bytes seen, {} received (fnv {:#010x}), {} dropped, last {:?}",
        seen, s.len, s.fnv, dropped, s.last
    );
    let accounted = seen == s.len as u32 + dropped;
    println!(
        "uart: overflow: received + dropped = seen: {}, drops counted: {}",
        accounted,
        dropped > 0
    );
    ok &= accounted && dropped > 0 && s.last == Err(Error::Canceled);
    println!("uart: done");
    exit(ok)
}

#[derive(PartialEq)]
enum StreamEnd {
    /// Stop at the first newline (or when idle).
    Newline,
    /// Consume nothing until the line has been idle, then take everything until idle again.
    Stalled,
}

struct Streamed {
    line: [u8; SHOWN],
    len: usize,
    shots: u32,
    fnv: u32,
    newline: bool,
    last: Result<usize, Error>,
}

/// Streams UART0 until `end`, with `idle` as the idle time that ends it.
fn stream(ctx: &Context, end: StreamEnd, idle: Duration) -> Streamed {
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(board::UART0, 1, 16)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    if end == StreamEnd::Stalled {
        // Wait for the first byte (10 s at most), then for the line to go idle.
        let t0 = CTX.now().unwrap();
        let start = board::uart0_seen();
        while board::uart0_seen() == start && CTX.now().unwrap() - t0 < Duration::from_secs(10) {}
        loop {
            let before = board::uart0_seen();
            let t = CTX.now().unwrap();
            while CTX.now().unwrap() - t < idle {}
            if board::uart0_seen() == before {
                break;
            }
        }
    }
    let mut s = Streamed {
        line: [0; SHOWN],
        len: 0,
        shots: 0,
        fnv: FNV_START,
        newline: false,
        last: Ok(0),
    };
    let mut cancelled = false;
    s.last = loop {
        let mut c = match ctx.consume_timeout(idle) {
            Ok(c) => c,
            Err(_) => {
                // Idle: end the stream; its last completion follows.
                if !cancelled {
                    ctx.cancel(h.head()).unwrap();
                    cancelled = true;
                }
                continue;
            }
        };
        if let Buffer::Pool(p) = c.take_buffer() {
            s.shots += 1;
            for &b in p.iter() {
                if let Some(slot) = s.line.get_mut(s.len) {
                    *slot = b;
                }
                s.len += 1;
            }
            s.fnv = fnv1a(s.fnv, &p);
            if end == StreamEnd::Newline && !cancelled && p.contains(&b'\n') {
                s.newline = true;
                ctx.cancel(h.head()).unwrap();
                cancelled = true;
            }
        }
        if !c.more() {
            break c.result();
        }
    };
    s
}
