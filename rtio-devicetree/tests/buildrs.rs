//! build.rs integration: a small crate (`tests/buildrs-app`) whose devicetree declares an
//! I2C sensor and a SPI display builds, runs and uses the generated kinds and constants, and
//! cargo shows its warning (a mistyped compatible) in full; a broken board fails the build,
//! and cargo shows the whole rendered diagnostic (location, source line, underline, hint)
//! without `-vv`.

mod common;

use std::process::Command;

use common::{crate_dir, scratch};

fn cargo(args: &[&str], board: Option<&str>) -> std::process::Output {
    cargo_using(args, board, None)
}

fn cargo_using(args: &[&str], board: Option<&str>, used: Option<&str>) -> std::process::Output {
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
    match used {
        Some(u) => cmd.env("RTIO_APP_USE", u),
        None => cmd.env_remove("RTIO_APP_USE"),
    };
    cmd.output().expect("run cargo")
}

#[test]
fn app_builds_and_uses_generated_devicetree() {
    let out = cargo(&["run"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build failed:\n{stderr}");
    // the warning, every rendered line of it, as cargo shows build-script warnings
    for line in [
        "warning: buildrs-app@0.0.0: warning[DT0307]: unknown compatible `ti,tmp150` of `/i2c@40020000/sensor@4a`",
        "warning: buildrs-app@0.0.0:   --> boards/app.dts:36:17",
        "warning: buildrs-app@0.0.0: 36 |             compatible = \"ti,tmp150\";",
        "warning: buildrs-app@0.0.0:    |                          ^^^^^^^^^^^ did you mean `ti,tmp105`?",
        "warning: buildrs-app@0.0.0:    = help: `ti,tmp150` has no binding; the nearest known compatible is `ti,tmp105`",
    ] {
        assert!(stderr.contains(line), "cargo did not show `{line}`:\n{stderr}");
    }
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
    // every rendered line, through cargo's error channel: no `-vv` needed
    let want = [
        "error: buildrs-app@0.0.0: error[DT0303]: I2C address 0x148 of `/i2c@40020000/tmp105@48` is out of range",
        "error: buildrs-app@0.0.0:   --> boards/broken.dts:12:10",
        "error: buildrs-app@0.0.0:    |",
        "error: buildrs-app@0.0.0: 12 |             reg = <0x148>;",
        "error: buildrs-app@0.0.0:    |                   ^^^^^^^ must be at most 0x7f",
        "error: buildrs-app@0.0.0:    = help: 7-bit addresses are 0x00..=0x7f; for a 10-bit address set bit 31 (I2C_TEN_BIT_ADDRESS)",
        "error: buildrs-app@0.0.0: devicetree has 1 error",
    ];
    let mut at = 0;
    for line in want {
        let Some(i) = stderr[at..].find(line) else {
            panic!("cargo did not show `{line}` (in order):\n{stderr}");
        };
        at += i + line.len();
    }
    assert!(
        !stderr.contains("panicked"),
        "the build script must not panic:\n{stderr}"
    );
}

#[test]
fn a_used_node_with_an_unknown_compatible_fails_the_build() {
    // the same board builds (with a warning) until the program uses the mistyped node
    let out = cargo_using(&["build", "--quiet"], None, Some("typo"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a used unbound node must fail the build"
    );
    for line in [
        "error: buildrs-app@0.0.0: error[DT0307]: unknown compatible `ti,tmp150` of `/i2c@40020000/sensor@4a`",
        "error: buildrs-app@0.0.0:   --> boards/app.dts:36:17",
        "error: buildrs-app@0.0.0:    = help: `ti,tmp150` has no binding; the nearest known compatible is `ti,tmp105`; this node is used, so it needs a binding",
    ] {
        assert!(stderr.contains(line), "cargo did not show `{line}`:\n{stderr}");
    }
    let out = cargo_using(&["build", "--quiet"], None, Some("tmp105"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a used name that matches no node must fail"
    );
    assert!(
        stderr
            .contains("error[DT0309]: `tmp105` is used, but no node has this label, path or alias"),
        "{stderr}"
    );
}
