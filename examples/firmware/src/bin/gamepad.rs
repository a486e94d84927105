//! The navigation switch as a stream: one multishot READ delivers key events (GPIO both-edge
//! interrupts) in pool blocks. The runner presses keys with the monitor's `sendkey`; after
//! eight events the stream is cancelled.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_firmware::drivers::gamepad::decode;
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static POOL_STORAGE: PoolStorage<4, 8> = PoolStorage::new();
static POOL: Mempool = Mempool::new(&POOL_STORAGE);
static STORAGE: Storage<2, 8> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE)
    .with_pool(&POOL)
    .with_clock(&board::CLOCK);

const EVENTS: usize = 8;

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_keys();
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(board::KEYS, 1, 8)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    println!("gamepad: ready");

    let mut seen = 0;
    let last = loop {
        let mut c = rtio_firmware::consume(&ctx);
        if let Buffer::Pool(p) = c.take_buffer() {
            for &e in p.iter() {
                let (key, pressed) = decode(e);
                println!(
                    "gamepad: {:?} {}",
                    key,
                    if pressed { "pressed" } else { "released" }
                );
                seen += 1;
            }
            if seen >= EVENTS {
                ctx.cancel(h.head()).unwrap();
            }
        }
        if !c.more() {
            break c.result();
        }
    };
    println!("gamepad: stream ended {:?}", last);
    exit(last == Err(Error::Canceled))
}
