//! `rtio-dt FILE` prints exactly what `dtc -I dts -O dts FILE` prints, and rejects what dtc
//! rejects: over the corpus in `tests/dts/`, the reject corpus in `tests/dts/reject/`, and
//! randomly generated trees.

mod common;

use common::{crate_dir, dtc, dtc_available, dts_files, ours, scratch};
use proptest::prelude::*;

#[test]
fn corpus_output_is_byte_identical_to_dtc() {
    if !dtc_available() {
        return;
    }
    let files = dts_files(&crate_dir().join("tests/dts"));
    assert!(files.len() >= 10, "corpus too small: {files:?}");
    for f in files {
        let theirs = dtc(&f).unwrap_or_else(|e| panic!("dtc rejects corpus file {f:?}: {e}"));
        let mine = ours(&f).unwrap_or_else(|e| panic!("we reject corpus file {f:?}:\n{e}"));
        assert_eq!(mine, theirs, "output differs from dtc for {f:?}");
    }
}

#[test]
fn files_dtc_rejects_are_rejected() {
    if !dtc_available() {
        return;
    }
    let files = dts_files(&crate_dir().join("tests/dts/reject"));
    assert!(files.len() >= 30, "reject corpus too small");
    for f in files {
        assert!(
            dtc(&f).is_err(),
            "dtc accepts {f:?}; it does not belong in reject/"
        );
        let r = ours(&f);
        assert!(
            r.is_err(),
            "we accept {f:?} which dtc rejects:\n{}",
            r.unwrap_or_default()
        );
    }
}

#[test]
fn binary_prints_canonical_dts_and_exits_zero() {
    if !dtc_available() {
        return;
    }
    let f = crate_dir().join("tests/dts/constructs.dts");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .arg(&f)
        .output()
        .expect("run rtio-dt");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        dtc(&f).expect("dtc accepts")
    );
    let bad = crate_dir().join("tests/dts/reject/undefined-label.dts");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .arg(&bad)
        .output()
        .expect("run rtio-dt");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[DT0105]"));
    // dtc only warns about a `reg` that does not fit the cell counts: the default run warns
    // too (and still prints the tree), `--strict` rejects it, and `--dtc-only` accepts
    // exactly what dtc does.
    let warn = crate_dir().join("tests/dts/cpp-markers.dts");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
            .args(args)
            .arg(&warn)
            .output()
            .expect("run rtio-dt")
    };
    let full = run(&[]);
    assert!(full.status.success());
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(stderr.contains("warning[DT0201]"), "{stderr}");
    assert!(stderr.contains("--> soc.dtsi:5:9"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&full.stdout),
        dtc(&warn).expect("dtc accepts")
    );
    let strict = run(&["--strict"]);
    assert!(!strict.status.success());
    assert!(strict.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(stderr.contains("error[DT0201]"), "{stderr}");
    assert!(stderr.contains("--> soc.dtsi:5:9"), "{stderr}");
    let dtc_only = std::process::Command::new(env!("CARGO_BIN_EXE_rtio-dt"))
        .arg("--dtc-only")
        .arg(&warn)
        .output()
        .expect("run rtio-dt");
    assert!(dtc_only.status.success());
    assert_eq!(
        String::from_utf8_lossy(&dtc_only.stdout),
        dtc(&warn).expect("dtc accepts")
    );
}

/// A small deterministic PRNG so one proptest seed gives one tree.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

struct Gen {
    rng: Rng,
    labels: Vec<String>,
    /// labels defined so far in the text (usable by top-level `&label { }`)
    defined: Vec<String>,
    paths: Vec<String>,
    next_label: u32,
    out: String,
    errors_allowed: bool,
}

impl Gen {
    fn label(&mut self) -> String {
        self.next_label += 1;
        let l = format!("l{}", self.next_label);
        self.labels.push(l.clone());
        l
    }

    /// A node label (value and property labels cannot be referenced; 2% of the time one
    /// is, to check that both tools reject it).
    fn ref_label(&mut self) -> Option<String> {
        let pool = if self.rng.chance(2) {
            &self.labels
        } else {
            &self.defined
        };
        if pool.is_empty() {
            return None;
        }
        let i = self.rng.below(pool.len() as u64) as usize;
        Some(pool[i].clone())
    }

