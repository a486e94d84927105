//! Proc-macros for rtio (docs below are completed at the end).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod chain;
mod define;
mod diag;
mod iodev;

use proc_macro::TokenStream;

/// Declares a context as static storage.
#[proc_macro_attribute]
pub fn rtio_define(args: TokenStream, item: TokenStream) -> TokenStream {
    define::expand(args.into(), item.into()).into()
}

/// Declares what an iodev kind can do.
#[proc_macro_attribute]
pub fn rtio_iodev(args: TokenStream, item: TokenStream) -> TokenStream {
    iodev::expand(args.into(), item.into()).into()
}

/// Builds a chain checked at compile time.
#[proc_macro]
pub fn chain(input: TokenStream) -> TokenStream {
    chain::expand(chain::parse::MacroKind::Chain, input.into()).into()
}

/// Builds a bus transaction checked at compile time.
#[proc_macro]
pub fn transaction(input: TokenStream) -> TokenStream {
    chain::expand(chain::parse::MacroKind::Transaction, input.into()).into()
}

/// Check-only entry point: runs the syntax-level rules without a context or devices.
#[doc(hidden)]
#[proc_macro]
pub fn __check(input: TokenStream) -> TokenStream {
    chain::expand_check_only(input.into()).into()
}
