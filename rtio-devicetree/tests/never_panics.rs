//! No input makes the front ends, passes or code generator panic, and every diagnostic span
//! lies inside the file it names (the proptest equivalent of the cargo-fuzz target).

mod common;

use common::{crate_dir, dts_files};
use proptest::prelude::*;
use rtio_devicetree::pipeline::{load_str, Options};
use rtio_devicetree::Diagnostics;

const TOKENS: &[&str] = &[
    "/dts-v1/;",
    "/plugin/;",
    "/ {",
    "};",
    "{",
    "}",
    ";",
    "=",
    "<",
    ">",
    "[",
    "]",
    "(",
    ")",
    ",",
    "&l",
    "&{/a}",
    "l:",
    "a",
    "a@1",
    "\"s\"",
    "'c'",
    "0x10",
    "7",
    "/bits/ 8",
    "/bits/ 64",
    "/delete-node/",
    "/delete-property/",
    "/omit-if-no-ref/",
    "/memreserve/",
    "/include/ \"x\"",
    "/incbin/",
    "+",
    "-",
    "?",
    ":",
    "<<",
    "&&",
    "||",
    "!",
    "~",
    "/*",
    "*/",
    "//",
    "\n",
    "# 1 \"f\"\n",
    "\\",
    "\"",
    "'",
    "ab",
    "00",
    "\u{e9}",
    "\t",
    "#address-cells",
    "reg",
    "compatible = \"ti,tmp105\";",
    "compatible = \"rtio,i2c-controller\";",
    "status = \"disabled\";",
];

fn check(text: &str, name: &str) {
    let modes = [
        Options {
            dtc_only: true,
            ..Options::default()
        },
        Options::default(),
        // nodes in use (by label, path, alias, and a name that matches nothing), strict
        Options {
            strict: true,
            used: ["l", "&l", "/a", "/a@1", "serial0", "nope"]
                .map(String::from)
                .to_vec(),
            ..Options::default()
        },
    ];
    for opts in modes {
        match load_str(name, text, &opts) {
            Ok(c) => {
                let _ = rtio_devicetree::canonical::to_dts(&c.tree);
                let _ = rtio_devicetree::codegen::generate(&c);
                let _ = c.cargo_rendered_warning_lines();
            }
            Err(d) => spans_in_bounds(&d),
        }
    }
}

fn spans_in_bounds(d: &Diagnostics) {
    assert!(
        !d.list.is_empty(),
        "an error result carries at least one diagnostic"
    );
    for diag in &d.list {
        let spans = diag.primary.iter().chain(diag.secondary.iter());
        for (s, _) in spans {
            let f = d.sources.get(s.file).expect("span names a known file");
            assert!(s.start <= s.end, "inverted span {s:?} in {diag:?}");
            assert!(
                (s.end as usize) <= f.text().len(),
                "span {s:?} past end of file in {diag:?}"
            );
        }
    }
    let _ = d.render();
    let _ = d.cargo_lines();
    let _ = d.cargo_rendered_lines();
}

fn corpus() -> Vec<String> {
    let mut v: Vec<String> = dts_files(&crate_dir().join("tests/dts"))
        .into_iter()
        .chain(dts_files(&crate_dir().join("tests/dts/reject")))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("RTIO_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_token_soup_never_panics(toks in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
        let text: String = toks.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        check(&text, "soup.dts");
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        check(&text, "bytes.dts");
        check(&text, "bytes.toml");
    }

    #[test]
    fn mutated_corpus_never_panics(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, 0..TOKENS.len(), 0usize..20), 1..6),
    ) {
        let files = corpus();
        let mut text = files[which.index(files.len())].clone().into_bytes();
        for (at, kind, tok, len) in edits {
            let pos = at.index(text.len() + 1);
            match kind {
                0 => { let end = (pos + len).min(text.len()); text.drain(pos..end); }
                1 => { let t = TOKENS[tok].as_bytes(); text.splice(pos..pos, t.iter().copied()); }
                2 => { let end = (pos + len).min(text.len()); let dup = text[pos..end].to_vec(); text.splice(pos..pos, dup); }
                _ => { if pos < text.len() { text[pos] = text[pos].wrapping_add(len as u8); } }
            }
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        check(&text, "mutated.dts");
    }

    #[test]
    fn mutated_toml_never_panics(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)) {
        let mut text = std::fs::read(crate_dir().join("tests/toml/board.toml")).expect("toml corpus");
        for (at, b) in edits {
            let pos = at.index(text.len() + 1);
            if pos < text.len() && b % 2 == 0 { text[pos] = b; } else { text.insert(pos, b); }
        }
        check(&String::from_utf8_lossy(&text), "board.toml");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let expr = format!(
        "/dts-v1/; / {{ p = <{}1{}>; }};",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    check(&expr, "deep.dts");
    let unary = format!("/dts-v1/; / {{ p = <({}1)>; }};", "-".repeat(5000));
    check(&unary, "deep2.dts");
    let nodes = format!(
        "/dts-v1/; / {{ {} {} }};",
        "n { ".repeat(20_000),
        "}; ".repeat(20_000)
    );
    check(&nodes, "deep3.dts");
    let err = load_str("deep3.dts", &nodes, &Options::default()).expect_err("too deep");
    assert!(err.render().contains("nested more than 256 deep"));
    let tables = format!("[{}]\nx = 1\n", vec!["a"; 2000].join("."));
    check(&tables, "deep.toml");
}
