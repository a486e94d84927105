//! build.rs integration: a small crate (`tests/buildrs-app`) whose devicetree declares an
//! I2C sensor and a SPI display builds, runs and uses the generated kinds and constants; a
//! broken board fails the build with `cargo::error` lines naming the file and line.

mod common;

use std::process::Command;

use common::{crate_dir, scratch};

fn cargo(args: &[&str], board: Option<&str>) -> std::process::Output {
    let app = crate_dir().join("tests/buildrs-app");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args)
        .arg("--manifest-path")
        .arg(app.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", scratch("buildrs-app-target"))
        .current_dir(&app);
    match board {
        Some(b) => cmd.env("RTIO_APP_BOARD", b),
        None => cmd.env_remove("RTIO_APP_BOARD"),
    };
    cmd.output().expect("run cargo")
}

#[test]
fn app_builds_and_uses_generated_devicetree() {
    let out = cargo(&["run", "--quiet"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = "tmp105@48 at 0x48\n\
                lux@29 at 0x29\n\
                oled@1 on cs 1\n\
                stream: lux@29\n\
                lux gain 4 integration 100 ms\n\
                i2c0 /i2c@40020000 at 0x40020000 size 0x1000 clock 400000\n\
                alias display -> /ssi@40008000/oled@1\n\
                chosen sensor -> /i2c@40020000/tmp105@48\n\
                oled max 4000000 Hz, 128x64\n\
                corpus eeprom eeprom@50 at 0x50\n";
    assert_eq!(stdout, want);
}

#[test]
fn broken_board_fails_the_build_with_cargo_errors() {
    let out = cargo(&["build", "--quiet"], Some("boards/broken.dts"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a broken board must fail the build");
    assert!(
        stderr.contains("boards/broken.dts:12:10: error[DT0303]: I2C address 0x148"),
        "cargo did not show the error:\n{stderr}"
    );
}
