//! ADC stream: Timer 1 triggers sequencer 0 at a rate the program picks; one multishot READ
//! delivers the samples in pool buffers, which go back to the pool when dropped, so a pool
//! of 8 blocks carries any number of shots. After 200 ms of virtual time (`-icount
//! shift=0`) the stream is cancelled and the sample count is checked against the time. A
//! second run stalls the consumer for 200 ms: the samples the driver had to drop are
//! counted as overruns, and received + dropped again matches the time.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Context, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
static POOL: Mempool = Mempool::new(&POOL_STORAGE);
static STORAGE: Storage<2, 8> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE)
    .with_pool(&POOL)
    .with_clock(&board::CLOCK);

const RATE_HZ: u32 = 1000;
const RUN: Duration = Duration::from_millis(200);
/// QEMU's ADC pushes two samples per trigger.
const PER_TRIGGER: u64 = 2;
/// One tick of the clock (1 ms) of uncertainty on each side.
const TOLERANCE: u64 = 2 * RATE_HZ as u64 * PER_TRIGGER / 1000;

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_adc();
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();

    // 1. The consumer keeps up: every sample arrives.
    let a = stream(&ctx, RUN, Duration::ZERO);
    println!(
        "adc: {} samples in {} shots over {} us at {} Hz, expected {}",
        a.samples, a.shots, a.elapsed_us, RATE_HZ, a.expected
    );
    let rate_ok = a.samples.abs_diff(a.expected) <= TOLERANCE;
    println!("adc: count matches the elapsed time: {}", rate_ok);
    println!("adc: samples in 0x200..=0x207: {}", a.in_range);
    println!(
        "adc: pool blocks recycled: {}",
        a.shots as usize > POOL.blocks() && POOL.free_blocks() == POOL.blocks()
    );
    println!("adc: last completion {:?}", a.last);

    // 2. The consumer stalls for 200 ms (the pool holds 128 ms of samples): the completion
    //    side and the pool fill up, the driver drops samples and counts them (S9); nothing
    //    else is lost.
    let before = board::adc_overruns() as u64;
    let b = stream(&ctx, Duration::from_millis(300), Duration::from_millis(200));
    let dropped = board::adc_overruns() as u64 - before;
    let accounted = (b.samples + dropped).abs_diff(b.expected) <= TOLERANCE;
    println!(
        "adc: stalled consumer: {} received + {} dropped, expected {}",
        b.samples, dropped, b.expected
    );
    println!(
        "adc: stalled consumer: drops counted: {}, all accounted for: {}, last {:?}",
        dropped > 0,
        accounted,
        b.last
    );
    exit(
        rate_ok
            && a.in_range
            && a.last == Err(Error::Canceled)
            && dropped > 0
            && accounted
            && b.last == Err(Error::Canceled),
    )
}

struct Stats {
    samples: u64,
    shots: u32,
    in_range: bool,
    last: Result<usize, Error>,
    elapsed_us: u64,
    expected: u64,
}

/// Streams for `run`, consuming only after `stall`, then cancels (S7).
fn stream(ctx: &Context, run: Duration, stall: Duration) -> Stats {
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(board::ADC0, 64, 64)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let t0 = CTX.now().unwrap();
    board::start_adc_trigger(board::SYSCLK_HZ, RATE_HZ);
    // Busy-wait (WFI would make -icount timing depend on the host).
    while CTX.now().unwrap() - t0 < stall {}

    let (mut samples, mut shots, mut in_range, mut cancelled) = (0u64, 0u32, true, false);
    let last = loop {
        let mut c = ctx.consume();
        if let Buffer::Pool(p) = c.take_buffer() {
            shots += 1;
            samples += p.len() as u64 / 2;
            in_range &= p
                .chunks_exact(2)
                .all(|s| (0x200..=0x207).contains(&u16::from_le_bytes([s[0], s[1]])));
            // `p` is dropped here: its block goes back to the pool (S11).
        }
        if !c.more() {
            break c.result();
        }
        if !cancelled && CTX.now().unwrap() - t0 >= run {
            board::ADC_TRIGGER.stop();
            ctx.cancel(h.head()).unwrap();
            cancelled = true;
        }
    };
    let elapsed_us = (CTX.now().unwrap() - t0).as_micros();
    Stats {
        samples,
        shots,
        in_range,
        last,
        elapsed_us,
        expected: RATE_HZ as u64 * PER_TRIGGER * elapsed_us / 1_000_000,
    }
}
