//! # rtio-devicetree
//!
//! Devicetree source (DTS, as `dtc` reads it) or the same tree in TOML, checked like a
//! compiler checks code and turned into typed Rust for [rtio](../rtio/index.html).
//!
//! ```text
//!  DTS ──lexer──parser──┐                 ┌─ canonical ─> DTS (byte-identical to dtc -O dts)
//!                       ├─> model::Tree ──┤
//!  TOML ──toml_front────┘   passes/*      └─ codegen ───> Rust module tree
//! ```
//!
//! From `build.rs`:
//!
//! ```no_run
//! // build.rs: writes $OUT_DIR/devicetree.rs, prints cargo::rerun-if-changed, and on a
//! // mistake every rendered line as cargo::error= (the build fails, shown without -vv)
//! let _ = rtio_devicetree::Builder::new("boards/app.dts")
//!     .bindings_dir("boards/bindings")
//!     .used("temp") // a node the program uses: it must have a binding
//!     .generate();
//! ```
//!
//! and in the crate: `mod dt { include!(concat!(env!("OUT_DIR"), "/devicetree.rs")); }`.
//!
//! The pure form, used by the `devicetree!` proc-macro:
//!
//! ```
//! let dts = r#"
//! /dts-v1/;
//! / {
//!     #address-cells = <1>;
//!     #size-cells = <1>;
//!     i2c0: i2c@40002000 {
//!         compatible = "ti,stellaris-i2c";
//!         reg = <0x40002000 0x1000>;
//!         #address-cells = <1>;
//!         #size-cells = <0>;
//!         temp: tmp105@48 {
//!             compatible = "ti,tmp105";
//!             reg = <0x48>;
//!         };
//!     };
//! };
//! "#;
//! let generated = rtio_devicetree::generate_from_str("app.dts", dts).unwrap();
//! assert!(generated.code.contains("pub const BUS_ADDRESS: u8 = 0x48;"));
//! assert!(generated.code.contains("impl ::rtio::caps::I2c for Kind {}"));
//!
//! // A mistake is reported with file, line, column, the source line and a hint:
//! let bad = dts.replace("<0x48>", "<0x148>");
//! let err = rtio_devicetree::generate_from_str("app.dts", &bad).unwrap_err();
//! assert!(err.render().contains("error[DT0303]: I2C address 0x148"));
//! ```
//!
//! The `rtio-dt` binary checks a file and prints it as canonical DTS (`rtio-dt board.dts`,
//! the same bytes as `dtc -I dts -O dts board.dts`) or as Rust (`rtio-dt --rust board.dts`);
//! `rtio-dt --help` lists its options (`--dtc-only`, `--strict`, `--use NODE`, `-` for stdin).
//!
//! ## Entry points
//!
//! | caller | call |
//! |---|---|
//! | build.rs | [`Builder::new`]`(path)`… [`Builder::driver`]`(compatible, type, init)`… [`Builder::generate`]: writes `$OUT_DIR/devicetree.rs`, prints `cargo::rerun-if-changed=` for every file read and every rendered line of every diagnostic as `cargo::error=` / `cargo::warning=` (see [How the build fails](Builder#how-the-build-fails)) |
//! | proc-macro (`devicetree!`) | [`generate_from_file`]`(path) -> Result<`[`Generated`]` { code, files_read }, `[`Diagnostics`]`>`: pure, prints nothing; track every `files_read` (also on error: [`Diagnostics::files_read`]) and report [`Diagnostics::render`] or [`Diagnostic::short`] |
//! | tools, tests | [`pipeline::load_file`] / [`pipeline::load_str`] → [`pipeline::Checked`] (the tree), then [`codegen::generate`] or [`canonical::to_dts`] |
//!
//! ## Errors, warnings, and nodes in use
//!
//! A tree that contradicts a known binding is an error: a device on the wrong bus, an I2C
//! address out of range, a missing required property, a property of the wrong type. What
//! dtc itself only warns about (a `reg` that does not fit the parent's cell counts, unit
//! addresses) is a warning. A check that needs a binding the tree's compatible does not
//! have is a warning too: an unknown compatible that looks like a typo of a known one
//! (`DT0307`, with the nearest known name), a device whose bus controller has no binding
//! (`DT0308`): an unknown binding is not a wrong one, and real boards are full of them.
//!
//! For the nodes the program uses, those checks are errors. The code generator (driver
//! instances, iodev handles) and the macros (chains) name the nodes they use in
//! [`Options::used`] (or [`Builder::used`]; `rtio-dt --use NODE`): a label, a full path or
//! an alias. For each used node, an unknown compatible (any, named with the nearest known
//! one), a bus controller without a binding, a `reg` the generator cannot decode, a name
//! that matches no node and a disabled node are errors ([`passes::Ctx::level`] decides).
//! A caller holding a [`pipeline::Checked`] can resolve a name with
//! [`pipeline::Checked::node`]. [`Options::strict`] (`--strict`) makes every
//! warning an error.
//!
//! Relative paths are relative to the process's working directory (the package root in
//! build.rs); a proc-macro should join them to `CARGO_MANIFEST_DIR` first.
//!
//! ## Generated code
//!
//! One module per enabled node, nested like the tree (`i2c@40002000` becomes
//! `i2c_40002000`; clashes get `_2`, keywords a trailing `_`), each with `PATH`, `NAME`,
//! `COMPATIBLE`, `PHANDLE`, `REG: &[(u64, u64)]`, `REG_ADDRESS`, `REG_SIZE` and one constant
//! per property (`clock-frequency` becomes `CLOCK_FREQUENCY`, typed by the binding:
//! `u32`, `u64`, `&str`, `&[&str]`, `&[u32]`, `&[u8]`, `bool`; binding defaults fill in
//! missing properties). A node whose binding names an iodev kind gets `pub struct Kind`
//! implementing `rtio::caps::Kind` and its capability traits (`Read`, `Write`,
//! `Transceive`, `Stream`, and `I2c` + `BUS_ADDRESS: u8` (`u16` for a 10-bit address) or `Spi` + `CHIP_SELECT: u8`).
//! A node a declared driver serves ([`Builder::driver`], [`drivers`]) also gets
//! `pub static DRIVER` (the driver instance, built from the node's constants and its bus
//! controller's `DRIVER`), and with an iodev kind `pub static IODEV` and `pub const DEV:
//! rtio::Dev<Kind>`: the typed handle of this node's iodev, of this node's kind only.
//! Then `labels` (re-exports by label), `aliases` and `chosen` (re-exports of the nodes their
//! strings name, plus the strings). Disabled nodes generate nothing.
//!
//! ## Bindings
//!
//! Built-in bindings live in `src/bindings/builtin.toml`; user files use the same format:
//!
//! ```toml
//! [[binding]]
//! compatible = "acme,lux"
//! description = "ACME ambient light sensor"
//! on-bus = "i2c"                                  # or provides-bus = "i2c" | "spi"
//! iodev = { kind = "sensor", caps = ["read", "stream"] }
//! [binding.properties]
//! gain = { type = "u32", required = true }
//! integration-time-ms = { type = "u32", default = 100 }
//! ```
//!
//! ## TOML devicetrees
//!
//! A `.toml` input is the same tree: tables are nodes (children are dotted headers such as
//! `["i2c@40020000"."tmp105@48"]`), other keys properties, `"@label"` labels, `{ ref =
//! "label" }` phandle cells and `{ path = "label" }` paths; see [`toml_front`] for a whole
//! board and the value mapping. Hints are written in the input's syntax ([`syntax`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bindings;
pub mod builder;
pub mod canonical;
pub mod codegen;
pub mod diagnostics;
pub mod drivers;
pub mod lexer;
pub mod model;
pub mod nearest;
pub mod parser;
pub mod passes;
pub mod pipeline;
pub mod source;
pub mod syntax;
pub mod toml_front;

pub use builder::{generate_from_file, generate_from_str, generate_with, Builder, Generated};
pub use diagnostics::{Diagnostic, Diagnostics};
pub use drivers::Driver;
pub use pipeline::Options;
