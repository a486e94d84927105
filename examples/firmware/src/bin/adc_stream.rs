//! ADC stream: Timer 1 triggers sequencer 0 at a rate the program picks; one multishot READ
//! delivers the samples in pool buffers, which go back to the pool when dropped, so a pool
//! of 8 blocks carries any number of shots. After 200 ms of virtual time (`-icount
//! shift=0`) the stream is cancelled and the sample count is checked against the time.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
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

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_adc();
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();

    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(board::ADC0, 64, 64)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let t0 = CTX.now().unwrap();
    board::start_adc_trigger(board::SYSCLK_HZ, RATE_HZ);

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
        if !cancelled && CTX.now().unwrap() - t0 >= RUN {
            board::ADC_TRIGGER.stop();
            ctx.cancel(h.head()).unwrap();
            cancelled = true;
        }
    };
    let elapsed = (CTX.now().unwrap() - t0).as_micros();
    let expected = RATE_HZ as u64 * PER_TRIGGER * elapsed / 1_000_000;
    println!(
        "adc: {} samples in {} shots over {} us at {} Hz, expected {}",
        samples, shots, elapsed, RATE_HZ, expected
    );
    // One tick of the clock (1 ms) is the uncertainty on each side.
    let tolerance = 2 * RATE_HZ as u64 * PER_TRIGGER / 1000;
    let rate_ok = samples.abs_diff(expected) <= tolerance;
    println!("adc: count matches the elapsed time: {}", rate_ok);
    println!("adc: samples in 0x200..=0x207: {}", in_range);
    println!(
        "adc: pool blocks recycled: {}",
        shots as usize > POOL.blocks() && POOL.free_blocks() == POOL.blocks()
    );
    println!(
        "adc: last completion {:?}, overruns {}",
        last,
        board::adc_overruns()
    );
    exit(rate_ok && in_range && last == Err(Error::Canceled))
}
