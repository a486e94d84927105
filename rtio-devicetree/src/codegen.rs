//! Rust code generation (placeholder replaced below).
use crate::pipeline::Checked;
/// Generates Rust.
pub fn generate(_c: &Checked) -> String {
    String::new()
}
