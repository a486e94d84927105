//! # rtio-macros: static contexts, typed iodevs, chains checked at compile time
//!
//! Three macros turn what can be known at build time into compile errors instead of runtime
//! `Err`s:
//!
//! * [`#[rtio_define]`](macro@rtio_define) declares a context (its submission and completion
//!   sizes and an optional memory pool) as plain static storage;
//! * [`#[rtio_iodev]`](macro@rtio_iodev) declares what an iodev kind can do (read, write,
//!   transceive, stream; its bus and address) as `rtio::caps` impls;
//! * [`chain!`] and [`transaction!`] build entries against both, and reject a write to a
//!   read-only device, a chain longer than the context, a transaction across devices, ...
//!   with a message that names the rule and points at the token you wrote.
//!
//! ```
//! use rtio::{Iodev, IodevApi, Request, Rtio, Token};
//! use rtio_macros::{chain, rtio_define, rtio_iodev};
//!
//! // A driver that answers at once (a real one completes from its interrupt).
//! struct Regs;
//! impl IodevApi for Regs {
//!     fn submit(&'static self, mut t: Token) {
//!         let n = match t.request() {
//!             Request::Read(buf) => { buf.copy_from_slice(&[0x19, 0x80]); 2 }
//!             Request::Write(reg) => reg.len(),
//!             _ => 0,
//!         };
//!         t.ok(n)
//!     }
//! }
//! static REGS: Regs = Regs;
//! static TMP105_IODEV: Iodev = Iodev::new(&REGS);
//!
//! /// A TMP105 temperature sensor at 0x48.
//! #[rtio_iodev(read, write, bus = i2c, address = 0x48)]
//! pub struct Tmp105;
//! // No devicetree node stands behind this hand-written iodev: pairing it with its kind is
//! // the explicitly unchecked step (a devicetree node's handle is generated instead).
//! const TEMP: rtio::Dev<Tmp105> = rtio::Dev::new_unchecked(&TMP105_IODEV);
//!
//! #[rtio_define(sq = 4, cq = 4)]
//! static SENSORS: Rtio;
//!
//! let ctx = SENSORS.claim().unwrap();
//! let rx: &'static mut [u8; 2] = Box::leak(Box::new([0; 2]));
//! // Write the pointer register, then read two bytes: N = 2 is computed, every rule checked.
//! let [_, temp] = chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx) ] => wait)?;
//! assert_eq!(temp.buffer().data(), Some(&[0x19, 0x80][..]));
//! # Ok::<(), rtio::Error>(())
//! ```
//!
//! Each macro goes parse -> check -> analyze -> codegen, one module each. `check` collects
//! every mistake (all are reported in one run); codegen is infallible; after an error the
//! macro still emits a stub with the right name and type, so one mistake gives one message.
//! Every rule has a trybuild case in `ui-tests/tests/ui/fail/`, named after the rule, with its
//! expected `.stderr`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod chain;
mod define;
mod devicetree;
mod diag;
mod iodev;

use proc_macro::TokenStream;

