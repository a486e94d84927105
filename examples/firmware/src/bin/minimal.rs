//! The smallest rtio firmware: one context, a chain of a NOP and a CALLBACK, no drivers.
//! Its size row shows what the runtime itself costs in flash and RAM.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_semihosting as _;
use rtio::{Error, Rtio, Storage};
use rtio_firmware::{exit, println, report};

rtio_firmware::handlers!();

static STORAGE: Storage<4, 4> = Storage::new();
static CTX: Rtio = Rtio::new(&STORAGE);

fn double(prev: Result<usize, Error>, arg: usize) -> Result<usize, Error> {
    prev.map(|n| n + 2 * arg)
}

#[entry]
fn main() -> ! {
    let ctx = CTX.claim_with(&rtio::wait::WFE).unwrap();
    let submitted = ctx
        .chain::<2>()
        .and_then(|c| c.nop().callback(double, 21).prepare())
        .and_then(|_| ctx.submit(2));
    if let Err(e) = submitted {
        println!("minimal: chain not submitted: {:?}", e);
        exit(false);
    }
    let results = [
        rtio_firmware::consume(&ctx).result(),
        rtio_firmware::consume(&ctx).result(),
    ];
    let ok = report::failure("minimal: chain", &["nop", "callback"], &results)
        && results == [Ok(0), Ok(42)];
    println!("minimal: {}", if ok { "ok" } else { "failed" });
    exit(ok)
}
