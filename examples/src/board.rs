//! The simulated board, declared once in `examples/boards/host.dts` and turned into Rust
//! at compile time by `rtio_macros::devicetree!`: bus speeds, addresses, chip selects,
//! display geometry, and a typed kind per device that `chain!` and the builders check.

/// Items generated from `boards/host.dts` (a module per node, `labels`, `aliases`).
#[allow(missing_debug_implementations, clippy::all)]
pub mod dt {
    rtio_macros::devicetree!("boards/host.dts");
}

pub use dt::labels;
