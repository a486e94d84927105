//! Build script: puts `memory.x` on the linker path and turns the board's devicetree into
//! typed Rust (`$OUT_DIR/devicetree.rs`) with rtio-devicetree.
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Err(e) = std::fs::copy("memory.x", out.join("memory.x")) {
        println!("cargo::error=cannot copy memory.x to OUT_DIR: {e}");
        return;
    }
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rerun-if-changed=memory.x");
    println!("cargo::rerun-if-changed=build.rs");
    // Diagnostics are printed by the builder (file:line:col, the source line, a hint) and
    // the build fails with `cargo::error=` lines.
    let _ = rtio_devicetree::Builder::new("boards/lm3s6965evb.dts")
        .bindings_dir("boards/bindings")
        .generate();
}
