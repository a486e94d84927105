//! UART echo with timeout and cancellation: each READ is bounded by a LINK_TIMEOUT; what
//! arrives is echoed with a TINY_WRITE. After 1 s without input the read completes
//! `TimedOut`. Then a read is submitted and cancelled while it waits in the driver, and a
//! wait with a deadline runs out.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Duration, Error, Rtio, Storage};
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 4> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE).with_clock(&board::CLOCK);

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
    println!("uart: done");
    exit(last == Err(Error::TimedOut) && c.result() == Err(Error::Canceled) && back)
}
