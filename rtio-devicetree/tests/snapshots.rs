//! Snapshot tests: rendered diagnostics for each error kind, and generated Rust.
//!
//! Expected text lives under `tests/snapshots/`. Run with `RTIO_BLESS=1` to rewrite the
//! files after an intended change, then review the diff.

mod common;

use common::crate_dir;
use rtio_devicetree::pipeline::{load_str, Options};

fn compare(name: &str, actual: &str) {
    let path = crate_dir().join("tests/snapshots").join(name);
    if std::env::var("RTIO_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {path:?}; run with RTIO_BLESS=1"));
    assert_eq!(
        actual, expected,
        "snapshot {name} differs (RTIO_BLESS=1 to update)"
    );
}

/// (snapshot name, file name, source). One case per error code.
const CASES: &[(&str, &str, &str)] = &[
    ("lexical", "bad.dts", "/dts-v1/;\n/ {\n\tp = <09>;\n};\n"),
    ("syntax", "app.dts", "/dts-v1/;\n/ {\n\tclock-frequency = <100000>\n\tstatus = \"okay\";\n};\n"),
    ("syntax-recovery", "app.dts", "/dts-v1/;\n/ {\n\ta = <1>\n\tb = <2>;\n\tc {\n\t\tx = <(1 + )>;\n\t}\n\td { };\n};\n"),
    ("io", "app.dts", "/dts-v1/;\n/include/ \"missing.dtsi\"\n/ { };\n"),
    ("integer", "app.dts", "/dts-v1/;\n/ {\n\tp = /bits/ 8 <0x1ff>;\n\tq = <(8 / (2 - 2))>;\n};\n"),
    ("header", "app.dts", "/ {\n};\n"),
    ("duplicate-label", "app.dts", "/dts-v1/;\n/ {\n\tuart: serial@1 { };\n\tuart: serial@2 { };\n};\n"),
    ("duplicate-node", "app.dts", "/dts-v1/;\n/ {\n\tled { };\n\tled { };\n};\n"),
    ("duplicate-property", "app.dts", "/dts-v1/;\n/ {\n\tmodel = \"a\";\n\tmodel = \"b\";\n};\n"),
    ("bad-name", "app.dts", "/dts-v1/;\n/ {\n\tsensor@1@2 { };\n};\n"),
    ("unresolved", "app.dts", "/dts-v1/;\n/ {\n\ti2c0: i2c { };\n\tdev {\n\t\tbus = <&i2c1>;\n\t\tpath = &{/spi};\n\t};\n};\n"),
    ("phandle", "app.dts", "/dts-v1/;\n/ {\n\ta { phandle = <7>; };\n\tb { phandle = <7>; };\n};\n"),
    ("name-property", "app.dts", "/dts-v1/;\n/ {\n\tleds { name = \"lights\"; };\n};\n"),
    ("reg-cells", "app.dts", "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tmem@0 {\n\t\treg = <0x0 0x1000 0x2000>;\n\t};\n};\n"),
    ("status", "app.dts", "/dts-v1/;\n/ {\n\tuart {\n\t\tstatus = \"enabled\";\n\t};\n};\n"),
    ("missing-property", "app.dts", "/dts-v1/;\n/ {\n\tspi {\n\t\tcompatible = \"rtio,spi-controller\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\tdisplay@0 {\n\t\t\tcompatible = \"solomon,ssd0323\";\n\t\t\treg = <0>;\n\t\t};\n\t};\n};\n"),
    ("property-type", "app.dts", "/dts-v1/;\n/ {\n\ti2c {\n\t\tcompatible = \"rtio,i2c-controller\";\n\t\tclock-frequency = \"fast\";\n\t};\n};\n"),
    ("i2c-address", "app.dts", "/dts-v1/;\n/ {\n\ti2c {\n\t\tcompatible = \"rtio,i2c-controller\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\ttemp@148 {\n\t\t\tcompatible = \"ti,tmp105\";\n\t\t\treg = <0x148>;\n\t\t};\n\t};\n};\n"),
    ("spi-chip-select", "app.dts", "/dts-v1/;\n/ {\n\tgpio: gpio { #gpio-cells = <2>; };\n\tspi {\n\t\tcompatible = \"rtio,spi-controller\";\n\t\tcs-gpios = <&gpio 3 0>;\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\tdisplay@1 {\n\t\t\tcompatible = \"solomon,ssd0323\";\n\t\t\treg = <1>;\n\t\t\tspi-max-frequency = <1000000>;\n\t\t};\n\t};\n};\n"),
    ("wrong-bus", "app.dts", "/dts-v1/;\n/ {\n\tspi {\n\t\tcompatible = \"rtio,spi-controller\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\ttemp@48 {\n\t\t\tcompatible = \"ti,tmp105\";\n\t\t\treg = <0x48>;\n\t\t};\n\t};\n};\n"),
    ("toml", "app.toml", "compatible = \"rtio,board\"\n[uart]\ncurrent-speed = 1.5\n"),
    ("toml-syntax", "app.toml", "compatible = \"rtio,board\n"),
    ("cpp-line-markers", "out.dts", "# 1 \"boards/app.dts\"\n/dts-v1/;\n# 1 \"boards/soc.dtsi\" 1\n/ {\n\tclocks = <&sysclk>;\n};\n# 3 \"boards/app.dts\" 2\n"),
    ("several-errors", "app.dts", "/dts-v1/;\n/ {\n\ta { x = <&nope>; };\n\tb { y = <&nada>; };\n\tc { status = \"on\"; };\n};\n"),
    ("unknown-compatible-used", "app.dts", TYPO_BOARD),
    ("unknown-bus-used", "app.dts", UNKNOWN_BUS_BOARD),
    ("used-disabled", "app.dts", "/dts-v1/;\n/ {\n\tuart0: serial {\n\t\tcompatible = \"rtio,uart\";\n\t\tstatus = \"disabled\";\n\t};\n};\n"),
    ("unterminated-string", "app.dts", "/dts-v1/;\n/ {\n\tmodel = \"acme board;\n\tcompatible = \"acme,board\";\n\tuart {\n\t\tstatus = \"okay\";\n\t};\n};\n"),
    ("toml-missing-property", "app.toml", "[spi]\ncompatible = \"rtio,spi-controller\"\n\"#address-cells\" = 1\n\"#size-cells\" = 0\n[spi.\"display@0\"]\ncompatible = \"solomon,ssd0323\"\nreg = 0\n"),
    ("toml-property-type", "app.toml", "[i2c]\ncompatible = \"rtio,i2c-controller\"\nclock-frequency = \"fast\"\n"),
    ("toml-unresolved", "app.toml", "[uart]\nclocks = [{ ref = \"sysclk\" }]\n"),
    ("driver-missing", "app.dts", "/dts-v1/;\n/ {\n\ti2c {\n\t\tcompatible = \"rtio,i2c-controller\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\ttemp: tmp105@48 {\n\t\t\tcompatible = \"ti,tmp105\";\n\t\t\treg = <0x48>;\n\t\t};\n\t\teeprom: eeprom@50 {\n\t\t\tcompatible = \"atmel,24c32\";\n\t\t\treg = <0x50>;\n\t\t};\n\t};\n};\n"),
    ("rust-type-too-small", "app.dts", "/dts-v1/;\n/ {\n\tspi {\n\t\tcompatible = \"rtio,spi-controller\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\tdisplay@0 {\n\t\t\tcompatible = \"solomon,ssd0323\";\n\t\t\treg = <0>;\n\t\t\tspi-max-frequency = <1000000>;\n\t\t\twidth = <70000>;\n\t\t};\n\t};\n};\n"),
];

