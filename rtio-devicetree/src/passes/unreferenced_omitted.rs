//! After this pass no node marked `/omit-if-no-ref/` remains unless something references it
//! (dtc: `omit_unused_nodes`).

use crate::model::Tree;

/// Deletes unreferenced `/omit-if-no-ref/` nodes (pre-order, as dtc).
pub fn run(tree: &mut Tree) {
    let root = tree.root;
    for id in tree.walk() {
        if id == root || tree.node(id).deleted {
            continue;
        }
        let n = tree.node(id);
        if n.omit_if_no_ref && !n.referenced {
            tree.delete_node(id);
        }
    }
}