/// Declares a context as static storage built at compile time: no init call, no allocation.
///
/// ```
/// use rtio::Rtio;
/// use rtio_macros::rtio_define;
///
/// #[rtio_define(sq = 8, cq = 8, mempool(blocks = 16, block_size = 32, align = 8))]
/// pub static SENSORS: Rtio;
///
/// let ctx = SENSORS.claim().unwrap();
/// assert_eq!(SENSORS.sq_len(), 8);
/// assert_eq!(SENSORS.pool().map(|p| p.blocks()), Some(16));
/// // What `chain!` checks against, readable by you too:
/// assert_eq!((SENSORS::SQ, SENSORS::HAS_POOL, SENSORS::POOL_BYTES), (8, true, 512));
/// # drop(ctx);
/// ```
///
/// Sizes are integer literals (checked by the macro) or const expressions such as
/// `config::SQ` (checked by the same rules, as `const` assertions).
///
/// Keys: `sq` (submission entries, required), `cq` (completion cells, default `sq`),
/// `mempool(blocks = .., block_size = .., align = ..)` (optional; `align` defaults to the
/// runtime's 8 bytes, and a larger power of two wraps the pool storage in a
/// `#[repr(align(N))]` struct), `clock = PATH` (a `static` implementing `rtio::Clock`).
///
/// The expansion is `static NAME: Rtio = { static STORAGE: rtio::Storage<SQ, CQ> = ..; .. };`
/// plus, in the type namespace, a hidden empty struct of the same name whose associated
/// consts (`SQ`, `CQ`, `HAS_POOL`, `POOL_BLOCKS`, `POOL_BLOCK_SIZE`, `POOL_BYTES`,
/// `POOL_ALIGN`) describe the context to [`chain!`]. `pub` and other visibilities are kept.
///
/// # Rules
///
/// | rule | case |
/// |---|---|
/// | on something other than a `static` | [`define-not-a-static`](../ui-tests/tests/ui/fail/define-not-a-static.rs) |
/// | `static mut` | [`define-static-mut`](../ui-tests/tests/ui/fail/define-static-mut.rs) |
/// | the static has an initializer | [`define-has-initializer`](../ui-tests/tests/ui/fail/define-has-initializer.rs) |
/// | its type is not `Rtio` | [`define-wrong-type`](../ui-tests/tests/ui/fail/define-wrong-type.rs) |
/// | unknown key | [`define-unknown-key`](../ui-tests/tests/ui/fail/define-unknown-key.rs) |
/// | duplicate key | [`define-duplicate-key`](../ui-tests/tests/ui/fail/define-duplicate-key.rs) |
/// | missing `sq`, `blocks` or `block_size` | [`define-missing-key`](../ui-tests/tests/ui/fail/define-missing-key.rs) |
/// | a size that is not an integer, an `align` or `clock` of the wrong form | [`define-bad-value`](../ui-tests/tests/ui/fail/define-bad-value.rs) |
/// | the same rules on sizes given as const expressions (`sq = CONFIG_SQ`), as `const` assertions | [`define-const-size-checked`](../ui-tests/tests/ui/fail/define-const-size-checked.rs) |
/// | a zero size | [`define-zero-size`](../ui-tests/tests/ui/fail/define-zero-size.rs) |
/// | `cq` < `sq` (S9) | [`define-cq-smaller-than-sq`](../ui-tests/tests/ui/fail/define-cq-smaller-than-sq.rs) |
/// | `sq` > 65534, more than 256 blocks | [`define-too-large`](../ui-tests/tests/ui/fail/define-too-large.rs) |
/// | `align` not a power of two | [`define-align-not-power-of-two`](../ui-tests/tests/ui/fail/define-align-not-power-of-two.rs) |
/// | `block_size` not a multiple of `align` | [`define-block-size-not-multiple-of-align`](../ui-tests/tests/ui/fail/define-block-size-not-multiple-of-align.rs) |
/// | all of them in one run, no cascade | [`define-many-errors`](../ui-tests/tests/ui/fail/define-many-errors.rs) |
#[proc_macro_attribute]
pub fn rtio_define(args: TokenStream, item: TokenStream) -> TokenStream {
    define::expand(args.into(), item.into()).into()
}

