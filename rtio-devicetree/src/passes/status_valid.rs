//! After this pass every `status` is one of `okay`, `ok`, `disabled`, `reserved`, `fail` or
//! `fail-<condition>`, so "enabled" is well defined.

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;

/// Reports unknown `status` values.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let Some(p) = tree.node(id).prop("status") else {
            continue;
        };
        let ok = match p.value.as_str() {
            Some("okay" | "ok" | "disabled" | "reserved" | "fail") => true,
            Some(s) => s.starts_with("fail-"),
            None => false,
        };
        if !ok {
            diags.push(
                Diagnostic::error(
                    Code::Status,
                    format!("invalid `status` in `{}`", tree.path(id)),
                )
                .at(p.value.span_or(p.name_span), "not a known status")
                .help("use \"okay\" or \"disabled\" (also \"reserved\", \"fail\", \"fail-sss\")"),
            );
        }
    }
}
