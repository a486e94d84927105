//! AT24C EEPROM: writes, then read-back in chains (the read-back is one bus transaction:
//! pointer write + read), a page write from a `'static` buffer, and the NACK case: a chain
//! aimed at an address where nothing answers fails with `Nack`, its successor is cancelled,
//! and a HARDLINK successor runs anyway.
//!
//! QEMU 7.2's at24c-eeprom always takes two address bytes (high first), even when small.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Completion, Context, Rtio, Storage};
use rtio_firmware::report::{self, fnv1a, FNV_START};
use rtio_firmware::{board, exit, println};

rtio_firmware::handlers!();

static STORAGE: Storage<8, 8> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE).with_clock(&board::CLOCK);

/// Address 0x0100, then one 32-byte page.
static PAGE: [u8; 34] = *b"\x01\x00The quick brown fox jumps over!!";

fn results<const N: usize>(ctx: &Context) -> [Completion; N] {
    core::array::from_fn(|_| rtio_firmware::consume(ctx))
}

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_i2c(board::SYSCLK_HZ);
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();
    // An I2C-only operation: fast mode for the rest of the program.
    let _chain = ctx
        .acquire()
        .unwrap()
        .i2c_configure(board::EEPROM, 400_000)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let speed = rtio_firmware::consume(&ctx).result();
    println!("eeprom: bus set to 400 kHz: {:?}", speed);
    let mut ok = speed.is_ok();

    // 1. Write 12 bytes at 0x0010, then read them back as one transaction.
    let buf = cortex_m::singleton!(: [u8; 12] = [0; 12]).unwrap();
    let _chain = ctx
        .chain::<3>()
        .unwrap()
        .tiny_write(board::EEPROM, b"\x00\x10hello, rtio!")
        .tiny_write(board::EEPROM, &[0x00, 0x10])
        .transaction()
        .read(board::EEPROM, buf)
        .prepare()
        .unwrap();
    ctx.submit(3).unwrap();
    let c = results::<3>(&ctx);
    ok &= report::failure(
        "eeprom: write and read back",
        &["write at 0x0010", "pointer write", "read"],
        &report::results(&c),
    );
    let [w, p, mut r] = c;
    println!("eeprom: write 12 bytes at 0x0010: {:?}", w.result());
    println!("eeprom: pointer {:?}, read {:?}", p.result(), r.result());
    match r.take_buffer() {
        Buffer::Mut(b) if b == b"hello, rtio!" => {
            println!(
                "eeprom: read back \"{}\"",
                core::str::from_utf8(b).unwrap_or("?")
            )
        }
        Buffer::Mut(b) => {
            println!("eeprom: read back mismatch {:02x?}", b);
            ok = false;
        }
        _ => ok = false,
    }

    // 2. A page write from a 'static buffer; read back from the page start.
    let page = cortex_m::singleton!(: [u8; 32] = [0; 32]).unwrap();
    let _chain = ctx
        .chain::<3>()
        .unwrap()
        .write(board::EEPROM, &PAGE)
        .tiny_write(board::EEPROM, &PAGE[..2])
        .read(board::EEPROM, page)
        .prepare()
        .unwrap();
    ctx.submit(3).unwrap();
    let c = results::<3>(&ctx);
    ok &= report::failure(
        "eeprom: page write",
        &["page write at 0x0100", "pointer write", "read"],
        &report::results(&c),
    );
    let [w, _, mut r] = c;
    let same = matches!(r.take_buffer(), Buffer::Mut(b) if b[..] == PAGE[2..]);
    println!(
        "eeprom: page write {:?}, read {:?}, matches: {}",
        w.result(),
        r.result(),
        same
    );
    ok &= same;

    // 3. NACK: nothing at 0x51. The read after it is cancelled (S4).
    let nb = cortex_m::singleton!(: [u8; 4] = [0; 4]).unwrap();
    let _chain = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(board::ABSENT, &[0x00, 0x00])
        .read(board::ABSENT, nb)
        .prepare()
        .unwrap();
    ctx.submit(2).unwrap();
    let [w, r] = results::<2>(&ctx);
    println!(
        "eeprom: absent device: write {:?}, read {:?}",
        w.result(),
        r.result()
    );
    ok &= w.result() == Err(rtio::Error::Nack) && r.result() == Err(rtio::Error::Canceled);

    // 4. HARDLINK: the successor runs although the NACK came first.
    let _chain = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(board::ABSENT, &[0x00, 0x00])
        .hardlink()
        .tiny_write(board::EEPROM, &[0x00, 0x10])
        .prepare()
        .unwrap();
    ctx.submit(2).unwrap();
    let [a, b] = results::<2>(&ctx);
    println!(
        "eeprom: hardlink after NACK: {:?} then {:?}",
        a.result(),
        b.result()
    );
    ok &= b.result() == Ok(2);

    // 5. Bytes nobody wrote: the runner filled the backing file with random bytes and
    //    compares this digest with its own.
    let tail = cortex_m::singleton!(: [u8; 32] = [0; 32]).unwrap();
    let _chain = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(board::EEPROM, &[0x01, 0xE0])
        .read(board::EEPROM, tail)
        .prepare()
        .unwrap();
    ctx.submit(2).unwrap();
    let c = results::<2>(&ctx);
    ok &= report::failure(
        "eeprom: read 0x01e0",
        &["pointer write", "read"],
        &report::results(&c),
    );
    let [_, mut r] = c;
    if let Buffer::Mut(b) = r.take_buffer() {
        println!(
            "eeprom: 32 bytes at 0x01e0: {:?}, fnv {:#010x}",
            r.result(),
            fnv1a(FNV_START, b)
        );
    }

    println!("eeprom: done");
    exit(ok)
}
