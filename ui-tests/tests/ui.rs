//! Compile-time rules of rtio-macros: one compile-fail case per rule, with its `.stderr`, and
//! pass cases that build and run real chains. `TRYBUILD=overwrite` rewrites the `.stderr`
//! files after a deliberate change to a message.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