    fn int_expr(&mut self, depth: u32) -> String {
        match self.rng.below(if depth > 2 { 3 } else { 6 }) {
            0 => format!("{}", self.rng.below(1000)),
            1 => format!("0x{:x}", self.rng.below(0x1_0000_0000)),
            2 => format!("'{}'", (b'a' + self.rng.below(26) as u8) as char),
            _ => {
                let ops = [
                    "+", "-", "*", "<<", ">>", "|", "&", "^", "==", "!=", "<", ">", "<=", ">=",
                    "&&", "||",
                ];
                let op = ops[self.rng.below(ops.len() as u64) as usize];
                let a = self.int_expr(depth + 1);
                let b = self.int_expr(depth + 1);
                if self.rng.chance(15) {
                    let c = self.int_expr(depth + 1);
                    format!("({a} ? {b} : {c})")
                } else if self.rng.chance(10) {
                    format!("(~{a})")
                } else {
                    format!("({a} {op} {b})")
                }
            }
        }
    }

    fn value(&mut self) -> String {
        let n = 1 + self.rng.below(3);
        let mut parts = Vec::new();
        for _ in 0..n {
            let mut p = match self.rng.below(7) {
                0 => {
                    let words = [
                        "okay",
                        "a b",
                        "x\\ty",
                        "q\\\"q",
                        "",
                        "\\x41\\101",
                        "nul\\0in",
                    ];
                    format!("\"{}\"", words[self.rng.below(words.len() as u64) as usize])
                }
                1 | 2 => {
                    let mut cells = Vec::new();
                    for _ in 0..self.rng.below(4) {
                        if self.rng.chance(25) {
                            if let Some(l) = self.ref_label() {
                                cells.push(format!("&{l}"));
                                continue;
                            }
                        }
                        if self.rng.chance(5) {
                            let l = self.label();
                            cells.push(format!("{l}:"));
                        }
                        cells.push(self.int_expr(0));
                    }
                    format!("<{}>", cells.join(" "))
                }
                3 => {
                    let bits = [8u32, 16, 32, 64][self.rng.below(4) as usize];
                    let mut cells = Vec::new();
                    for _ in 0..1 + self.rng.below(3) {
                        let max = if bits == 64 {
                            u64::MAX
                        } else {
                            (1u64 << bits) - 1
                        };
                        cells.push(format!("0x{:x}", self.rng.next() & max));
                    }
                    format!("/bits/ {bits} <{}>", cells.join(" "))
                }
                4 => {
                    let mut b = String::new();
                    for _ in 0..self.rng.below(5) {
                        b.push_str(&format!("{:02x} ", self.rng.below(256)));
                    }
                    format!("[{}]", b.trim_end())
                }
                5 => match self.ref_label() {
                    Some(l) => format!("&{l}"),
                    None => "\"noref\"".to_string(),
                },
                _ => {
                    if self.paths.is_empty() {
                        "<1>".to_string()
                    } else {
                        let i = self.rng.below(self.paths.len() as u64) as usize;
                        format!("&{{{}}}", self.paths[i].clone())
                    }
                }
            };
            if self.rng.chance(5) {
                let l = self.label();
                p = format!("{l}: {p}");
            }
            parts.push(p);
        }
        parts.join(", ")
    }

    fn node_body(&mut self, depth: u32, path: &str, indent: usize) {
        let pad = "\t".repeat(indent);
        let nprops = self.rng.below(4);
        for i in 0..nprops {
            let name = [
                "compatible",
                "reg-like",
                "status-x",
                "p",
                "q,vendor",
                "#cells",
                "a_b",
            ][self.rng.below(7) as usize];
            let name = format!("{name}{i}");
            let mut line = String::new();
            if self.rng.chance(10) {
                line.push_str(&format!("{}: ", self.label()));
            }
            if self.rng.chance(20) {
                line.push_str(&name);
                line.push(';');
            } else {
                let v = self.value();
                line.push_str(&format!("{name} = {v};"));
            }
            self.out.push_str(&format!("{pad}{line}\n"));
            if self.rng.chance(5) {
                self.out
                    .push_str(&format!("{pad}/delete-property/ {name};\n"));
            }
        }
        if depth >= 3 {
            return;
        }
        let nkids = self.rng.below(if depth == 0 { 5 } else { 3 });
        for i in 0..nkids {
            let name = if self.rng.chance(40) {
                format!("dev{i}@{:x}", self.rng.below(0x10000))
            } else {
                format!("node{i}")
            };
            let child_path = if path == "/" {
                format!("/{name}")
            } else {
                format!("{path}/{name}")
            };
            let mut prefix = String::new();
            if self.rng.chance(10) {
                prefix.push_str("/omit-if-no-ref/ ");
            }
            if self.rng.chance(40) {
                let l = self.label();
                self.defined.push(l.clone());
                prefix.push_str(&format!("{l}: "));
                if self.rng.chance(10) {
                    let l2 = self.label();
                    self.defined.push(l2.clone());
                    prefix.push_str(&format!("{l2}: "));
                }
            }
            self.out.push_str(&format!("{pad}{prefix}{name} {{\n"));
            self.paths.push(child_path.clone());
            self.node_body(depth + 1, &child_path, indent + 1);
            self.out.push_str(&format!("{pad}}};\n"));
            // dtc rejects a node deleted in the block that defines it: keep that rare
            if self.rng.chance(1) {
                self.out.push_str(&format!("{pad}/delete-node/ {name};\n"));
            }
        }
    }

