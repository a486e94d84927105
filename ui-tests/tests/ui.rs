//! Compile-time rules of rtio-macros: one compile-fail case per rule, with its `.stderr`, and
//! pass cases that build and run real chains. `TRYBUILD=overwrite` rewrites the `.stderr`
//! files after a deliberate change to a message.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}

fn cases(dir: &str, ext: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(ext).map(str::to_string)
        })
        .collect()
}

/// The rustdoc of the macros lists each rule with a link to its case; every case is listed.
#[test]
fn every_case_is_documented_and_every_documented_case_exists() {
    let docs = include_str!("../../rtio-macros/src/lib.rs");
    let linked: BTreeSet<String> = docs
        .split("ui-tests/tests/ui/fail/")
        .skip(1)
        .filter_map(|rest| rest.split_once(".rs)").map(|(name, _)| name.to_string()))
        .collect();
    let fail = cases("tests/ui/fail", ".rs");
    let missing_docs: Vec<_> = fail.difference(&linked).collect();
    let missing_cases: Vec<_> = linked.difference(&fail).collect();
    assert!(
        missing_docs.is_empty(),
        "cases not in the docs: {missing_docs:?}"
    );
    assert!(
        missing_cases.is_empty(),
        "documented cases missing: {missing_cases:?}"
    );
}

#[test]
fn every_fail_case_has_its_expected_stderr() {
    assert_eq!(
        cases("tests/ui/fail", ".rs"),
        cases("tests/ui/fail", ".stderr")
    );
}
