//! UART echo with timeout and cancellation: each READ is bounded by a LINK_TIMEOUT; what
//! arrives is echoed with a TINY_WRITE. After 1 s without input the read completes
//! `TimedOut`. Then a read is submitted and cancelled while it waits in the driver, a wait
//! with a deadline runs out, and a line is received as a multishot stream.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 8> = Storage::new();
static POOL_STORAGE: PoolStorage<4, 16> = PoolStorage::new();
static POOL: Mempool = Mempool::new(&POOL_STORAGE);
static CTX: Rtio = Rtio::new(&STORAGE)
    .with_pool(&POOL)
    .with_clock(&board::CLOCK);

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
    let timeout = Duration::from_millis(1000);
    let last = loop {
        ctx.chain::<2>()
            .unwrap()
            .read(board::UART0, buf.take().unwrap())
            .link_timeout(timeout)
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        let mut read = ctx.consume();
        let _timer = ctx.consume();
        let res = read.result();
        if let Buffer::Mut(b) = read.take_buffer() {
            if let Ok(n) = res {
                // Echo: the bytes are copied into the entry, so the buffer is free again.
                ctx.acquire()
                    .unwrap()
                    .tiny_write(board::UART0, &b[..n])
                    .prepare()
                    .unwrap();
                ctx.submit(1).unwrap();
                echoed += ctx.consume().result().unwrap_or(0);
            }
            buf = Some(b);
        }
        if res.is_err() {
            break res;
        }
    };
    println!(
        "uart: echoed {} bytes, then {:?} after 1 s idle",
        echoed, last
    );

    // Cancellation (S7): the read is parked in the driver; cancel takes it back.
    let h = ctx
        .acquire()
        .unwrap()
        .read(board::UART0, buf.take().unwrap())
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    ctx.cancel(h.head()).unwrap();
    let c = ctx.consume();
    let back = matches!(c.buffer(), Buffer::Mut(_));
    println!(
        "uart: pending read cancelled: {:?}, buffer returned: {}",
        c.result(),
        back
    );
    // A stale handle is refused (S7).
    println!("uart: cancel again: {:?}", ctx.cancel(h.head()));
    // A deadline on the wait itself (S1/S14): nothing is in flight, so it runs out.
    let t0 = CTX.now().unwrap();
    let waited = ctx.consume_timeout(Duration::from_millis(50));
    let elapsed = CTX.now().unwrap() - t0;
    println!(
        "uart: consume with a 50 ms deadline: {:?}, waited >= 50 ms: {}",
        waited.map(|c| c.result()),
        elapsed >= Duration::from_millis(50)
    );

    // The byte stream as a multishot READ: one shot per receive interrupt's bytes, in pool
    // blocks, until the line is complete; then cancel (its last completion says Canceled).
    println!("uart: stream ready");
    let stream = ctx
        .acquire()
        .unwrap()
        .read_multishot(board::UART0, 1, 16)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let (mut line, mut len, mut shots, mut cancelled) = ([0u8; 64], 0, 0, false);
    let stream_last = loop {
        let mut c = ctx.consume();
        if let Buffer::Pool(p) = c.take_buffer() {
            shots += 1;
            for &b in p.iter() {
                if len < line.len() {
                    line[len] = b;
                    len += 1;
                }
            }
            if !cancelled && p.contains(&b'\n') {
                ctx.cancel(stream.head()).unwrap();
                cancelled = true;
            }
        }
        if !c.more() {
            break c.result();
        }
    };
    let text = core::str::from_utf8(&line[..len]).unwrap_or("?").trim_end();
    println!(
        "uart: streamed \"{}\" ({} bytes in {} shots), last {:?}",
        text, len, shots, stream_last
    );
    println!("uart: done");
    exit(
        last == Err(Error::TimedOut)
            && c.result() == Err(Error::Canceled)
            && back
            && stream_last == Err(Error::Canceled),
    )
}
