//! Warnings (not errors), as dtc gives them: afterwards the user has been told about every
//! node whose unit address and `reg` disagree: a unit address without `reg`/`ranges`, a
//! `reg` without a unit address, or a unit address that is not the first `reg` address.

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::model::Tree;

use super::{in_overlay, reg_entries};

fn warn(msg: String, span: crate::source::Span, label: &str, help: &str) -> Diagnostic {
    let mut d = Diagnostic::error(Code::UnitAddress, msg)
        .at(span, label.to_string())
        .help(help.to_string());
    d.severity = Severity::Warning;
    d
}

/// Pushes one warning per mismatching node.
pub fn run(tree: &Tree, warnings: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let n = tree.node(id);
        if n.parent.is_none() || in_overlay(tree, id) {
            continue;
        }
        // dtc skips overlay fragments (nodes with an `__overlay__` child)
        if tree
            .children(id)
            .any(|c| tree.node(c).name == "__overlay__")
        {
            continue;
        }
        let reg = n.prop("reg");
        let ranges = n.prop("ranges").filter(|p| !p.value.is_empty());
        let unit = n.unit_address();
        let path = || tree.path(id);
        match (reg.or(ranges), unit.is_empty()) {
            (Some(_), true) => warnings.push(warn(
                format!(
                    "node `{}` has a reg or ranges property, but no unit name",
                    path()
                ),
                n.name_span,
                "no `@unit-address`",
                "name the node `name@<first reg address in hex>`",
            )),
            (None, false) => warnings.push(warn(
                format!(
                    "node `{}` has a unit name, but no reg or ranges property",
                    path()
                ),
                n.name_span,
                "unit address without `reg`",
                "add `reg`, or drop the `@unit-address`",
            )),
            _ => {}
        }
        if let (Some(p), false) = (reg, unit.is_empty()) {
            let first = reg_entries(tree, id).and_then(|r| r.first().map(|e| e.0));
            let parsed = u64::from_str_radix(unit.split(',').next().unwrap_or(""), 16).ok();
            if let (Some(a), Some(u)) = (first, parsed) {
                if a != u && !unit.contains(',') {
                    warnings.push(
                        warn(
                            format!("unit address of `{}` is {unit} but its first reg address is 0x{a:x}",
                                path()),
                            n.name_span,
                            "unit address",
                            &format!("rename the node to `{}@{a:x}` or fix `reg`", n.base_name()),
                        )
                        .also(p.value.span_or(p.name_span), "first reg address"),
                    );
                }
            }
        }
    }
}
