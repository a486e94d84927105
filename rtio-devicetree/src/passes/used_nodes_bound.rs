//! After this pass every node the caller says it uses ([`crate::Options::used`]: the nodes
//! behind generated bindings and chains) exists and is enabled; the set of used nodes is
//! what [`super::Ctx::used`] holds, so the checks that need a binding are errors for them.
//!
//! A node is named the way a user names it: a label (`temp` or `&temp`), a full path
//! (`/soc/i2c@40020000/tmp105@48`) or an alias from `/aliases`.

use std::collections::HashSet;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{NodeId, Tree};
use crate::nearest::nearest;
use crate::syntax::Example;

use super::enabled;

/// The node a user-facing name denotes: `label`, `&label`, `/full/path` or an alias.
pub fn resolve(tree: &Tree, name: &str) -> Option<NodeId> {
    let name = name.strip_prefix('&').unwrap_or(name);
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    if name.starts_with('/') {
        return tree.find_path(name);
    }
    if let Some(id) = tree.find_label(name) {
        return Some(id);
    }
    let aliases = tree
        .children(tree.root)
        .find(|&c| tree.node(c).name == "aliases")?;
    let target = tree.node(aliases).prop(name)?.value.as_str()?.to_string();
    if target.starts_with('/') {
        tree.find_path(&target)
    } else {
        None
    }
}

/// Resolves every name in `names`: the nodes found, and an error for each name that names
/// no node or a disabled one.
pub fn run(tree: &Tree, names: &[String], diags: &mut Vec<Diagnostic>) -> HashSet<NodeId> {
    let mut used = HashSet::new();
    let labels: Vec<&str> = tree
        .walk()
        .into_iter()
        .flat_map(|id| tree.node(id).live_labels().map(|l| l.name.as_str()))
        .collect();
    for name in names {
        match resolve(tree, name) {
            Some(id) if enabled(tree, id) => {
                used.insert(id);
            }
            Some(id) => {
                let n = tree.node(id);
                let span = n
                    .prop("status")
                    .map(|p| p.value.span_or(p.name_span))
                    .unwrap_or(n.name_span);
                diags.push(
                    Diagnostic::error(
                        Code::UsedNode,
                        format!("`{name}` is used, but `{}` is disabled", tree.path(id)),
                    )
                    .at(span, "disabled here (or in a parent)")
                    .help(format!(
                        "set `{}` on the node and its parents, or stop using it",
                        tree.syntax.property("status", Example::Str("okay"))
                    )),
                );
            }
            None => {
                let help = match nearest(name.trim_start_matches('&'), labels.iter().copied()) {
                    Some((l, d)) if d <= 2 => format!("the nearest label is `{l}`"),
                    _ => "name a node by label (`temp`), full path (`/soc/i2c@40020000/tmp105@48`) or alias".to_string(),
                };
                diags.push(
                    Diagnostic::error(
                        Code::UsedNode,
                        format!("`{name}` is used, but no node has this label, path or alias"),
                    )
                    .help(help),
                );
            }
        }
    }
    used
}
