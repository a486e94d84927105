//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Output of `dtc -I dts -O dts`: `Ok(stdout)` or `Err(stderr)`.
pub fn dtc(path: &Path) -> Result<String, String> {
    let out = Command::new("dtc")
        .args(["-q", "-I", "dts", "-O", "dts"])
        .arg(path)
        .output()
        .expect("dtc was checked to be installed");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Whether dtc tests should run. Panics with a clear message if dtc is missing, unless
/// `RTIO_SKIP_DTC=1`.
pub fn dtc_available() -> bool {
    let ok = Command::new("dtc")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var("RTIO_SKIP_DTC").as_deref() == Ok("1") {
        eprintln!("dtc not installed; skipping because RTIO_SKIP_DTC=1");
        return false;
    }
    panic!(
        "`dtc` (device-tree-compiler) is not installed, so dtc equivalence cannot be checked.\n\
         Install it (`apt-get install -y device-tree-compiler`) or set RTIO_SKIP_DTC=1 to skip."
    );
}

/// Our canonical output: `Ok(dts)` or `Err(rendered diagnostics)`.
pub fn ours(path: &Path) -> Result<String, String> {
    let opts = rtio_devicetree::Options {
        dtc_only: true,
        ..Default::default()
    };
    match rtio_devicetree::pipeline::load_file(path, &opts) {
        Ok(c) => Ok(rtio_devicetree::canonical::to_dts(&c.tree)),
        Err(d) => Err(d.render()),
    }
}

/// The crate directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `*.dts` files in a directory, sorted.
pub fn dts_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus dir exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "dts"))
        .collect();
    v.sort();
    v
}

/// A scratch directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let base = option_env!("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let d = base.join(name);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}
