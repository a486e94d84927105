//! The chained register read of the TMP105: wait for a go byte on UART0, write the pointer
//! register, read two bytes: one chain of three entries per reading. The runner changes the
//! temperature through QMP `qom-set` before each go byte and checks what is printed. A last
//! reading goes through `async` (`run()?.await` under `rtio::block_on`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Buffer, Rtio, Storage};
use rtio_firmware::{board, exit, println, report};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 4> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE).with_clock(&board::CLOCK);

/// Prints a 12-bit TMP105 reading (two's complement, 1/256 °C) as degrees.
fn print_temp(raw: [u8; 2]) {
    let v = i16::from_be_bytes(raw) as i32;
    let tenk = v * 10_000 / 256; // 1/10000 °C, exact for 12-bit readings
    let sign = if tenk < 0 { "-" } else { "" };
    let a = tenk.unsigned_abs();
    println!(
        "tmp105: {:#06x} {}{}.{:04} C",
        v as u16,
        sign,
        a / 10_000,
        a % 10_000
    );
}

#[entry]
fn main() -> ! {
    board::enable_clocks();
    board::start_clock(board::SYSCLK_HZ);
    board::init_uart(board::SYSCLK_HZ);
    board::init_i2c(board::SYSCLK_HZ);
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();

    // 12-bit resolution: config register (pointer 1) = 0x60.
    let _chain = ctx
        .acquire()
        .unwrap()
        .tiny_write(board::TMP105, &[0x01, 0x60])
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let config = rtio_firmware::consume(&ctx).result();
    if config.is_err() {
        println!("tmp105: config write failed: {:?}", config);
        exit(false);
    }
    println!("tmp105: ready");

    // The buffers travel with the operations and come back in the completions (S3).
    let mut go: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 1] = [0]).map(|b| &mut b[..]);
    let mut temp: Option<&'static mut [u8]> =
        cortex_m::singleton!(: [u8; 2] = [0; 2]).map(|b| &mut b[..]);
    loop {
        // One chain: go byte from the UART, then pointer write, then the 2-byte read.
        let _chain = ctx
            .chain::<3>()
            .unwrap()
            .read(board::UART0, go.take().unwrap())
            .userdata(0)
            .tiny_write(board::TMP105, &[0x00])
            .userdata(1)
            .read(board::TMP105, temp.take().unwrap())
            .userdata(2)
            .prepare()
            .unwrap();
        ctx.submit(3).unwrap();
        let mut results = [Ok(0); 3];
        for _ in 0..3 {
            let mut c = rtio_firmware::consume(&ctx);
            if let Some(r) = results.get_mut(c.userdata()) {
                *r = c.result();
            }
            if let Buffer::Mut(b) = c.take_buffer() {
                match c.userdata() {
                    0 => go = Some(b),
                    _ => temp = Some(b),
                }
            }
        }
        if !report::failure(
            "tmp105: reading",
            &["uart go byte", "tmp105 pointer write", "tmp105 read"],
            &results,
        ) {
            exit(false);
        }
        let (go_byte, t) = match (&go, &temp) {
            (Some(g), Some(t)) => (g[0], [t[0], t[1]]),
            _ => exit(false),
        };
        if go_byte == b'q' {
            break;
        }
        print_temp(t);
    }

    // The same chained read through `async` (S14): the future is woken by the completion.
    let read = async {
        let [p, mut r] = ctx
            .chain::<2>()?
            .tiny_write(board::TMP105, &[0x00])
            .read(
                board::TMP105,
                temp.take().ok_or(rtio::Error::InvalidArgument)?,
            )
            .run()?
            .await;
        // S17: the pointer write's own error, not the read's Canceled.
        if let Some((_, e)) = report::first_failure(&[p.result(), r.result()]) {
            return Err(e);
        }
        match r.take_buffer() {
            Buffer::Mut(b) => Ok([b[0], b[1]]),
            _ => Err(rtio::Error::InvalidArgument),
        }
    };
    match rtio::block_on(read) {
        Ok(t) => {
            println!("tmp105: async read:");
            print_temp(t);
        }
        Err(e) => {
            println!("tmp105: async read failed: {:?}", e);
            exit(false);
        }
    }
    println!("tmp105: done");
    exit(true)
}