/// Declares what an iodev kind can do, as the `rtio::caps` impls that chains are checked
/// against.
///
/// ```
/// use rtio::caps::{I2c, Kind, Read, Stream};
/// use rtio_macros::rtio_iodev;
///
/// /// An IMU with a FIFO, at 0x6a.
/// #[rtio_iodev(read, stream, bus = i2c, address = 0x6a, name = "lsm6dso")]
/// pub struct Imu;
///
/// fn streams<K: Stream + I2c>() -> &'static str { K::NAME }
/// assert_eq!(streams::<Imu>(), "lsm6dso");
/// assert_eq!(Imu::BUS_ADDRESS, 0x6a);
/// ```
///
/// Capabilities: `read`, `write`, `transceive`, `stream` (needs `read`); `bus = i2c | spi`;
/// `address = ..` (I2C, 7-bit) or `cs = ..` (SPI chip select) become `BUS_ADDRESS: u8` /
/// `CHIP_SELECT: u8`, the names rtio-devicetree uses; `name = ".."` sets `Kind::NAME`
/// (default: the struct's name in lowercase). The expansion is exactly the impls `rtio-devicetree` generates, so kinds
/// written by hand, generated, or declared with this attribute all work the same
/// ([`hand-written-kind`](../ui-tests/tests/ui/pass/hand-written-kind.rs)).
///
/// # Rules
///
/// | rule | case |
/// |---|---|
/// | not a unit struct without generics | [`iodev-not-a-unit-struct`](../ui-tests/tests/ui/fail/iodev-not-a-unit-struct.rs) |
/// | unknown capability or key | [`iodev-unknown-key`](../ui-tests/tests/ui/fail/iodev-unknown-key.rs) |
/// | duplicate capability or key | [`iodev-duplicate-key`](../ui-tests/tests/ui/fail/iodev-duplicate-key.rs) |
/// | `stream` without `read` | [`iodev-stream-without-read`](../ui-tests/tests/ui/fail/iodev-stream-without-read.rs) |
/// | `bus` not `i2c`/`spi`, `name` not a string, .. | [`iodev-bad-value`](../ui-tests/tests/ui/fail/iodev-bad-value.rs) |
/// | `address` without `bus = i2c`, `cs` without `bus = spi` | [`iodev-address-without-bus`](../ui-tests/tests/ui/fail/iodev-address-without-bus.rs) |
/// | I2C address above 0x7f, chip select above 255 | [`iodev-address-out-of-range`](../ui-tests/tests/ui/fail/iodev-address-out-of-range.rs) |
#[proc_macro_attribute]
pub fn rtio_iodev(args: TokenStream, item: TokenStream) -> TokenStream {
    iodev::expand(args.into(), item.into()).into()
}

