//! After this pass no two live siblings share a name (dtc: `duplicate_node_names`).

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;

/// Reports every live node whose name an earlier live sibling already has.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let kids: Vec<_> = tree.children(id).collect();
        let mut seen: std::collections::HashMap<&str, usize> = Default::default();
        for (i, &c) in kids.iter().enumerate() {
            let n = tree.node(c);
            if let Some(&first) = seen.get(n.name.as_str()) {
                let f = tree.node(kids[first]);
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateNodeName,
                        format!("duplicate node name `{}` in `{}`", n.name, tree.path(id)),
                    )
                    .at(n.name_span, "second node with this name")
                    .also(f.name_span, "first defined here")
                    .help("give the nodes different unit addresses, or merge their bodies"),
                );
            } else {
                seen.insert(&n.name, i);
            }
        }
    }
}