    fn tree(mut self) -> String {
        self.out.push_str("/dts-v1/;\n");
        if self.rng.chance(20) {
            self.out.push_str(&format!(
                "/memreserve/ 0x{:x} 0x{:x};\n",
                self.rng.below(1 << 40),
                self.rng.below(1 << 20)
            ));
        }
        self.out.push_str("/ {\n");
        self.node_body(0, "/", 1);
        self.out.push_str("};\n");
        for _ in 0..self.rng.below(4) {
            if self.defined.is_empty() || self.rng.chance(20) {
                self.out.push_str("/ {\n");
                self.node_body(1, "/", 1);
                self.out.push_str("};\n");
            } else {
                let i = self.rng.below(self.defined.len() as u64) as usize;
                let l = self.defined[i].clone();
                match self.rng.below(10) {
                    0 => self.out.push_str(&format!("/delete-node/ &{l};\n")),
                    1 => self.out.push_str(&format!("/omit-if-no-ref/ &{l};\n")),
                    _ => {
                        self.out.push_str(&format!("&{l} {{\n"));
                        self.node_body(2, "/x", 1);
                        self.out.push_str("};\n");
                    }
                }
            }
        }
        if self.errors_allowed && self.rng.chance(5) {
            self.out.push_str("/ { broken = <&undefined_label>; };\n");
        }
        self.out
    }
}

/// A random DTS source for `seed`.
fn random_dts(seed: u64, errors_allowed: bool) -> String {
    Gen {
        rng: Rng(seed | 1),
        labels: Vec::new(),
        defined: Vec::new(),
        paths: Vec::new(),
        next_label: 0,
        out: String::new(),
        errors_allowed,
    }
    .tree()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("RTIO_DTC_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_trees_match_dtc(seed in any::<u64>()) {
        if !dtc_available() {
            return Ok(());
        }
        let src = random_dts(seed, true);
        let dir = scratch("random-dts");
        let f = dir.join(format!("t{seed:x}.dts"));
        std::fs::write(&f, &src).expect("write");
        let theirs = dtc(&f);
        let mine = ours(&f);
        if std::env::var_os("RTIO_DTC_STATS").is_some() {
            eprintln!("STAT {}", if theirs.is_ok() { "accepted" } else { "rejected" });
        }
        match (&theirs, &mine) {
            (Ok(a), Ok(b)) => prop_assert_eq!(b, a, "source:\n{}", src),
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => prop_assert!(false, "dtc accepts, we reject:\n{}\n{}", src, e),
            (Err(e), Ok(_)) => prop_assert!(false, "dtc rejects, we accept:\n{}\n{}", src, e),
        }
        let _ = std::fs::remove_file(&f);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Printing what we printed changes nothing but dtc's spacing quirks (a resolved
    /// reference prints with an extra space before it; re-read, it is a plain value), and from
    /// the second round on it is an exact fixed point. Needs no dtc, so it runs everywhere.
    /// (Trees with empty pieces are skipped: dtc prints those unbalanced.)
    #[test]
    fn canonical_output_reparses_to_itself(seed in any::<u64>()) {
        let src = random_dts(seed, false);
        // dtc prints empty `[]` / `<>` pieces as unbalanced brackets: no fixed point there
        if src.contains("[]") || src.contains("<>") {
            return Ok(());
        }
        let opts = rtio_devicetree::Options { dtc_only: true, ..Default::default() };
        let print = |name: &str, text: &str| {
            rtio_devicetree::pipeline::load_str(name, text, &opts)
                .map(|c| rtio_devicetree::canonical::to_dts(&c.tree))
                .map_err(|d| d.render())
        };
        if let Ok(once) = print("r.dts", &src) {
            let twice = print("once.dts", &once);
            prop_assert!(twice.is_ok(), "our own output is rejected:\n{}\n{:?}", once, twice);
            let twice = twice.expect("checked");
            let squash = |s: &str| s.replace(' ', "");
            prop_assert_eq!(squash(&twice), squash(&once));
            let thrice = print("twice.dts", &twice).expect("fixed point parses");
            prop_assert_eq!(thrice, twice);
        }
    }
}
