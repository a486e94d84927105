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
//! const TMP105: Dev<Tmp105> = Dev::new_unchecked(&SENSOR_IODEV);
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
//! The semantics contract (S1-S18 in `docs/DESIGN.md`) is cited throughout these docs and by the
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
mod slot;
mod stack;
mod sync;

// Everything else is left out under `--cfg loom` (each item carries the cfg, so rustfmt
// formats every module).
#[cfg(not(loom))]
mod buf;
#[cfg(not(loom))]
pub mod caps;
#[cfg(not(loom))]
mod chain;
#[cfg(not(loom))]
mod context;
#[cfg(not(loom))]
mod cqe;
#[cfg(not(loom))]
mod error;
#[cfg(not(loom))]
mod executor;
#[cfg(not(loom))]
pub mod future;
#[cfg(not(loom))]
mod iodev;
#[cfg(not(loom))]
mod lists;
#[cfg(not(loom))]
pub mod pool;
#[cfg(not(loom))]
mod post;
#[cfg(not(loom))]
pub mod scope;
#[cfg(not(loom))]
mod sqe;
#[cfg(not(loom))]
mod state;
#[cfg(not(loom))]
pub mod time;
#[cfg(not(loom))]
mod timer;
#[cfg(not(loom))]
pub mod wait;
#[cfg(not(loom))]
pub use buf::StaticBuf;
#[cfg(not(loom))]
pub use chain::{Chain, ChainHandle};
#[cfg(not(loom))]
#[cfg(not(loom))]
pub use cqe::{first_failure, Buffer, ChainError, Completion, CqeFlags};
#[cfg(not(loom))]
pub use error::{ClaimError, Error, ErrorKind};
#[cfg(not(loom))]
pub use future::{block_on, ChainFuture, Next};
#[cfg(not(loom))]
pub use iodev::{Dev, Iodev, IodevApi, IodevQueue, OpId, Request, ResumeFn, Shot, Token};
#[cfg(not(loom))]
pub use pool::{BlockRange, Mempool, PoolBuf, PoolStorage};
#[cfg(not(loom))]
pub use ring::CqeCell;
#[cfg(not(loom))]
pub use scope::{Scope, ScopedChain, ScopedChainError, ScopedChainOp, ScopedOp};
#[cfg(not(loom))]
pub use sqe::{CallbackFn, Flags, Op, Priority, Sqe, TINY_MAX};
#[cfg(not(loom))]
pub use state::{Context, OpHandle, Rtio, Slot, Storage};
#[cfg(not(loom))]
pub use time::{Clock, Duration, Instant};
#[cfg(not(loom))]
pub use wait::Wait;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// S-sizes: pinned at compile time for 32-bit targets (docs/DESIGN.md, sizes and costs).
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
