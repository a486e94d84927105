//! Devicetree front ends for rtio (in progress).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bindings;
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
