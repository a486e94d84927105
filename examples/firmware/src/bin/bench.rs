//! Benchmark: instructions per operation, interrupt latency per driver and (built with the
//! feature `mask-monitor`) the longest interrupt-masked sections, counted with SysTick under
//! `-icount shift=0` (SYSDIV = 0: one tick = 5 instructions, the resolution of every figure).
//!
//! - Per operation: the mean over many rounds, minus the cost of the same loop with an empty
//!   body measured in the same run. The ISR work of each operation (I2C byte interrupts, SPI
//!   FIFO interrupts) is included.
//! - Latency: from the first instruction of the interrupt handler that finishes an operation
//!   to the moment the runtime has posted its completion (`rtio_firmware::latency`), one row
//!   per driver; the smallest of four trials (UART receive and gamepad wait for the runner's
//!   input; the path measured is the same each time).
//! - Masking: the longest span with interrupts masked, opened by the runtime or by a driver,
//!   while each group of operations ran (`rtio_firmware::mask`).
//!
//! The runner compares every row with the committed budget (expected/bench-budget.txt,
//! expected/bench_masking-budget.txt).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Context, Duration, Mempool, PoolStorage, Rtio, Storage};
use rtio_firmware::drivers::oled::FULL_WINDOW;
use rtio_firmware::drivers::sd::BLOCK;
use rtio_firmware::systick::Counter;
use rtio_firmware::{board, exit, latency, mask, println, report};

rtio_firmware::handlers!();

/// The operations: no clock, no pool (nothing the figures do not need).
static STORAGE: Storage<4, 4> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE);
/// The latency trials: DELAY needs the clock, the streams a pool.
static LSTORAGE: Storage<4, 8> = Storage::new();
static POOL_STORAGE: PoolStorage<4, 32> = PoolStorage::new();
static POOL: Mempool = Mempool::new(&POOL_STORAGE);
static LCTX: Rtio = Rtio::new(&LSTORAGE)
    .with_pool(&POOL)
    .with_clock(&board::CLOCK);
static TX20: [u8; 20] = *b"bench: uart tx 20 b\n";

const ROUNDS: u32 = 64;
/// Instructions per SysTick tick at SYSDIV = 0 under `-icount shift=0`.
const INSNS_PER_TICK: u32 = 5;
/// Trials per latency figure (the smallest is printed).
const TRIALS: usize = 4;
static BLOCK_DATA: [u8; BLOCK] = [0xA5; BLOCK];

/// Mean instructions of `f` over ROUNDS, minus the empty-loop baseline.
fn measure(c: &Counter, baseline: u32, mut f: impl FnMut()) -> u32 {
    let t0 = c.now();
    for _ in 0..ROUNDS {
        f();
    }
    let t1 = c.now();
    (Counter::ticks(t0, t1) * INSNS_PER_TICK).saturating_sub(baseline) / ROUNDS
}

fn consume_n(ctx: &Context, n: usize) -> bool {
    let mut ok = true;
    for _ in 0..n {
        ok &= rtio_firmware::consume(ctx).result().is_ok();
    }
    ok
}

/// Masked-section rows for the group of operations that just ran (monitor builds only).
fn masked(group: &str) {
    let (runtime, drivers) = mask::take_max();
    if mask::MONITOR {
        println!(
            "| longest masked section, runtime, {} | {} |",
            group,
            runtime * INSNS_PER_TICK
        );
        println!(
            "| longest masked section, drivers, {} | {} |",
            group,
            drivers * INSNS_PER_TICK
        );
    }
}

/// Prints the latency row `what`, from the smallest of the trials; false if a trial was
/// not completed from interrupt `irq`, or failed.
fn latency_row(what: &str, irq: u32, trials: &[Option<(i32, u32)>]) -> bool {
    let from_irq = trials
        .iter()
        .all(|t| matches!(t, Some((i, _)) if *i == irq as i32));
    let best = trials.iter().flatten().map(|&(_, t)| t).min();
    match (from_irq, best) {
        (true, Some(t)) => {
            println!(
                "| latency: {} (IRQ {}), entry to completion posted | {} |",
                what,
                irq,
                t * INSNS_PER_TICK
            );
            true
        }
        _ => {
            println!(
                "bench: latency of {} not measured: {:?}",
                what,
                trials.first()
            );
            false
        }
    }
}

