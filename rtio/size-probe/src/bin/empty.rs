//! Baseline: the same startup and loop without rtio. Its size is subtracted.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use rtio_size_probe as _;

#[entry]
fn main() -> ! {
    let mut n = 0u32;
    loop {
        n = core::hint::black_box(n + 1);
    }
}
