//! After this pass no two live siblings share a name (dtc: `duplicate_node_names`).
//!
//! As in dtc, a live node followed *in the same block* by a `/delete-node/` of its own name
//! also counts as a duplicate (dtc compares each live child with every later sibling,
//! deleted or not).

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;

/// Reports every node whose name an earlier live sibling already has.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let kids = &tree.node(id).children;
        // name -> first live index
        let mut first_live: HashMap<&str, usize> = HashMap::new();
        for (i, &c) in kids.iter().enumerate() {
            let n = tree.node(c);
            if let Some(&f) = first_live.get(n.name.as_str()) {
                let fnode = tree.node(kids[f]);
                let what = if n.deleted {
                    "deleted again in the same block"
                } else {
                    "second node with this name"
                };
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateNodeName,
                        format!("duplicate node name `{}` in `{}`", n.name, tree.path(id)),
                    )
                    .at(n.name_span, what)
                    .also(fnode.name_span, "first defined here")
                    .help("give the nodes different unit addresses, or merge their bodies"),
                );
            } else if !n.deleted {
                first_live.insert(&n.name, i);
            }
        }
    }
}