#[entry]
fn main() -> ! {
    let cp = cortex_m::Peripherals::take().unwrap();
    board::enable_clocks();
    let sysclk = board::set_sysdiv(0);
    board::init_i2c(sysclk);
    board::init_ssi(sysclk);
    let ctx = CTX.claim_with(&rtio::wait::SPIN).unwrap();
    // Buffers first: `singleton!` masks interrupts while it initializes them, which is
    // neither the runtime's nor a driver's masking.
    let mut rx: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 2] = [0; 2]).map(|b| &mut b[..]);
    let mut block: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; BLOCK] = [0; BLOCK]).map(|b| &mut b[..]);
    let mut go: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 1] = [0]).map(|b| &mut b[..]);
    let c = Counter::start(cp.SYST);
    let mut ok = true;

    // SD card init, outside the measurements.
    let _chain = ctx
        .acquire()
        .unwrap()
        .spi_configure(board::SD, 12_500_000, 0)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let init = rtio_firmware::consume(&ctx).result();
    ok &= report::failure("bench: sd init", &["spi configure"], &[init]);

    let t0 = c.now();
    for _ in 0..ROUNDS {
        cortex_m::asm::nop();
    }
    let baseline = Counter::ticks(t0, c.now()) * INSNS_PER_TICK;

    println!("| operation | instructions |");
    println!("|---|---:|");
    masked("before"); // resets the maxima (nothing printed without the monitor)

    let nop = measure(&c, baseline, || {
        let _chain = ctx.acquire().unwrap().nop().prepare().unwrap();
        ctx.submit(1).unwrap();
        ok &= rtio_firmware::consume(&ctx).result().is_ok();
    });
    println!(
        "| NOP round trip (acquire, prepare, submit, consume) | {} |",
        nop
    );
    masked("NOP round trips");

    let chained = measure(&c, baseline, || {
        let _chain = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(board::TMP105, &[0x00])
            .read(board::TMP105, rx.take().unwrap())
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        let p = rtio_firmware::consume(&ctx).result();
        let mut r = rtio_firmware::consume(&ctx);
        ok &= report::failure(
            "bench: tmp105 read",
            &["pointer write", "read"],
            &[p, r.result()],
        );
        if let Buffer::Mut(b) = r.take_buffer() {
            rx = Some(b);
        }
    });
    println!(
        "| TMP105 chained register read (pointer write + 2-byte read, 3 I2C interrupts) | {} |",
        chained
    );
    masked("TMP105 chained reads");

    // The same transfer without rtio: polled registers, interrupt masked.
    let i2c_irq = rtio_firmware::dt::labels::i2c0::INTERRUPTS[0];
    board::unbind(i2c_irq);
    let mut raw = [0u8; 2];
    let polled = measure(&c, baseline, || {
        ok &= board::I2C0
            .polled_write_read(0x48, &[0x00], &mut raw)
            .is_ok();
    });
    board::init_i2c(sysclk);
    println!(
        "| same read, polled driver without rtio (baseline) | {} |",
        polled
    );

    let sd = measure(&c, baseline, || {
        let _chain = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(board::SD, &7u32.to_be_bytes())
            .transaction()
            .write(board::SD, &BLOCK_DATA)
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        ok &= consume_n(&ctx, 2);
    });
    println!("| SD block write (CMD24, 512 bytes, SPI) | {} |", sd);
    masked("SD block writes");

    let oled = measure(&c, baseline, || {
        let _chain = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(board::OLED, &FULL_WINDOW)
            .transaction()
            .write(board::OLED, &BLOCK_DATA)
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        ok &= consume_n(&ctx, 2);
    });
    println!(
        "| OLED write (6 command + 512 data bytes, SPI) | {} |",
        oled
    );
    masked("OLED writes");

    // ---- latency, one driver at a time (nothing else in flight on the context) ----
    let ctx = LCTX.claim_with(&rtio::wait::SPIN).unwrap();
    board::start_clock(sysclk);
    board::init_adc();
    board::init_uart(sysclk);
    board::init_keys();

    let mut trials = [None; TRIALS];
    for t in trials.iter_mut() {
        let _chain = ctx
            .acquire()
            .unwrap()
            .read(board::TMP105, rx.take().unwrap())
            .prepare()
            .unwrap();
        let (mut done, lat) = latency::measure(&ctx, || ctx.submit(0).unwrap());
        ok &= report::failure("bench: tmp105 read", &["read"], &[done.result()]);
        if let Buffer::Mut(b) = done.take_buffer() {
            rx = Some(b);
        }
        *t = lat;
    }
    ok &= latency_row(
        "I2C 2-byte read, last byte interrupt",
        rtio_firmware::dt::labels::i2c0::INTERRUPTS[0],
        &trials,
    );
    masked("I2C reads");

    for t in trials.iter_mut() {
        let _chain = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(board::SD, &7u32.to_be_bytes())
            .transaction()
            .read(board::SD, block.take().unwrap())
            .prepare()
            .unwrap();
        let (first, lat) = latency::measure(&ctx, || ctx.submit(0).unwrap());
        let mut r = rtio_firmware::consume(&ctx);
        ok &= report::failure(
            "bench: sd read",
            &["block number", "block read"],
            &[first.result(), r.result()],
        );
        if let Buffer::Mut(b) = r.take_buffer() {
            ok &= b.iter().all(|&x| x == 0xA5); // what the write rounds left there
            block = Some(b);
        }
        *t = lat;
    }
    ok &= latency_row(
        "SSI SD block read (CMD17)",
        rtio_firmware::dt::labels::ssi0::INTERRUPTS[0],
        &trials,
    );
    masked("SD block reads");

    for t in trials.iter_mut() {
        let _chain = ctx
            .acquire()
            .unwrap()
            .tiny_write(board::OLED, &FULL_WINDOW)
            .prepare()
            .unwrap();
        let (done, lat) = latency::measure(&ctx, || ctx.submit(0).unwrap());
        ok &= report::failure("bench: oled write", &["write"], &[done.result()]);
        *t = lat;
    }
    ok &= latency_row(
        "SSI OLED 6-byte write",
        rtio_firmware::dt::labels::ssi0::INTERRUPTS[0],
        &trials,
    );
    masked("OLED 6-byte writes");

    for t in trials.iter_mut() {
        let _chain = ctx
            .acquire()
            .unwrap()
            .delay(Duration::from_millis(2))
            .prepare()
            .unwrap();
        let (done, lat) = latency::measure(&ctx, || ctx.submit(0).unwrap());
        ok &= report::failure("bench: delay", &["delay"], &[done.result()]);
        *t = lat;
    }
    ok &= latency_row(
        "GPTM clock tick, 2 ms DELAY",
        rtio_firmware::dt::labels::timer0::INTERRUPTS[0],
        &trials,
    );
    masked("2 ms DELAYs");

    for t in trials.iter_mut() {
        let _chain = ctx
            .acquire()
            .unwrap()
            .write(board::UART0, &TX20)
            .prepare()
            .unwrap();
        let (done, lat) = latency::measure(&ctx, || ctx.submit(0).unwrap());
        ok &= report::failure("bench: uart write", &["write"], &[done.result()]);
        *t = lat;
    }
    ok &= latency_row(
        "UART 20-byte write, TX interrupt",
        rtio_firmware::dt::labels::uart0::INTERRUPTS[0],
        &trials,
    );
    masked("UART writes");

    // ADC: 10 kHz trigger, the first shot of 16 samples.
    for t in trials.iter_mut() {
        let h = ctx
            .acquire()
            .unwrap()
            .read_multishot(board::ADC0, 32, 32)
            .prepare()
            .unwrap();
        let (shot, lat) = latency::measure(&ctx, || {
            ctx.submit(0).unwrap();
            board::start_adc_trigger(sysclk, 10_000);
        });
        board::ADC_TRIGGER.stop();
        ctx.cancel(h.head()).unwrap();
        ok &= shot.result() == Ok(32);
        drop(shot);
        while rtio_firmware::consume(&ctx).more() {}
        *t = lat;
    }
    ok &= latency_row(
        "ADC shot of 16 samples",
        rtio_firmware::dt::labels::adc0::INTERRUPTS[0],
        &trials,
    );
    masked("ADC streams at 10 kHz");

    // Without input (semihosting argument `no-input`, e.g. runner/profile.py) the trials
    // that wait for the runner are skipped.
    if report::has_arg("no-input") {
        println!("bench: UART read and gamepad trials skipped (no-input)");
    } else {
        // Input from the runner: one UART byte per trial, then one key edge per trial. Each
        // prompt is printed once the probe is registered, so the input cannot come first.
        for t in trials.iter_mut() {
            let _chain = ctx
                .acquire()
                .unwrap()
                .read(board::UART0, go.take().unwrap())
                .prepare()
                .unwrap();
            ctx.submit(0).unwrap(); // parked in the driver until the byte comes
            let (mut done, lat) =
                latency::measure(&ctx, || println!("bench: send a byte on UART0"));
            ok &= report::failure("bench: uart read", &["read"], &[done.result()]);
            if let Buffer::Mut(b) = done.take_buffer() {
                go = Some(b);
            }
            println!("bench: got it");
            *t = lat;
        }
        ok &= latency_row(
            "UART 1-byte read, RX interrupt",
            rtio_firmware::dt::labels::uart0::INTERRUPTS[0],
            &trials,
        );
        masked("UART reads");

        let h = ctx
            .acquire()
            .unwrap()
            .read_multishot(board::KEYS, 1, 8)
            .prepare()
            .unwrap();
        ctx.submit(0).unwrap();
        for t in trials.iter_mut() {
            let (shot, lat) = latency::measure(&ctx, || println!("bench: change a key"));
            ok &= shot.result().is_ok();
            println!("bench: key event");
            *t = lat;
        }
        ctx.cancel(h.head()).unwrap();
        while rtio_firmware::consume(&ctx).more() {}
        ok &= latency_row(
            "GPIO gamepad key edge",
            rtio_firmware::dt::labels::gpioe::INTERRUPTS,
            &trials,
        );
        masked("gamepad key streams");
    }

    // S18: the runtime's masked sections do not grow with the number of armed timers: a
    // 1 ms DELAY with k = 0..=3 longer DELAYs armed (cancelled after each round).
    let mut spans = [0u32; 4];
    for (k, span) in spans.iter_mut().enumerate() {
        let mut armed = [None; 3];
        for h in armed.iter_mut().take(k) {
            *h = ctx
                .acquire()
                .unwrap()
                .delay(Duration::from_millis(50))
                .prepare()
                .ok();
        }
        ctx.submit(0).unwrap();
        let _ = mask::take_max();
        let _chain = ctx
            .acquire()
            .unwrap()
            .delay(Duration::from_millis(1))
            .prepare()
            .unwrap();
        ctx.submit(1).unwrap();
        let r = rtio_firmware::consume(&ctx).result();
        *span = mask::take_max().0;
        ok &= report::failure("bench: delay", &["delay"], &[r]);
        for h in armed.iter().flatten() {
            ok &= ctx.cancel(h.head()).is_ok();
        }
        for _ in armed.iter().flatten() {
            ok &= rtio_firmware::consume(&ctx).result() == Err(rtio::Error::Canceled);
        }
        if mask::MONITOR {
            println!(
                "| longest masked section, runtime, 1 ms DELAY with {} other DELAYs armed | {} |",
                k,
                *span * INSNS_PER_TICK
            );
        }
    }
    if mask::MONITOR {
        // One SysTick tick of slack: the figures have a resolution of 5 instructions. With
        // no other timer armed the DELAY joins the runtime's timer FIFO; behind longer
        // DELAYs it goes to the timer heap, a constant step (each figure has its budget).
        // S18 is about growth with the number armed: compared from 1 to 3.
        let (lo, hi) = (spans[1..].iter().min(), spans[1..].iter().max());
        let flat = matches!((lo, hi), (Some(lo), Some(hi)) if hi - lo <= 1);
        println!(
            "bench: runtime masking flat from 1 to 3 armed timers (S18): {}",
            flat
        );
        ok &= flat;
    }
    println!("bench: all operations succeeded: {}", ok);
    exit(ok)
}