/// A TMP105 mistyped as `ti,tmp150`, labelled `temp`.
const TYPO_BOARD: &str = "/dts-v1/;\n/ {\n\ti2c {\n\t\tcompatible = \"rtio,i2c-controller\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\ttemp: sensor@48 {\n\t\t\tcompatible = \"ti,tmp150\";\n\t\t\treg = <0x48>;\n\t\t};\n\t};\n};\n";

/// An EEPROM (known binding) under an I2C controller whose compatible has no binding.
const UNKNOWN_BUS_BOARD: &str = "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\ti2c@48070000 {\n\t\tcompatible = \"ti,omap4-i2c\";\n\t\treg = <0x48070000 0x100>;\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\teeprom: eeprom@50 {\n\t\t\tcompatible = \"atmel,24c02\";\n\t\t\treg = <0x50>;\n\t\t};\n\t};\n};\n";

/// The options a case runs with: most use the defaults; some need a used node or strict mode
/// to be an error at all.
fn opts_for(name: &str) -> Options {
    let used = |n: &str| Options {
        used: vec![n.to_string()],
        ..Options::default()
    };
    match name {
        // dtc only warns about a `reg` that does not fit the cell counts
        "reg-cells" => Options {
            strict: true,
            ..Options::default()
        },
        "unknown-compatible-used" => used("temp"),
        "unknown-bus-used" => used("eeprom"),
        "used-disabled" => used("uart0"),
        // a driver for the sensor only, and the EEPROM used too
        "driver-missing" => Options {
            used: vec!["temp".to_string(), "eeprom".to_string()],
            drivers: vec![rtio_devicetree::Driver::new(
                "ti,tmp105",
                "Drv",
                "Drv::new(BUS_ADDRESS)",
            )],
            ..Options::default()
        },
        _ => Options::default(),
    }
}

