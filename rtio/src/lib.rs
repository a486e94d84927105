//! rtio runtime (in progress).
#![no_std]
pub mod caps;
