//! After this pass no live node has two live properties of one name
//! (dtc: `duplicate_property_names`).

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;

/// Reports the earlier of each pair of same-named properties, as dtc does.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let n = tree.node(id);
        let props: Vec<_> = n.live_props().collect();
        for (i, p) in props.iter().enumerate() {
            if let Some(q) = props[i + 1..].iter().find(|q| q.name == p.name) {
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateProperty,
                        format!("duplicate property `{}` in `{}`", p.name, tree.path(id)),
                    )
                    .at(q.name_span, "set again here")
                    .also(p.name_span, "first set here")
                    .help("remove one of them; to override a value, extend the node with `&label { .. }`"),
                );
            }
        }
    }
}
