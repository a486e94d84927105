//! I2C to SPI without blocking: each temperature reading goes to the SD card in one chain of
//! six entries (a 10 ms DELAY that paces the readings, the pointer write, the 2-byte read, a
//! callback that formats the record into the block, then the block write as one SD
//! transaction), while the main loop keeps counting. The runner reads the card image
//! afterwards.
//!
//! QEMU moves I2C and SPI bytes instantly, so once the delay expires the rest of the chain
//! runs back to back in interrupt context; on silicon (100 kHz I2C, 12.5 MHz SPI) the main
//! loop would also run between the byte interrupts.
#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Duration, Error, Priority, Rtio, Storage};
use rtio_firmware::drivers::sd::BLOCK;
use rtio_firmware::{board, exit, println, report};

rtio_firmware::handlers!();

static STORAGE: Storage<8, 8> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE).with_clock(&board::CLOCK);

const RECORDS: u32 = 4;

/// The entries of one record's chain, for the failure report.
const RECORD_ENTRIES: [&str; 6] = [
    "10 ms delay",
    "tmp105 pointer write",
    "tmp105 read",
    "format callback",
    "sd block write (CMD24 transaction: block number, data)",
    "sd block data (transaction member)",
];

/// A buffer shared by the chain's entries, which use it one after another (S4).
struct Shared<const N: usize>(UnsafeCell<[u8; N]>);
// SAFETY: reached only by the entries of one chain, which run strictly one after another,
// and by the owner between chains (see each use).
unsafe impl<const N: usize> Sync for Shared<N> {}

static TEMP: Shared<2> = Shared(UnsafeCell::new([0; 2]));
static RECORD: Shared<BLOCK> = Shared(UnsafeCell::new([0; BLOCK]));

/// CALLBACK entry: formats reading `arg` from TEMP into RECORD.
fn format_record(prev: Result<usize, Error>, arg: usize) -> Result<usize, Error> {
    prev?;
    // The chain is [pointer write, read TEMP, this callback, lba, write RECORD]: the read
    // completed before this callback started and the write starts after it returns (S4).
    // SAFETY: by that order nothing else touches either buffer now.
    let (t, rec) = unsafe { (&*TEMP.0.get(), &mut *RECORD.0.get()) };
    let tenk = i16::from_be_bytes(*t) as i32 * 10_000 / 256;
    let mut w = Writer { buf: rec, pos: 0 };
    w.buf.fill(0);
    let sign = if tenk < 0 { "-" } else { "" };
    let a = tenk.unsigned_abs();
    let _ = core::fmt::write(
        &mut w,
        format_args!(
            "rtio record {}: {}{}.{:04} C\n",
            arg,
            sign,
            a / 10_000,
            a % 10_000
        ),
    );
    Ok(w.pos)
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}
impl core::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = (self.pos + s.len()).min(self.buf.len());
        self.buf[self.pos..end].copy_from_slice(&s.as_bytes()[..end - self.pos]);
        self.pos = end;
        Ok(())
    }
}

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_i2c(board::SYSCLK_HZ);
    board::init_ssi(board::SYSCLK_HZ);
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();

    // Card init (CMD0, CMD8, ACMD41, CMD58, CMD16), interrupt-driven like the rest.
    let _chain = ctx
        .acquire()
        .unwrap()
        .spi_configure(board::SD, 12_500_000, 0)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let init = rtio_firmware::consume(&ctx).result();
    println!("sd: init {:?}", init);
    if init.is_err() {
        exit(false);
    }

    // 12-bit temperature resolution (config register = 0x60). Without the sensor this
    // fails, and so will the first record: the program goes on to show how.
    let _chain = ctx
        .acquire()
        .unwrap()
        .tiny_write(board::TMP105, &[0x01, 0x60])
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let config = rtio_firmware::consume(&ctx).result();
    println!("sd: tmp105 12-bit config: {:?}", config);
    let mut ok = config.is_ok();
    // The first card block of the records (command line `first-block=N`, default 1).
    let first = report::arg_u32("first-block").unwrap_or(1);
    let mut counted_total = 0u32;
    for i in 0..RECORDS {
        // No chain is in flight (the previous one was consumed completely).
        let (t, rec): (&'static mut [u8], &'static [u8]) =
            // SAFETY: so these are the only references; they move into the chain's entries.
            unsafe { (&mut *TEMP.0.get(), &*RECORD.0.get()) };
        let _chain = ctx
            .chain::<6>()
            .unwrap()
            .delay(Duration::from_millis(10))
            .tiny_write(board::TMP105, &[0x00])
            .read(board::TMP105, t)
            .callback(format_record, i as usize)
            .tiny_write(board::SD, &(first + i).to_be_bytes())
            .transaction()
            .write(board::SD, rec)
            .prepare()
            .unwrap();
        // Dispatch without waiting: the main loop keeps running while the chain moves on
        // from interrupts.
        ctx.submit(0).unwrap();
        let mut counted = 0u32;
        let mut results = [Ok(0); 6];
        let mut got = 0;
        while got < 6 {
            counted += 1;
            if let Some(c) = ctx.try_consume() {
                results[got] = c.result();
                got += 1;
            }
        }
        counted_total += counted;
        let what = report::Text::new(format_args!(
            "sd: record {} (block {}) written",
            i,
            first + i
        ));
        if !report::chain(&what, &RECORD_ENTRIES, &results) {
            // S17: the first failure and its own error are printed; stop here.
            exit(false);
        }
    }
    println!(
        "sd: main loop ran while the chains were in flight: {}",
        counted_total > 1000
    );

    // Read the first record back (CMD17) into a fresh buffer.
    let back = cortex_m::singleton!(: [u8; BLOCK] = [0; BLOCK]).unwrap();
    let _chain = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(board::SD, &1u32.to_be_bytes())
        .transaction()
        .read(board::SD, back)
        .prepare()
        .unwrap();
    ctx.submit(2).unwrap();
    let block_number = rtio_firmware::consume(&ctx);
    let mut r = rtio_firmware::consume(&ctx);
    ok &= report::chain(
        "sd: read back",
        &["sd block number", "sd block read"],
        &[block_number.result(), r.result()],
    );
    ok &= r.result() == Ok(BLOCK);
    if let rtio::Buffer::Mut(b) = r.take_buffer() {
        let end = b.iter().position(|&c| c == b'\n').unwrap_or(0);
        println!(
            "sd: block 1 read back: {:?} \"{}\"",
            r.result(),
            core::str::from_utf8(&b[..end]).unwrap_or("?")
        );
    }

    ok &= bus_hold(&ctx);
    exit(ok)
}

