//! Validation passes over the merged tree, one file each, named for what holds afterwards.
//!
//! The first group mirrors dtc's error checks (and its reference fixups), in dtc's order:
//! after it, the tree prints exactly as dtc prints it. The second group checks what the code
//! generator relies on: `reg` shapes, `status`, compatibles, bindings, buses, addresses. A
//! tree that contradicts a known binding is an error there; a check that dtc only warns
//! about, or that cannot be made for want of a binding, is a warning, and an error for a
//! node the caller uses or in strict mode ([`Ctx::level`]).

use std::collections::{HashMap, HashSet};

use crate::bindings::Bindings;
use crate::diagnostics::{Diagnostic, Severity};
use crate::model::{NodeId, Tree};
use crate::source::SourceMap;

pub mod bindings_satisfied;
pub mod compatibles_known;
pub mod devices_on_right_bus;
pub mod i2c_addresses_in_range;
pub mod labels_unique;
pub mod names_valid;
pub mod node_names_unique;
pub mod plugin_fixups_generated;
pub mod property_names_unique;
pub mod references_resolve;
pub mod reg_matches_cells;
pub mod spi_chip_selects_in_range;
pub mod status_valid;
pub mod unit_addresses_match_reg;
pub mod unreferenced_omitted;
pub mod used_nodes_bound;

/// Everything a pass may look at.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// Source text, for messages that quote it.
    pub sources: &'a SourceMap,
    /// Known bindings.
    pub bindings: &'a Bindings,
    /// Nodes the caller uses (generated bindings, chains; [`crate::Options::used`]): a
    /// check that needs a binding is an error for these and a warning elsewhere.
    pub used: &'a HashSet<NodeId>,
    /// Every check that would only warn is an error ([`crate::Options::strict`]).
    pub strict: bool,
}

impl Ctx<'_> {
    /// The severity of a check that cannot be made (or only warns) for node `id`: an error
    /// where the node is used or in strict mode, a warning elsewhere.
    pub fn level(&self, id: NodeId) -> Severity {
        if self.strict || self.used.contains(&id) {
            Severity::Error
        } else {
            Severity::Warning
        }
    }

    /// Whether the caller uses node `id`.
    pub fn is_used(&self, id: NodeId) -> bool {
        self.used.contains(&id)
    }
}

/// Runs dtc's structural checks and reference fixups. Returns `false` if any error was found.
pub fn run_dtc_checks(tree: &mut Tree, diags: &mut Vec<Diagnostic>) -> bool {
    let before = diags.len();
    node_names_unique::run(tree, diags);
    property_names_unique::run(tree, diags);
    names_valid::run(tree, diags);
    labels_unique::run(tree, diags);
    if diags.len() > before {
        return false;
    }
    references_resolve::run(tree, diags);
    if diags.len() > before {
        return false;
    }
    unreferenced_omitted::run(tree);
    plugin_fixups_generated::run(tree);
    true
}

/// Runs the checks the generator relies on, pushing errors and warnings (see
/// [`Ctx::level`]). Returns `false` if any error was found.
pub fn run_semantic_checks(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) -> bool {
    let before = diags.len();
    reg_matches_cells::run(tree, ctx, diags);
    status_valid::run(tree, diags);
    compatibles_known::run(tree, ctx, diags);
    bindings_satisfied::run(tree, ctx, diags);
    devices_on_right_bus::run(tree, ctx, diags);
    i2c_addresses_in_range::run(tree, ctx, diags);
    spi_chip_selects_in_range::run(tree, ctx, diags);
    !diags[before..]
        .iter()
        .any(|d| d.severity == Severity::Error)
}

/// Runs the checks that only warn (the input is still accepted).
pub fn run_warning_checks(tree: &Tree, warnings: &mut Vec<Diagnostic>) {
    unit_addresses_match_reg::run(tree, warnings);
}

