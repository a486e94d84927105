//! Small helpers shared by the examples: static buffers, a tiny executor, CPU-time probes.

use rtio::{Context, Error, Rtio};
use std::future::Future;
use std::task::{Context as TaskCx, Poll};
use std::time::Duration;

/// A zeroed buffer that lives for the rest of the program (any lifetime `'a`, `'static`
/// included, as [`Box::leak`] gives). The examples run several times per process (once per
/// test), so each run leaks a few buffers: the host stand-in for a firmware's
/// [`rtio::StaticBuf`], which hands its bytes out once.
pub fn static_buf<'a, const N: usize>() -> &'a mut [u8; N] {
    Box::leak(Box::new([0u8; N]))
}

/// A zeroed buffer of `n` bytes for the rest of the program (for sizes too large for the
/// stack), as [`static_buf`].
pub fn static_vec<'a>(n: usize) -> &'a mut [u8] {
    Box::leak(vec![0u8; n].into_boxed_slice())
}

/// Takes the owner side of `rtio`.
///
/// # Errors
/// [`Error::Claimed`] if another owner holds it.
pub fn claim(rtio: &'static Rtio) -> Result<Context, Error> {
    Ok(rtio.claim()?)
}

/// A minimal single-future executor: polls, and parks the thread until a completion wakes
/// it (rtio's futures register the waker the completing "interrupt" calls). Returns the
/// output and how many times the future was polled.
pub fn run<F: Future>(fut: F) -> (F::Output, u32) {
    let mut fut = std::pin::pin!(fut);
    let waker = rtio::wait::thread_waker();
    let mut cx = TaskCx::from_waker(&waker);
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return (v, polls);
        }
        // A timeout guards against a lost wake-up; rtio itself never loses one.
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// CPU time consumed by the calling thread so far (`CLOCK_THREAD_CPUTIME_ID` on Unix, via
/// the `cpu-time` crate). `None` where not available.
pub fn thread_cpu() -> Option<Duration> {
    cpu_time::ThreadTime::try_now()
        .ok()
        .map(|t| t.as_duration())
}

/// Reads `NAME` from the environment or a `--name=value` / `--name value` argument.
pub fn arg(name: &str) -> Option<String> {
    let flag = format!("--{name}");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
            return Some(v.to_string());
        }
        if a == flag {
            return Some(args.next().unwrap_or_default());
        }
    }
    std::env::var(format!("RTIO_{}", name.to_uppercase().replace('-', "_"))).ok()
}

/// Whether `--name` was given (or `RTIO_NAME` is set).
pub fn flag(name: &str) -> bool {
    let f = format!("--{name}");
    std::env::args().any(|a| a == f)
        || std::env::var(format!("RTIO_{}", name.to_uppercase().replace('-', "_"))).is_ok()
}
