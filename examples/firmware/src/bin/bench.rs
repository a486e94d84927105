//! Benchmark: instructions per operation, counted with SysTick under `-icount shift=0`
//! (SYSDIV = 0: one tick = 5 instructions). Each figure is the mean over many rounds, minus
//! the cost of the same loop with an empty body measured in the same run. The ISR work of
//! each operation (I2C byte interrupts, SPI FIFO interrupts) is included.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Context, Rtio, Storage};
use rtio_firmware::drivers::oled::FULL_WINDOW;
use rtio_firmware::drivers::sd::BLOCK;
use rtio_firmware::systick::Counter;
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 4> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE);

const ROUNDS: u32 = 64;
/// Instructions per SysTick tick at SYSDIV = 0 under `-icount shift=0`.
const INSNS_PER_TICK: u32 = 5;
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
        ok &= ctx.consume().result().is_ok();
    }
    ok
}

#[entry]
fn main() -> ! {
    let cp = cortex_m::Peripherals::take().unwrap();
    board::enable_clocks();
    let sysclk = board::set_sysdiv(0);
    board::init_i2c(sysclk);
    board::init_ssi(sysclk);
    let ctx = CTX.claim_with(&rtio::wait::SPIN).unwrap();
    let c = Counter::start(cp.SYST);
    let mut ok = true;

    // SD card init, outside the measurements.
    ctx.acquire()
        .unwrap()
        .spi_configure(board::SD, 12_500_000, 0)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    ok &= ctx.consume().result().is_ok();

    let t0 = c.now();
    for _ in 0..ROUNDS {
        cortex_m::asm::nop();
    }
    let baseline = Counter::ticks(t0, c.now()) * INSNS_PER_TICK;

    println!("| operation | instructions |");
    println!("|---|---:|");

    let nop = measure(&c, baseline, || {
        ctx.acquire().unwrap().nop().prepare().unwrap();
        ctx.submit(1).unwrap();
        ok &= ctx.consume().result().is_ok();
    });
    println!(
        "| NOP round trip (acquire, prepare, submit, consume) | {} |",
        nop
    );

    let mut rx: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 2] = [0; 2]).map(|b| &mut b[..]);
    let chained = measure(&c, baseline, || {
        ctx.chain::<2>()
            .unwrap()
            .tiny_write(board::TMP105, &[0x00])
            .read(board::TMP105, rx.take().unwrap())
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        ok &= ctx.consume().result().is_ok();
        let mut r = ctx.consume();
        ok &= r.result().is_ok();
        if let Buffer::Mut(b) = r.take_buffer() {
            rx = Some(b);
        }
    });
    println!(
        "| TMP105 chained register read (pointer write + 2-byte read, 3 I2C interrupts) | {} |",
        chained
    );

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
        ctx.chain::<2>()
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

    let oled = measure(&c, baseline, || {
        ctx.chain::<2>()
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
    println!("bench: all operations succeeded: {}", ok);
    exit(ok)
}