/// Builds a chain checked at compile time: `chain!(OWNER: CONTEXT, [ op, .. ] [=> finish])`.
///
/// `OWNER` is the claimed `rtio::Context` (or a reference to it), `CONTEXT` the path of the
/// [`#[rtio_define]`](macro@rtio_define) static it was claimed from. Entries run one after
/// the other (S4); `transaction[ op, .. ]` groups members of one bus transaction (S5).
/// The macro computes `N` and expands to `ctx.chain::<N>()` and the builder calls, then
/// `.prepare()` (the default), `=> submit` (prepare and dispatch), `=> run` (a future of
/// the completions) or `=> wait` (block until all complete). The result is a
/// `Result<_, rtio::Error>` (the runtime can still find the queue full); for `=> wait` it is
/// `Result<[rtio::Completion; N], rtio::ChainError<N>>`, an error when any entry failed
/// that names the entry that failed first and its own error, not the `Canceled` of the
/// entries after it (S17; `?` converts it into that `rtio::Error`). The prepared chain's
/// `rtio::ChainHandle` is `#[must_use]`: a chain that is only prepared does nothing until
/// `ctx.submit(..)`, so dropping its handle on the spot warns.
///
/// `=> wait_scoped` is the blocking form on **borrowed buffers** (stack arrays, locals): the
/// chain is built as an `rtio::ScopedChain` inside a scope of its own (`Context::scope`,
/// sound under `mem::forget` like `std::thread::scope`) and the call returns once every
/// entry completed, with `Result<usize, rtio::ScopedChainError>`: the last operation's result,
/// or the entry that failed first and its own error (S17). It offers `read`, `write`,
/// `tiny_write` (any length: the caller's bytes are lent, not copied into the entry),
/// `transceive`, `delay`, `link_timeout`, `transaction[..]` and `.hardlink()`:
///
/// ```
/// # use rtio::{Iodev, IodevApi, Request, Rtio, Token};
/// # use rtio_macros::{chain, rtio_define, rtio_iodev};
/// # struct Sensor;
/// # impl IodevApi for Sensor {
/// #     fn submit(&'static self, mut t: Token) {
/// #         let mut r = Ok(0);
/// #         for i in 0..t.transaction_len() {
/// #             r = match t.member(i) {
/// #                 Some(Request::Read(b)) => { b.copy_from_slice(&[0x19, 0x80]); Ok(2) }
/// #                 Some(Request::Write(d)) => Ok(d.len()),
/// #                 _ => Ok(0),
/// #             };
/// #         }
/// #         t.complete(r)
/// #     }
/// # }
/// # static DRV: Sensor = Sensor;
/// # static IO: Iodev = Iodev::new(&DRV);
/// # #[rtio_iodev(read, write, bus = i2c, address = 0x48)] pub struct Tmp105;
/// # const TEMP: rtio::Dev<Tmp105> = rtio::Dev::new_unchecked(&IO);
/// #[rtio_define(sq = 4, cq = 4)]
/// static APP: Rtio;
///
/// let ctx = APP.claim()?;
/// let mut temp = [0u8; 2]; // on the stack
/// let n = chain!(ctx: APP, [
///     transaction[ tiny_write(TEMP, [0x00]), read(TEMP, &mut temp) ],
/// ] => wait_scoped)?;
/// assert_eq!((n, temp), (2, [0x19, 0x80]));
/// # Ok::<(), rtio::Error>(())
/// ```
///
/// ```
/// # use rtio::{Iodev, IodevApi, Rtio, Token};
/// # use rtio_macros::{chain, rtio_define, rtio_iodev};
/// # struct Instant;
/// # impl IodevApi for Instant { fn submit(&'static self, t: Token) { t.ok(0) } }
/// # static DRV: Instant = Instant;
/// # static IO_A: Iodev = Iodev::new(&DRV);
/// # static IO_B: Iodev = Iodev::new(&DRV);
/// # #[rtio_iodev(read, write, bus = i2c, address = 0x48)] pub struct Tmp105;
/// # #[rtio_iodev(write, bus = spi, cs = 0)] pub struct Display;
/// # const TEMP: rtio::Dev<Tmp105> = rtio::Dev::new_unchecked(&IO_A);
/// # const DISPLAY: rtio::Dev<Display> = rtio::Dev::new_unchecked(&IO_B);
/// #[rtio_define(sq = 8, cq = 8)]
/// static APP: Rtio;
/// static FRAME: [u8; 4] = [0; 4];
///
/// let ctx = APP.claim().unwrap();
/// let rx: &'static mut [u8; 2] = Box::leak(Box::new([0; 2]));
/// let handle = chain!(ctx: APP, [
///     transaction[ tiny_write(TEMP, [0x00]), read(TEMP, rx).userdata(1) ],
///     write(DISPLAY, &FRAME).priority(rtio::Priority::High),
/// ] => submit)?;
/// # let _ = handle;
/// # Ok::<(), rtio::Error>(())
/// ```
///
/// Operations: `nop()`, `read(iodev, buffer)`, `read_pool(iodev, min, preferred)`,
/// `read_multishot(iodev, min, preferred)`, `write(iodev, buffer)`,
/// `tiny_write(iodev, data)`, `transceive(iodev, tx, rx)`, `callback(f, arg)`,
/// `delay(duration)`, `delay_until(instant)`, `link_timeout(duration)`, `await_signal()`,
/// `await_on(iodev)`, `i2c_configure(iodev, hz)`, `i2c_recover(iodev)`,
/// `spi_configure(iodev, hz, mode)`. Modifiers after an operation: `.userdata(u)`,
/// `.priority(p)`, `.no_response()`, `.hardlink()`, `.multishot()` (on `read_pool`).
///
/// # Rules
///
/// Each is a compile error that names the rule and points at your token. "syntax" rules are
/// found by the macro itself; "type" rules by a trait bound whose
/// `#[diagnostic::on_unimplemented]` names the rule; "const" rules by a `const` assertion
/// against the context's sizes.
///
/// | # | rule | how | case |
/// |---|---|---|---|
/// | 1 | an op the iodev cannot do | type (`rtio::caps`) | [`write-to-read-only`](../ui-tests/tests/ui/fail/write-to-read-only.rs), [`read-from-write-only`](../ui-tests/tests/ui/fail/read-from-write-only.rs), [`stream-unsupported`](../ui-tests/tests/ui/fail/stream-unsupported.rs) |
/// | 2 | transaction members on different iodevs | syntax | [`transaction-across-iodevs`](../ui-tests/tests/ui/fail/transaction-across-iodevs.rs) |
/// | 3 | longer than the context's submission side | const | [`chain-longer-than-context`](../ui-tests/tests/ui/fail/chain-longer-than-context.rs) |
/// | 4 | tiny write data over `rtio::TINY_MAX` (15) bytes | syntax (literal data), else type (arrays) | [`tiny-write-too-long`](../ui-tests/tests/ui/fail/tiny-write-too-long.rs), [`tiny-write-too-long-const`](../ui-tests/tests/ui/fail/tiny-write-too-long-const.rs) |
/// | 5 | pool read on a context without mempool | const | [`pool-read-without-mempool`](../ui-tests/tests/ui/fail/pool-read-without-mempool.rs) |
/// | 6 | multishot on an op other than a pool read | syntax | [`multishot-not-pool-read`](../ui-tests/tests/ui/fail/multishot-not-pool-read.rs) |
/// | 7 | multishot inside a chain or transaction | syntax | [`multishot-in-chain`](../ui-tests/tests/ui/fail/multishot-in-chain.rs) |
/// | 8 | `link_timeout` not following an operation | syntax | [`link-timeout-without-operation`](../ui-tests/tests/ui/fail/link-timeout-without-operation.rs) |
/// | 9 | empty chain or transaction | syntax | [`empty-chain`](../ui-tests/tests/ui/fail/empty-chain.rs) |
/// | 10 | a borrowed, non-`'static` buffer | syntax (`&mut local`), else the borrow checker | [`buffer-not-static`](../ui-tests/tests/ui/fail/buffer-not-static.rs), [`buffer-not-static-through-binding`](../ui-tests/tests/ui/fail/buffer-not-static-through-binding.rs) |
/// | 11 | a read into an immutable buffer | syntax (`&x`), else type | [`read-into-immutable`](../ui-tests/tests/ui/fail/read-into-immutable.rs) |
/// | 12 | I2C-only op on a SPI iodev, and the reverse | type (`rtio::caps`) | [`i2c-op-on-spi`](../ui-tests/tests/ui/fail/i2c-op-on-spi.rs), [`spi-op-on-i2c`](../ui-tests/tests/ui/fail/spi-op-on-i2c.rs) |
/// | 13 | `.no_response()` on an op owning a buffer (S3) | syntax | [`no-response-with-buffer`](../ui-tests/tests/ui/fail/no-response-with-buffer.rs) |
/// | 14 | completing an iodev token twice | move-only `rtio::Token` | [`token-completed-twice`](../ui-tests/tests/ui/fail/token-completed-twice.rs) |
/// | 15 | a pool read larger than the whole pool | const | [`pool-read-larger-than-pool`](../ui-tests/tests/ui/fail/pool-read-larger-than-pool.rs) |
/// | 16 | a transaction member without iodev (`delay`, `callback`, ..) | syntax | [`transaction-member-without-iodev`](../ui-tests/tests/ui/fail/transaction-member-without-iodev.rs) |
/// | 17 | a transaction inside a transaction | syntax | [`nested-transaction`](../ui-tests/tests/ui/fail/nested-transaction.rs) |
/// | 18 | `.hardlink()` with no chained successor | syntax | [`hardlink-without-successor`](../ui-tests/tests/ui/fail/hardlink-without-successor.rs) |
/// | 19 | `.no_response()` in a chain finished with `=> run`/`=> wait` | syntax | [`no-response-awaited`](../ui-tests/tests/ui/fail/no-response-awaited.rs) |
/// | 20 | SPI mode above 3 | syntax (literal) | [`spi-mode-out-of-range`](../ui-tests/tests/ui/fail/spi-mode-out-of-range.rs) |
/// | 21 | unknown operation | syntax | [`unknown-op`](../ui-tests/tests/ui/fail/unknown-op.rs) |
/// | 22 | wrong number of arguments | syntax | [`wrong-arguments`](../ui-tests/tests/ui/fail/wrong-arguments.rs) |
/// | 23 | unknown modifier | syntax | [`unknown-modifier`](../ui-tests/tests/ui/fail/unknown-modifier.rs) |
/// | 24 | a modifier given twice | syntax | [`duplicate-modifier`](../ui-tests/tests/ui/fail/duplicate-modifier.rs) |
/// | 25 | unknown `=> finish` | syntax | [`unknown-finish`](../ui-tests/tests/ui/fail/unknown-finish.rs) |
/// | 26 | `CONTEXT` not declared with `#[rtio_define]` (rustc: "declared as a static, not a type") | name resolution | [`context-not-declared`](../ui-tests/tests/ui/fail/context-not-declared.rs) |
/// | 27 | `write_previous` with no earlier caller-buffer `read` to take the buffer of | syntax | [`write-previous-without-read`](../ui-tests/tests/ui/fail/write-previous-without-read.rs) |
/// | 28 | a prepared chain's handle dropped on the spot (a forgotten submit) | lint (`unused_must_use`, a warning; an error under `deny`) | [`chain-prepared-never-submitted`](../ui-tests/tests/ui/fail/chain-prepared-never-submitted.rs) |
/// | 29 | with `=> wait_scoped`, an operation or modifier a chain on borrowed buffers does not offer | syntax | [`not-on-borrowed-buffers`](../ui-tests/tests/ui/fail/not-on-borrowed-buffers.rs) |
///
/// Every syntax-level mistake is reported in one run
/// ([`many-errors-one-run`](../ui-tests/tests/ui/fail/many-errors-one-run.rs)).
///
/// What stays at run time: transactions are compared by the text of their iodev expressions
/// (two names for one device pass; the runtime still checks the pointers in `prepare`); tiny
/// write data whose type is a slice is checked by `prepare`; the owner side passed in must
/// belong to `CONTEXT`, which its type does not say, so the chain fails with
/// `rtio::Error::WrongContext` (in every build, taking no entry) when it does not.
#[proc_macro]
pub fn chain(input: TokenStream) -> TokenStream {
    chain::expand(chain::parse::MacroKind::Chain, input.into()).into()
}

