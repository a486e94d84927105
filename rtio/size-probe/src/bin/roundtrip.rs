//! One NOP round trip (acquire, prepare, submit, complete in place, consume, release) with an
//! 8x8 context, in a loop.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use rtio::{Rtio, Storage};
use rtio_size_probe::{ok, some};

static STORAGE: Storage<8, 8> = Storage::new();
static RTIO: Rtio = Rtio::new(&STORAGE);

#[entry]
fn main() -> ! {
    let ctx = ok(RTIO.claim());
    let mut n = 0usize;
    loop {
        let _prepared = ok(ok(ctx.acquire()).nop().userdata(n).prepare());
        ok(ctx.submit(1));
        let c = some(ctx.try_consume());
        n = core::hint::black_box(n + ok(c.result()) + c.userdata());
    }
}
