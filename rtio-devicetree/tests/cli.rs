//! The `rtio-dt` command line: `--help` and `--version` are options, not file names; bad
//! command lines exit 2 with a short usage; `--strict` and `--use` change what is an error.

mod common;

use std::process::{Command, Output};

use common::{crate_dir, scratch};

fn rtio_dt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .args(args)
        .output()
        .expect("run rtio-dt")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_prints_usage_with_every_option() {
    for flag in ["--help", "-h"] {
        let out = rtio_dt(&[flag]);
        assert!(out.status.success(), "{flag}");
        let help = text(&out.stdout);
        assert!(help.contains("Usage: rtio-dt [OPTIONS] FILE"), "{help}");
        for opt in [
            "--rust",
            "--dtc-only",
            "--strict",
            "--use NODE",
            "-i DIR",
            "-b DIR",
            "--help",
            "--version",
            "Exit status",
        ] {
            assert!(help.contains(opt), "--help does not mention {opt}:\n{help}");
        }
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn version_is_an_option_not_a_file() {
    for flag in ["--version", "-V"] {
        let out = rtio_dt(&[flag]);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!("rtio-dt {}\n", env!("CARGO_PKG_VERSION"))
        );
        assert!(!text(&out.stderr).contains("cannot read"));
    }
}

#[test]
fn bad_command_lines_exit_2_with_a_reason() {
    for (args, why) in [
        (&["--verison"][..], "unknown option `--verison`"),
        (&[][..], "no FILE given"),
        (&["a.dts", "b.dts"][..], "only one FILE can be given"),
        (&["-i"][..], "`-i` needs a value"),
        (&["--dtc-only", "--rust", "a.dts"][..], "cannot be combined"),
    ] {
        let out = rtio_dt(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
        assert!(err.contains("rtio-dt --help"), "{args:?}: {err}");
    }
}

#[test]
fn double_dash_takes_a_file_named_like_an_option() {
    let dir = scratch("cli-dash");
    let f = dir.join("--version");
    std::fs::write(&f, "/dts-v1/;\n/ { };\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .current_dir(&dir)
        .args(["--", "--version"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "/dts-v1/;\n\n/ {\n};\n");
}

#[test]
fn dash_reads_stdin_and_line_markers_still_name_the_file() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"# 1 \"boards/app.dts\"\n/dts-v1/;\n/ {\n\tp = <&nope>;\n};\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("--> boards/app.dts:3:7"), "{err}");
    let ok = Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .arg("-")
        .stdin(std::fs::File::open(crate_dir().join("tests/dts/board.dts")).expect("board"))
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).starts_with("/dts-v1/;"));
}

const TYPO: &str = "/dts-v1/;
/ {
	i2c {
		compatible = \"rtio,i2c-controller\";
		#address-cells = <1>;
		#size-cells = <0>;
		temp: sensor@48 {
			compatible = \"ti,tmp150\";
			reg = <0x48>;
		};
	};
};
";

#[test]
fn unknown_compatible_warns_and_use_makes_it_an_error() {
    let dir = scratch("cli-use");
    let f = dir.join("typo.dts");
    std::fs::write(&f, TYPO).expect("write");
    let f = f.to_str().expect("utf-8 path");
    let plain = rtio_dt(&[f]);
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    let err = text(&plain.stderr);
    assert!(
        err.contains("warning[DT0307]: unknown compatible `ti,tmp150`"),
        "{err}"
    );
    assert!(err.contains("did you mean `ti,tmp105`?"), "{err}");
    for used in ["temp", "&temp", "/i2c/sensor@48"] {
        let out = rtio_dt(&["--use", used, f]);
        assert_eq!(out.status.code(), Some(1), "{used}");
        let err = text(&out.stderr);
        assert!(
            err.contains("error[DT0307]: unknown compatible `ti,tmp150`"),
            "{err}"
        );
        assert!(
            err.contains("the nearest known compatible is `ti,tmp105`"),
            "{err}"
        );
    }
    let strict = rtio_dt(&["--strict", f]);
    assert_eq!(strict.status.code(), Some(1));
    let out = rtio_dt(&["-u", "tmep", f]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[DT0309]: `tmep` is used, but no node"),
        "{err}"
    );
    assert!(err.contains("the nearest label is `temp`"), "{err}");
    // the crate's own board is accepted as is
    let board = crate_dir().join("tests/dts/lm3s6965evb.dts");
    let out = rtio_dt(&["--strict", board.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
