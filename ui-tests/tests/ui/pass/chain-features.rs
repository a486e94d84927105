//! Everything a chain can say, in one place: a transaction group, a LINK_TIMEOUT bounding it,
//! a full-duplex transfer with priority and HARDLINK, a callback that sees the transfer's
//! result, and an entry without completion; a context in a module with a clock; the owner
//! side passed by reference; a future finished with `=> run`.
#![forbid(unsafe_code)] // the expansions need no `unsafe`
use core::sync::atomic::{AtomicU64, Ordering};
use rtio::{Clock, Context, Duration, Error, Instant, Priority};
use rtio_macros::chain;
use ui_tests::{leak, DISPLAY, FLASH, TEMP};

/// A clock that advances 100 µs per reading.
struct Ticks(AtomicU64);
impl Clock for Ticks {
    fn now(&self) -> Instant {
        Instant::from_micros(self.0.fetch_add(100, Ordering::Relaxed))
    }
}
static CLOCK: Ticks = Ticks(AtomicU64::new(0));

mod board {
    use rtio_macros::rtio_define;
    #[rtio_define(sq = 8, cq = 8, clock = super::CLOCK)]
    /// The application's context.
    pub static CTX: rtio::Rtio;
}

static TX: [u8; 4] = [0x9f, 0, 0, 0];
/// Not a literal: its type `[u8; 1]` shows it fits an entry.
const DISPLAY_ON: [u8; 1] = [0xaf];

fn double(prev: Result<usize, Error>, arg: usize) -> Result<usize, Error> {
    prev.map(|n| n * arg)
}

fn run(ctx: &Context) -> Result<(), Error> {
    let (rx, id) = (leak::<2>(), leak::<4>());
    let h = chain!(ctx: board::CTX, [
        transaction[ tiny_write(TEMP, [0x00]), read(TEMP, rx) ],
        link_timeout(Duration::from_millis(50)),
        transceive(FLASH, &TX, id).priority(Priority::High).hardlink(),
        callback(double, 2).userdata(9),
        tiny_write(DISPLAY, DISPLAY_ON).no_response(),
    ] => submit)?;
    assert_eq!(h.handles().len(), 6); // one entry posts no completion
    let mut done = Vec::new();
    while done.len() < 5 {
        let c = ctx.consume().unwrap();
        done.push((c.userdata(), c.result()));
    }
    assert!(done.contains(&(9, Ok(8))), "{done:?}");

    let fut = chain!(ctx: board::CTX, [ nop().userdata(3) ] => run)?;
    let [c] = rtio::block_on(fut);
    assert_eq!(c.userdata(), 3);
    Ok(())
}

fn main() -> Result<(), Error> {
    let ctx = board::CTX.claim().expect("first claim");
    assert_eq!((board::CTX::SQ, board::CTX::HAS_POOL), (8, false));
    run(&ctx)
}
