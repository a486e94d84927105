//! # rtio: real-time, io_uring-style I/O for microcontroller peripherals
//!
//! A program describes work as entries in a submission queue (read this register, then
//! write that buffer to the display, inside one bus transaction); drivers ("iodevs") execute
//! them from interrupts; results come back as completions. The caller chooses to block, poll
//! or `.await` over the same queues. `no_std`, no allocation, every context a `static`.
//!
//! ```
//! use rtio::{caps, Dev, Iodev, IodevApi, IodevQueue, Request, Rtio, Storage, Token};
//!
//! // A driver: queue tokens, complete them when the "hardware" is done (here: at once).
//! struct Sensor { q: IodevQueue }
//! impl IodevApi for Sensor {
//!     fn submit(&'static self, mut t: Token) {
//!         let n = match t.request() {
//!             Request::Read(buf) => { buf.copy_from_slice(&[0x19, 0x80][..buf.len()]); buf.len() }
//!             Request::Write(reg) => reg.len(),
//!             _ => return t.err(rtio::Error::NotSupported),
//!         };
//!         t.ok(n); // consumes the token: it cannot complete twice
//!     }
//! }
//! static SENSOR_DRV: Sensor = Sensor { q: IodevQueue::new() };
//! static SENSOR_IODEV: Iodev = Iodev::new(&SENSOR_DRV);
//!
//! // What the device can do, checked at compile time.
//! struct Tmp105;
//! impl caps::Kind for Tmp105 { const NAME: &'static str = "tmp105"; }
//! impl caps::Read for Tmp105 {}
//! impl caps::Write for Tmp105 {}
//! const TMP105: Dev<Tmp105> = Dev::new(&SENSOR_IODEV);
//!
//! // A context with 8 entries and 8 completions, all static.
//! static STORAGE: Storage<8, 8> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//!
//! let ctx = RTIO.claim().unwrap();
//! // Blocking, with borrowed buffers: write the pointer register, then read 2 bytes.
//! let mut temp = [0u8; 2];
//! ctx.scope(|s| {
//!     let op = s.write_read(TMP105, &[0x00], &mut temp)?;
//!     s.wait(op)
//! })?;
//! assert_eq!(temp, [0x19, 0x80]); // 25.5 °C
//! # Ok::<(), rtio::Error>(())
//! ```
//!
//! The semantics contract (S1-S15 in DESIGN.md) is cited throughout these docs and by the
//! tests that check it.
#![no_std]
// Under `--cfg loom` only the lock-free structures build (with loom's atomics), for the
// model checks in their `loom_tests` modules; the runtime uses the same code unmodified.
#![cfg_attr(loom, allow(dead_code))]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

#[cfg(feature = "std")]
extern crate std;

// The lock-free structures: built under loom too.
mod ring;
mod stack;
mod sync;

/// Everything else is left out under `--cfg loom`.
macro_rules! runtime {
    ($($item:item)*) => { $( #[cfg(not(loom))] $item )* };
}

runtime! {
    pub mod caps;
    mod chain;
    mod context;
    mod cqe;
    mod error;
    mod executor;
    pub mod future;
    mod iodev;
    pub mod pool;
    pub mod scope;
    mod sqe;
    pub mod time;
    pub mod wait;

    pub use chain::{Chain, ChainHandle};
    pub use context::{Context, OpHandle, Rtio, Slot, Storage};
    pub use cqe::{Buffer, Completion, CqeFlags};
    pub use error::{Error, ErrorKind};
    pub use future::{block_on, ChainFuture, Next};
    pub use iodev::{Dev, Iodev, IodevApi, IodevQueue, OpId, Request, Shot, Token};
    pub use pool::{BlockRange, Mempool, PoolBuf, PoolStorage};
    pub use ring::CqeCell;
    pub use scope::{Scope, ScopedOp};
    pub use sqe::{CallbackFn, Flags, Op, Priority, ResumeFn, Sqe, TINY_MAX};
    pub use time::{Clock, Duration, Instant};
    pub use wait::Wait;
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// S-sizes: pinned at compile time for 32-bit targets (DESIGN.md section 4).
#[cfg(all(not(loom), target_pointer_width = "32"))]
const _: () = {
    assert!(
        core::mem::size_of::<Sqe>() <= 32,
        "an SQE must fit 32 bytes"
    );
    // A completion as it sits in the ring (result, slot, flags, first pool block).
    assert!(
        core::mem::size_of::<CqeCell>() <= 16,
        "a CQE must fit 16 bytes"
    );
};