/// (snapshot name, file name, source) of inputs accepted with warnings by default.
const WARNING_CASES: &[(&str, &str, &str)] = &[
    ("warning-unknown-compatible", "app.dts", TYPO_BOARD),
    ("warning-unknown-bus", "app.dts", UNKNOWN_BUS_BOARD),
    ("warning-reg-cells", "app.dts", "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tmem@0 {\n\t\treg = <0x0 0x1000 0x2000>;\n\t};\n};\n"),
];

#[test]
fn checks_that_dtc_only_warns_about_or_that_lack_a_binding_are_warnings() {
    for (name, file, src) in WARNING_CASES {
        let checked = load_str(file, src, &Options::default())
            .unwrap_or_else(|e| panic!("{name} rejected:\n{}", e.render()));
        let text = checked.render_warnings();
        assert!(text.contains("warning[DT"), "{name}: no warning:\n{text}");
        assert!(text.contains("= help:"), "{name}: no hint:\n{text}");
        assert!(!text.contains("error"), "{name}:\n{text}");
        compare(&format!("diagnostics/{name}.txt"), &text);
        // the same input is rejected in strict mode
        let strict = Options {
            strict: true,
            ..Options::default()
        };
        assert!(
            load_str(file, src, &strict).is_err(),
            "{name} passes --strict"
        );
    }
}

#[test]
fn every_error_kind_renders_with_location_underline_and_hint() {
    for (name, file, src) in CASES {
        let err = match load_str(file, src, &opts_for(name)) {
            Ok(_) => panic!("case {name} unexpectedly accepted"),
            Err(e) => e,
        };
        let text = err.render();
        assert!(text.contains("error[DT"), "{name}: no code:\n{text}");
        assert!(text.contains("= help:"), "{name}: no hint:\n{text}");
        if file.ends_with(".toml") {
            // a TOML board gets TOML hints: no `<cells>`, `;` or `label: node { }` syntax
            for help in text.lines().filter(|l| l.contains("= help:")) {
                assert!(
                    !help.contains(";`") && !help.contains('<') && !help.contains("{ .. }"),
                    "{name}: DTS syntax in a TOML hint: {help}"
                );
            }
        }
        compare(&format!("diagnostics/{name}.txt"), &text);
    }
}

