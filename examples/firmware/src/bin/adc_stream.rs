//! ADC stream: Timer 1 triggers sequencer 0 at 1 kHz; one multishot READ delivers the
//! samples in pool buffers, which go back to the pool when dropped, so a pool of 8 blocks
//! carries any number of shots.
//!
//! The runner decides how long each stream runs, by QEMU's virtual clock: it pauses QEMU,
//! reads the instruction count (`-icount shift=0`: one instruction is one nanosecond), sends
//! `g` on UART0 and resumes; later it pauses again, reads the count, sends `s`. On `g` the
//! program starts the stream and the trigger, on `s` it stops both and cancels the stream,
//! then prints what it received and what the driver counted as dropped. The runner checks
//! received + dropped against the virtual time between its two readings, so the count is
//! judged by a clock the firmware does not keep. The program busy-waits throughout (WFI/WFE
//! idle time is not instruction time under `-icount`).
//!
//! Two streams: one whose consumer keeps up (nothing may be dropped), one whose consumer
//! stalls for 200 ms first (the pool holds 128 ms of samples): the driver drops samples and
//! counts them (S9), and nothing else is lost.
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
/// UART0 commands from the runner, on their own context so that they can be polled while
/// the ADC's completions wait.
static UART_STORAGE: Storage<2, 2> = Storage::new();
static UCTX: Rtio = Rtio::new(&UART_STORAGE);

const RATE_HZ: u32 = 1000;

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_adc();
    board::init_uart(board::SYSCLK_HZ);
    let ctx = CTX.claim_with(&rtio::wait::SPIN).unwrap();
    let uctx = UCTX.claim_with(&rtio::wait::SPIN).unwrap();
    let mut cmd: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 1] = [0]).map(|b| &mut b[..]);
    println!("adc: ready at {} Hz", RATE_HZ);

    // 1. The consumer keeps up: every sample arrives.
    let a = stream(&ctx, &uctx, &mut cmd, Duration::ZERO);
    println!(
        "adc: kept up: {} received + {} dropped in {} shots, last {:?}",
        a.samples, a.dropped, a.shots, a.last
    );
    println!("adc: samples in 0x200..=0x207: {}", a.in_range);
    println!(
        "adc: pool blocks recycled: {}",
        a.shots as usize > POOL.blocks() && POOL.free_blocks() == POOL.blocks()
    );

    // 2. The consumer stalls for 200 ms: the completion side and the pool fill up, the
    //    driver drops samples and counts them (S9).
    let b = stream(&ctx, &uctx, &mut cmd, Duration::from_millis(200));
    println!(
        "adc: stalled: {} received + {} dropped in {} shots, last {:?}",
        b.samples, b.dropped, b.shots, b.last
    );
    exit(
        a.in_range
            && a.dropped == 0
            && a.last == Err(Error::Canceled)
            && b.dropped > 0
            && b.last == Err(Error::Canceled),
    )
}

struct Stats {
    samples: u64,
    dropped: u64,
    shots: u32,
    in_range: bool,
    last: Result<usize, Error>,
}

/// Waits for the runner's command byte; returns it.
fn command(uctx: &Context, buf: &mut Option<&'static mut [u8]>) -> u8 {
    let Some(b) = buf.take() else {
        println!("adc: command buffer lost");
        exit(false)
    };
    let _chain = uctx
        .acquire()
        .unwrap()
        .read(board::UART0, b)
        .prepare()
        .unwrap();
    uctx.submit(1).unwrap();
    let mut c = rtio_firmware::consume(uctx);
    let r = c.result();
    match c.take_buffer() {
        Buffer::Mut(b) if r == Ok(1) => {
            let v = b[0];
            *buf = Some(b);
            v
        }
        _ => {
            println!("adc: command read failed: {:?}", r);
            exit(false)
        }
    }
}

/// On `g`: streams, consuming only after `stall`, until `s`; then cancels (S7).
fn stream(
    ctx: &Context,
    uctx: &Context,
    cmd: &mut Option<&'static mut [u8]>,
    stall: Duration,
) -> Stats {
    while command(uctx, cmd) != b'g' {}
    let before = board::adc_overruns() as u64;
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(board::ADC0, 64, 64)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    board::start_adc_trigger(board::SYSCLK_HZ, RATE_HZ);
    let t0 = CTX.now().unwrap();
    // Busy-wait (WFI would make -icount timing depend on the host).
    while CTX.now().unwrap() - t0 < stall {}
    println!("adc: consuming");

    // The stop command, read while the samples are consumed.
    let Some(b) = cmd.take() else { exit(false) };
    let _chain = uctx
        .acquire()
        .unwrap()
        .read(board::UART0, b)
        .prepare()
        .unwrap();
    uctx.submit(0).unwrap();

    let (mut samples, mut shots, mut in_range, mut cancelled) = (0u64, 0u32, true, false);
    let last = loop {
        if !cancelled {
            if let Some(mut c) = uctx.try_consume() {
                let byte = match c.take_buffer() {
                    Buffer::Mut(b) => {
                        let v = b[0];
                        *cmd = Some(b);
                        Some(v)
                    }
                    _ => None,
                };
                if byte == Some(b's') {
                    board::ADC_TRIGGER.stop();
                    ctx.cancel(h.head()).unwrap();
                    cancelled = true;
                } else {
                    println!("adc: unexpected command {:?}", c.result());
                    exit(false);
                }
            }
        }
        let Some(mut c) = ctx.try_consume() else {
            continue;
        };
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
    };
    Stats {
        samples,
        dropped: board::adc_overruns() as u64 - before,
        shots,
        in_range,
        last,
    }
}