const fn text_block(t: &[u8]) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    let mut i = 0;
    while i < t.len() {
        b[i] = t[i];
        i += 1;
    }
    b
}

static AFTER_RELEASE: [u8; BLOCK] = text_block(b"written once the OLED's AWAIT released the bus\n");

/// S15 on the shared SSI bus: an AWAIT aimed at the OLED holds the bus, so the SD writes
/// queued behind it wait until the AWAIT is signalled; then the urgent one goes first (S12).
fn bus_hold(ctx: &rtio::Context) -> bool {
    let held = ctx
        .chain::<2>()
        .unwrap()
        .await_on(board::OLED)
        .userdata(1)
        .tiny_write(board::OLED, &[0x00])
        .userdata(2)
        .prepare()
        .unwrap();
    // Two SD writes queue up behind the held bus, the low-priority one first (S12).
    for (lba, prio, tag) in [(6u32, Priority::Low, 3), (7, Priority::Urgent, 5)] {
        let _chain = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(board::SD, &lba.to_be_bytes())
            .priority(prio)
            .userdata(tag)
            .transaction()
            .write(board::SD, &AFTER_RELEASE)
            .userdata(tag + 1)
            .prepare()
            .unwrap();
    }
    ctx.submit(0).unwrap();
    // 20 ms later nothing has moved: the SD writes wait for the bus.
    let t0 = CTX.now().unwrap();
    while CTX.now().unwrap() - t0 < Duration::from_millis(20) {}
    let early = ctx.has_completion();
    println!(
        "sd: completions while the OLED's AWAIT holds the bus: {}",
        early
    );
    CTX.signal(held.head()).unwrap();
    let mut res = [Ok(0); 6];
    let mut order = [0usize; 6];
    for o in order.iter_mut() {
        let c = rtio_firmware::consume(ctx);
        *o = c.userdata();
        if let Some(r) = res.get_mut(c.userdata().wrapping_sub(1)) {
            *r = c.result();
        }
    }
    println!(
        "sd: after the signal: await {:?}, oled {:?}, sd {:?} {:?} and {:?} {:?}",
        res[0], res[1], res[2], res[3], res[4], res[5]
    );
    let mut ok = report::failure("sd: oled await", &["await", "oled write"], &res[..2]);
    for (lba, r) in [(6, &res[2..4]), (7, &res[4..6])] {
        let what = report::Text::new(format_args!("sd: block {} after the release", lba));
        ok &= report::failure(&what, &["sd block number", "sd block write"], r);
    }
    let pos = |tag| order.iter().position(|&u| u == tag);
    let urgent_first = pos(6) < pos(4);
    println!(
        "sd: the urgent write went before the low one: {}",
        urgent_first
    );
    ok && !early && urgent_first && res == [Ok(0), Ok(1), Ok(4), Ok(BLOCK), Ok(4), Ok(BLOCK)]
}