#[test]
fn unit_address_mismatches_are_warnings_not_errors() {
    let src = "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tuart@4000c000 {\n\t\treg = <0x4000d000 0x1000>;\n\t};\n\tmemory {\n\t\treg = <0 0x1000>;\n\t};\n\tclock@1 {\n\t};\n};\n";
    let checked = load_str("app.dts", src, &Options::default()).expect("warnings only");
    assert_eq!(checked.warnings.len(), 3);
    assert_eq!(checked.cargo_warning_lines().len(), 3);
    assert!(
        checked.cargo_warning_lines()[0].starts_with("cargo::warning=app.dts:5:2: warning[DT0501]")
    );
    compare(
        "diagnostics/warning-unit-address.txt",
        &checked.render_warnings(),
    );
    let dtc_only = Options {
        dtc_only: true,
        ..Options::default()
    };
    assert!(load_str("app.dts", src, &dtc_only)
        .expect("accepted")
        .warnings
        .is_empty());
}

#[test]
fn binding_file_errors_render_against_the_binding_file() {
    // cargo runs tests in the package root, so the relative path renders as written
    let opts = Options {
        binding_files: vec!["tests/bindings/bad.toml".into()],
        ..Options::default()
    };
    let err = load_str("app.dts", "/dts-v1/;\n/ { };\n", &opts).expect_err("bad binding");
    let text = err.render();
    assert!(text.contains("error[DT0306]"), "{text}");
    compare("diagnostics/binding.txt", &text);
}

#[test]
fn cpp_line_markers_report_the_original_file_and_line() {
    let src = CASES
        .iter()
        .find(|c| c.0 == "cpp-line-markers")
        .expect("case")
        .2;
    let err = load_str("out.dts", src, &Options::default()).expect_err("unresolved label");
    assert!(
        err.render().contains("--> boards/soc.dtsi:2:12"),
        "{}",
        err.render()
    );
}

#[test]
fn cargo_error_lines_are_one_per_error() {
    let src = CASES
        .iter()
        .find(|c| c.0 == "several-errors")
        .expect("case")
        .2;
    let err = load_str("app.dts", src, &Options::default()).expect_err("errors");
    let lines = err.cargo_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("cargo::error=app.dts:3:11: error[DT0105]"),
        "{lines:?}"
    );
}

#[test]
fn cargo_rendered_lines_carry_every_rendered_line() {
    let src = CASES
        .iter()
        .find(|c| c.0 == "spi-chip-select")
        .expect("case")
        .2;
    let err = load_str("app.dts", src, &Options::default()).expect_err("errors");
    let lines = err.cargo_rendered_lines();
    let rendered = err.render();
    // every line of the rendering (location, source, underline, second location, hint),
    // in order, on cargo's error channel; the closing count without its `error: ` prefix
    let want: Vec<String> = rendered
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| format!("cargo::error={}", l.strip_prefix("error: ").unwrap_or(l)))
        .collect();
    assert_eq!(lines, want);
    assert!(
        lines.iter().any(|l| l.contains("::: app.dts:")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("= help:")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("^^^")), "{lines:?}");
}

#[test]
fn generated_rust_for_the_lm3s6965evb_board() {
    let path = crate_dir().join("tests/dts/lm3s6965evb.dts");
    let src = std::fs::read_to_string(&path).expect("board");
    let g = rtio_devicetree::generate_from_str("lm3s6965evb.dts", &src).expect("board checks");
    compare("codegen/lm3s6965evb.rs", &g.code);
}

#[test]
fn generated_rust_for_the_toml_board() {
    let path = crate_dir().join("tests/toml/board.toml");
    let src = std::fs::read_to_string(&path).expect("board");
    let g = rtio_devicetree::generate_from_str("board.toml", &src).expect("board checks");
    compare("codegen/board-toml.rs", &g.code);
}

#[test]
fn toml_and_dts_boards_print_the_same_tree() {
    let opts = Options {
        dtc_only: true,
        ..Options::default()
    };
    let read = |p: &str| std::fs::read_to_string(crate_dir().join(p)).expect("read");
    let a = load_str("board.dts", &read("tests/dts/board.dts"), &opts).expect("dts");
    let b = load_str("board.toml", &read("tests/toml/board.toml"), &opts).expect("toml");
    assert_eq!(
        rtio_devicetree::canonical::to_dts(&a.tree),
        rtio_devicetree::canonical::to_dts(&b.tree)
    );
}