/// Builds one bus transaction checked at compile time:
/// `transaction!(OWNER: CONTEXT, [ op, .. ] [=> finish])`.
///
/// The same as [`chain!`] with every entry a member of one transaction (S5): one bus
/// transaction (SPI chip select held, I2C repeated start), one completion per member. All of
/// [`chain!`]'s rules apply; those that concern transactions most:
/// [`transaction-across-iodevs`](../ui-tests/tests/ui/fail/transaction-across-iodevs.rs),
/// [`transaction-member-without-iodev`](../ui-tests/tests/ui/fail/transaction-member-without-iodev.rs),
/// [`multishot-in-chain`](../ui-tests/tests/ui/fail/multishot-in-chain.rs),
/// [`link-timeout-without-operation`](../ui-tests/tests/ui/fail/link-timeout-without-operation.rs).
///
/// ```
/// # use rtio::{Iodev, IodevApi, Rtio, Token};
/// # use rtio_macros::{rtio_define, rtio_iodev, transaction};
/// # struct Instant;
/// # impl IodevApi for Instant { fn submit(&'static self, t: Token) { t.ok(0) } }
/// # static DRV: Instant = Instant;
/// # static IO: Iodev = Iodev::new(&DRV);
/// # #[rtio_iodev(read, write, bus = i2c, address = 0x50)] pub struct At24c;
/// # const EEPROM: rtio::Dev<At24c> = rtio::Dev::new_unchecked(&IO);
/// #[rtio_define(sq = 2, cq = 2)]
/// static MEM: Rtio;
/// let ctx = MEM.claim().unwrap();
/// let page: &'static mut [u8; 16] = Box::leak(Box::new([0; 16]));
/// let [_, read] = transaction!(ctx: MEM, [ tiny_write(EEPROM, [0x00, 0x40]), read(EEPROM, page) ] => wait)?;
/// # let _ = read;
/// # Ok::<(), rtio::Error>(())
/// ```
#[proc_macro]
pub fn transaction(input: TokenStream) -> TokenStream {
    chain::expand(chain::parse::MacroKind::Transaction, input.into()).into()
}

