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
//! // build.rs: writes $OUT_DIR/devicetree.rs, prints cargo::rerun-if-changed / cargo::error
//! let _ = rtio_devicetree::Builder::new("boards/app.dts")
//!     .bindings_dir("boards/bindings")
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
//! assert!(generated.code.contains("pub const BUS_ADDRESS: u16 = 0x48;"));
//! assert!(generated.code.contains("impl ::rtio::caps::I2c for Kind {}"));
//!
//! // A mistake is reported with file, line, column, the source line and a hint:
//! let bad = dts.replace("<0x48>", "<0x148>");
//! let err = rtio_devicetree::generate_from_str("app.dts", &bad).unwrap_err();
//! assert!(err.render().contains("error[DT0303]: I2C address 0x148"));
//! ```
//!
//! The `rtio-dt` binary prints a file as canonical DTS (`rtio-dt board.dts`, the same bytes
//! as `dtc -I dts -O dts board.dts`) or as Rust (`rtio-dt --rust board.dts`).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bindings;
pub mod builder;
pub mod canonical;
pub mod codegen;
pub mod diagnostics;
pub mod lexer;
pub mod model;
pub mod parser;
pub mod passes;
pub mod pipeline;
pub mod source;
pub mod toml_front;

pub use builder::{generate_from_file, generate_from_str, generate_with, Builder, Generated};
pub use diagnostics::{Diagnostic, Diagnostics};
pub use pipeline::Options;
