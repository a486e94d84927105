//! Shared pieces of the two probe binaries: a panic handler that pulls in no formatting, and a
//! `halt` for errors (so `unwrap`'s `Debug` printing does not count toward the runtime's size).
#![no_std]

/// Stops the core.
#[inline(never)]
pub fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

/// `Ok` value or halt, without formatting the error.
#[inline(always)]
pub fn ok<T, E>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(_) => halt(),
    }
}

/// `Some` value or halt.
#[inline(always)]
pub fn some<T>(o: Option<T>) -> T {
    match o {
        Some(v) => v,
        None => halt(),
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    halt()
}
