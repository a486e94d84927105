#![no_main]
//! The DTS front end, passes and code generator never panic; spans stay in bounds.
mod check;
libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check("fuzz.dts", data));