/// Turns a devicetree (DTS, or the same tree in TOML) into Rust items at compile time:
/// a module per node, constants for `reg` and properties, and iodev kinds with their
/// `rtio::caps` impls, ready for [`chain!`].
///
/// ```
/// mod dt {
///     rtio_macros::devicetree!("tests/boards/sensors.dts");
/// }
/// use dt::soc::i2c_40002000::tmp105_48 as tmp;
/// fn writable<K: rtio::caps::Write + rtio::caps::I2c>() {}
/// writable::<tmp::Kind>();
/// assert_eq!(tmp::BUS_ADDRESS, 0x48);
/// ```
///
/// The path is relative to the package root (`CARGO_MANIFEST_DIR`, as in a build script),
/// else to the directory of the calling source file. Every file read (the tree, its
/// `/include/`s, binding files) is tracked, so cargo rebuilds when one changes. A devicetree
/// mistake (a missing node, a wrong property type, a device on the wrong bus, an I2C address
/// out of range) is a compile error at the path, with the devicetree's file, line and column,
/// the line underlined, and a hint
/// ([`devicetree-error`](../ui-tests/tests/ui/fail/devicetree-error.rs)); a path that does not
/// exist is [`devicetree-file-not-found`](../ui-tests/tests/ui/fail/devicetree-file-not-found.rs).
/// Generated kinds are checked by [`chain!`] like any other
/// ([`devicetree-kind-checked`](../ui-tests/tests/ui/fail/devicetree-kind-checked.rs)).
///
/// # Generated bindings
///
/// After the path, `drivers { "compatible" => Type = init, .. }` declares which driver
/// serves which compatible (as `rtio_devicetree::Builder::driver` does in build.rs; see
/// `rtio_devicetree::drivers` for the names `init` sees: the node's constants, `DRIVER`,
/// `IODEV`, the bus controller's `super::DRIVER`), and `used [label, "/full/path", ..]`
/// names the nodes the program uses. Every enabled node a driver serves gets `DRIVER`, and
/// with an iodev kind `IODEV` and `DEV: rtio::Dev<Kind>`: the handle of that node's iodev
/// with that node's kind, the analogue of Zephyr's `I2C_DT_IODEV_DEFINE`.
///
/// ```
/// mod dt {
///     rtio_macros::devicetree!("tests/boards/sensors.dts", drivers {
///         "ti,tmp105" => crate::Regs = crate::Regs,
///     }, used [temp]);
/// }
/// use rtio::{IodevApi, Token};
///
/// pub struct Regs;
/// impl IodevApi for Regs {
///     fn submit(&'static self, t: Token) { t.ok(0) }
/// }
///
/// fn main() {
///     let temp: rtio::Dev<dt::labels::temp::Kind> = dt::labels::temp::DEV;
///     assert_eq!(format!("{temp:?}"), "Dev<tmp105@48>");
/// }
/// ```
///
/// The handle has its node's kind and no other:
/// [`devicetree-handle-kind-mismatch`](../ui-tests/tests/ui/fail/devicetree-handle-kind-mismatch.rs)
/// (another node's handle where this one's is expected),
/// [`devicetree-handle-read-write-only`](../ui-tests/tests/ui/fail/devicetree-handle-read-write-only.rs)
/// (reading the write-only display's handle). A used node that is disabled,
/// [`devicetree-handle-disabled-node`](../ui-tests/tests/ui/fail/devicetree-handle-disabled-node.rs),
/// or that no declared driver serves,
/// [`devicetree-driver-missing`](../ui-tests/tests/ui/fail/devicetree-driver-missing.rs), is a
/// devicetree error naming the node (`DT0309`, `DT0310`).
#[proc_macro]
pub fn devicetree(input: TokenStream) -> TokenStream {
    let caller = proc_macro::Span::call_site().local_file();
    devicetree::expand(input.into(), caller).into()
}

/// Check-only entry point: `__check!(chain|transaction [ .. ] [=> finish])` runs every
/// syntax-level rule of [`chain!`] without a context or devices and expands to `()`
/// ([`check-only-entry`](../ui-tests/tests/ui/fail/check-only-entry.rs)). For tests.
#[doc(hidden)]
#[proc_macro]
pub fn __check(input: TokenStream) -> TokenStream {
    chain::expand_check_only(input.into()).into()
}
