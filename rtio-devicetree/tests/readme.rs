//! The README's devicetree section says what the code does: its DTS board and its TOML board
//! are the same tree, both pass the default checks with no warning, and the error example is
//! exactly what the DTS board with those two mistakes renders.

mod common;

use common::crate_dir;
use rtio_devicetree::pipeline::{load_str, Options};

fn readme() -> String {
    std::fs::read_to_string(crate_dir().join("../README.md")).expect("README.md")
}

/// The first fenced block of language `lang` after the line `after`.
fn block(text: &str, after: &str, lang: &str) -> String {
    let start = text
        .find(after)
        .unwrap_or_else(|| panic!("README has no `{after}`"));
    let rest = &text[start..];
    let open = format!("```{lang}\n");
    let b = rest
        .find(&open)
        .unwrap_or_else(|| panic!("no ```{lang} block after `{after}`"))
        + open.len();
    let e = rest[b..].find("```\n").expect("closing fence") + b;
    rest[b..e].to_string()
}

fn dts_board() -> String {
    block(&readme(), "## Devicetree", "dts")
}

fn toml_board() -> String {
    block(&readme(), "### The same board in TOML", "toml")
}

#[test]
fn the_readme_toml_board_is_the_readme_dts_board() {
    let dtc_only = Options {
        dtc_only: true,
        ..Options::default()
    };
    let dts = load_str("boards/app.dts", &dts_board(), &dtc_only)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let toml = load_str("boards/app.toml", &toml_board(), &dtc_only)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(
        rtio_devicetree::canonical::to_dts(&toml.tree),
        rtio_devicetree::canonical::to_dts(&dts.tree)
    );
    // nested nodes, labels and references arrive as in DTS
    let text = rtio_devicetree::canonical::to_dts(&toml.tree);
    for want in [
        "temp: tmp105@48 {",
        "reset-gpios = <0x01 0x05 0x00>;",
        "display = \"/ssi@40008000/oled@0\";",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
}

#[test]
fn both_readme_boards_pass_the_checks_without_warnings() {
    let opts = Options {
        strict: true,
        used: vec!["temp".into(), "oled".into(), "display".into()],
        ..Options::default()
    };
    for (name, src) in [
        ("boards/app.dts", dts_board()),
        ("boards/app.toml", toml_board()),
    ] {
        let c = load_str(name, &src, &opts).unwrap_or_else(|e| panic!("{name}:\n{}", e.render()));
        assert!(c.warnings.is_empty(), "{name}:\n{}", c.render_warnings());
    }
}

#[test]
fn the_readme_error_example_is_what_the_board_renders() {
    let want = block(&readme(), "A mistake is reported", "text");
    let broken = dts_board()
        .replace("reg = <0x48>;", "reg = <0x148>;")
        .replace("reg = <0>;", "reg = <1>;");
    let err = load_str("boards/app.dts", &broken, &Options::default()).expect_err("two mistakes");
    assert_eq!(err.render(), want);
}