/// Label -> first live node carrying it (pre-order), like dtc's `get_node_by_label`.
pub fn label_index(tree: &Tree) -> HashMap<&str, NodeId> {
    let mut map = HashMap::new();
    for id in tree.walk() {
        for l in tree.node(id).live_labels() {
            map.entry(l.name.as_str()).or_insert(id);
        }
    }
    map
}

/// Whether a node and all its ancestors have `status` absent, `"okay"` or `"ok"`.
pub fn enabled(tree: &Tree, id: NodeId) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        let n = tree.node(c);
        if let Some(p) = n.prop("status") {
            if !matches!(p.value.as_str(), Some("okay") | Some("ok")) {
                return false;
            }
        }
        cur = n.parent;
    }
    true
}

/// Whether a node sits inside an overlay fragment's `__overlay__` (its parent's cell counts
/// and bus live in the base tree, so address and bus checks do not apply).
pub fn in_overlay(tree: &Tree, id: NodeId) -> bool {
    let mut cur = tree.node(id).parent;
    while let Some(c) = cur {
        if tree.node(c).name == "__overlay__" {
            return true;
        }
        cur = tree.node(c).parent;
    }
    false
}

/// The node's `compatible` strings.
pub fn compatibles(tree: &Tree, id: NodeId) -> Vec<&str> {
    tree.node(id)
        .prop("compatible")
        .and_then(|p| p.value.as_strings())
        .unwrap_or_default()
}

/// The binding that applies to a node, with the compatible string that matched.
pub fn binding_of<'b>(
    tree: &Tree,
    id: NodeId,
    bindings: &'b Bindings,
) -> Option<&'b crate::bindings::Binding> {
    bindings.lookup(&compatibles(tree, id)).map(|(_, b)| b)
}

/// A single-cell property's value.
pub fn cell_prop(tree: &Tree, id: NodeId, name: &str) -> Option<u32> {
    let c = tree.node(id).prop(name)?.value.as_cells()?;
    (c.len() == 1).then(|| c[0])
}

/// The parent's `#address-cells` and `#size-cells` (defaults 2 and 1, as dtc).
pub fn addr_size_cells(tree: &Tree, id: NodeId) -> (u32, u32) {
    match tree.node(id).parent {
        Some(p) => (
            cell_prop(tree, p, "#address-cells").unwrap_or(2),
            cell_prop(tree, p, "#size-cells").unwrap_or(1),
        ),
        None => (2, 1),
    }
}

/// The `reg` entries of a node as (address, size) pairs, if `reg` is well formed.
pub fn reg_entries(tree: &Tree, id: NodeId) -> Option<Vec<(u64, u64)>> {
    let cells = tree.node(id).prop("reg")?.value.as_cells()?;
    let (ac, sc) = addr_size_cells(tree, id);
    let stride = (ac + sc) as usize;
    if stride == 0 || ac > 2 || sc > 2 || cells.is_empty() || cells.len() % stride != 0 {
        return None;
    }
    let fold = |cs: &[u32]| cs.iter().fold(0u64, |a, &c| (a << 32) | u64::from(c));
    Some(
        cells
            .chunks(stride)
            .map(|ch| (fold(&ch[..ac as usize]), fold(&ch[ac as usize..])))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_case_table() {
        let tree = Tree::default();
        let sources = SourceMap::new();
        let bindings = Bindings::builtin();
        let node = tree.root;
        let other = NodeId(1);
        let used_set: HashSet<NodeId> = [node].into_iter().collect();
        for (strict, used, id, want) in [
            (false, false, node, Severity::Warning),
            (false, true, node, Severity::Error),
            (false, true, other, Severity::Warning),
            (true, false, node, Severity::Error),
            (true, true, other, Severity::Error),
        ] {
            let empty = HashSet::new();
            let ctx = Ctx {
                sources: &sources,
                bindings: &bindings,
                used: if used { &used_set } else { &empty },
                strict,
            };
            assert_eq!(ctx.level(id), want, "strict {strict}, used {used}, {id:?}");
            assert_eq!(ctx.is_used(id), used && id == node);
        }
    }
}
