//! After this pass every `&ref` resolves: phandle cells hold the target's phandle (assigned
//! the way dtc assigns them), path references hold the target's full path, and every node
//! that is referenced has `referenced` set. Explicit `phandle` properties are validated.
//!
//! dtc's order is kept exactly: explicit phandles are collected first (pre-order), then
//! references are fixed up in pre-order, property order and value order; a node that needs
//! a phandle gets the lowest unused value counting up from the last one handed out, and a
//! `phandle = <0x..>` property appended to its property list.

use std::collections::{HashMap, HashSet};

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Cell, NodeId, Piece, Ref, RefKind, Tree, Value};
use crate::syntax::{Example, Syntax};

use super::label_index;

fn unresolved(r: &Ref, labels: &HashMap<&str, NodeId>, syntax: Syntax) -> Diagnostic {
    let what = match r.kind {
        RefKind::Label => format!("reference to undefined label `{}`", r.target),
        RefKind::Path => format!("reference to non-existent path `{}`", r.target),
    };
    let mut close: Vec<&str> = labels
        .keys()
        .copied()
        .filter(|l| similar(l, &r.target))
        .collect();
    close.sort_unstable();
    let help = if let Some(c) = close.first() {
        format!("a label with a similar name exists: `{c}`")
    } else if r.kind == RefKind::Label {
        format!(
            "define it on the node you mean: `{}`",
            syntax.label_on_node(&r.target)
        )
    } else {
        "write the full path from the root, with unit addresses".to_string()
    };
    let label = match r.kind {
        RefKind::Label => "no node has this label",
        RefKind::Path => "no node at this path",
    };
    Diagnostic::error(Code::UnresolvedReference, what)
        .at(r.span, label)
        .help(help)
}

fn similar(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    // edit distance <= 2 (small strings)
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

fn phandle_prop(
    tree: &Tree,
    id: NodeId,
    name: &str,
    labels: &HashMap<&str, NodeId>,
    diags: &mut Vec<Diagnostic>,
) -> u32 {
    let Some(p) = tree.node(id).prop(name) else {
        return 0;
    };
    let cells: Vec<&Cell> = p
        .value
        .data_pieces()
        .flat_map(|pc| match pc {
            Piece::Cells {
                bits: 32, cells, ..
            } => cells.iter().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .filter(|c| !matches!(c, Cell::Label(_)))
        .collect();
    let only_cells = p
        .value
        .data_pieces()
        .all(|pc| matches!(pc, Piece::Cells { bits: 32, .. }));
    if !only_cells || cells.len() != 1 {
        diags.push(
            Diagnostic::error(Code::Phandle, format!("bad length for `{name}` property"))
                .at(
                    p.value.span_or(p.name_span),
                    "must be exactly one 32-bit cell",
                )
                .help(format!(
                    "write `{}` or leave it out and let dtc assign one",
                    tree.syntax.property(name, Example::Cells(&[1]))
                )),
        );
        return 0;
    }
    match cells[0] {
        Cell::Phandle { target, .. } => {
            let t = match target.kind {
                RefKind::Label => labels.get(target.target.as_str()).copied(),
                RefKind::Path => tree.find_ref(target),
            };
            if t != Some(id) {
                diags.push(
                    Diagnostic::error(
                        Code::Phandle,
                        format!("`{name}` is a reference to another node"),
                    )
                    .at(target.span, "must refer to this node itself")
                    .help(format!(
                        "a node's phandle can only be its own (`{}`)",
                        tree.syntax
                            .property("phandle", Example::Phandles("self", &[]))
                    )),
                );
            }
            0
        }
        Cell::Num { value, span } => {
            let v = *value as u32;
            if v == 0 || v == u32::MAX {
                diags.push(
                    Diagnostic::error(
                        Code::Phandle,
                        format!("bad value (0x{v:x}) in `{name}` property"),
                    )
                    .at(*span, "0 and 0xffffffff are not valid phandles")
                    .help("use a value from 1 to 0xfffffffe"),
                );
                return 0;
            }
            v
        }
        Cell::Label(_) => 0,
    }
}

/// Validates explicit phandles, assigns the rest, and resolves every reference.
pub fn run(tree: &mut Tree, diags: &mut Vec<Diagnostic>) {
    let order = tree.walk();
    let labels_owned: HashMap<String, NodeId> = label_index(tree)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let labels: HashMap<&str, NodeId> =
        labels_owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    // explicit phandles
    let mut used: HashMap<u32, NodeId> = HashMap::new();
    for &id in &order {
        let ph = phandle_prop(tree, id, "phandle", &labels, diags);
        let lph = phandle_prop(tree, id, "linux,phandle", &labels, diags);
        if ph == 0 && lph == 0 {
            continue;
        }
        if ph != 0 && lph != 0 && ph != lph {
            let span = tree.node(id).name_span;
            diags.push(
                Diagnostic::error(
                    Code::Phandle,
                    "mismatching `phandle` and `linux,phandle` properties",
                )
                .at(span, "in this node")
                .help("give both the same value, or drop `linux,phandle`"),
            );
        }
        let v = if ph != 0 { ph } else { lph };
        if let Some(&other) = used.get(&v) {
            if other != id {
                let span = tree.node(id).name_span;
                let p = tree.path(other);
                diags.push(
                    Diagnostic::error(
                        Code::Phandle,
                        format!("duplicated phandle 0x{v:x} (seen before at `{p}`)"),
                    )
                    .at(span, "this node")
                    .also(tree.node(other).name_span, "first used here")
                    .help("phandles must be unique; leave them out and let them be assigned"),
                );
                continue;
            }
        }
        used.insert(v, id);
        tree.node_mut(id).phandle = v;
    }
    let used_set: HashSet<u32> = used.keys().copied().collect();
    let mut used_set = used_set;
    let mut next: u32 = 1;
    let plugin = tree.plugin;
    // fix up references, in tree order
    let mut paths: HashMap<NodeId, String> = HashMap::new();
    for &id in &order {
        let mut pi = 0;
        while pi < tree.node(id).props.len() {
            if tree.node(id).props[pi].deleted {
                pi += 1;
                continue;
            }
            // phandle references first (dtc runs phandle fixups for the whole tree before
            // path fixups, but they touch disjoint markers, so per-node order is equivalent)
            let mut ci = 0;
            loop {
                let target = {
                    let prop = &tree.node(id).props[pi];
                    match nth_phandle_ref(&prop.value, ci) {
                        Some(r) => r.clone(),
                        None => break,
                    }
                };
                let refnode = match target.kind {
                    RefKind::Label => labels.get(target.target.as_str()).copied(),
                    RefKind::Path => tree.find_ref(&target),
                };
                let value = match refnode {
                    None => {
                        if !plugin {
                            diags.push(unresolved(&target, &labels, tree.syntax));
                        }
                        0xffff_ffff
                    }
                    Some(rn) => {
                        let ph = node_phandle(tree, rn, &mut next, &mut used_set);
                        tree.node_mut(rn).referenced = true;
                        ph
                    }
                };
                set_nth_phandle(&mut tree.node_mut(id).props[pi].value, ci, value);
                ci += 1;
            }
            pi += 1;
        }
    }
    for &id in &order {
        for pi in 0..tree.node(id).props.len() {
            if tree.node(id).props[pi].deleted {
                continue;
            }
            let n_paths = tree.node(id).props[pi]
                .value
                .pieces
                .iter()
                .filter(|p| matches!(p, Piece::Path { .. }))
                .count();
            for k in 0..n_paths {
                let target = match tree.node(id).props[pi]
                    .value
                    .pieces
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Path { target, .. } => Some(target),
                        _ => None,
                    })
                    .nth(k)
                {
                    Some(t) => t.clone(),
                    None => break,
                };
                let found = match target.kind {
                    RefKind::Label if target.target != "/" => {
                        labels.get(target.target.as_str()).copied()
                    }
                    _ => tree.find_ref(&target),
                };
                let resolved = match found {
                    None => {
                        diags.push(unresolved(&target, &labels, tree.syntax));
                        None
                    }
                    Some(rn) => {
                        tree.node_mut(rn).referenced = true;
                        Some(paths.entry(rn).or_insert_with(|| tree.path(rn)).clone())
                    }
                };
                if let Some(Piece::Path { resolved: r, .. }) = tree.node_mut(id).props[pi]
                    .value
                    .pieces
                    .iter_mut()
                    .filter(|p| matches!(p, Piece::Path { .. }))
                    .nth(k)
                {
                    *r = resolved;
                }
            }
        }
    }
}

fn nth_phandle_ref(v: &Value, n: usize) -> Option<&Ref> {
    v.pieces
        .iter()
        .flat_map(|p| match p {
            Piece::Cells { cells, .. } => cells.as_slice(),
            _ => &[],
        })
        .filter_map(|c| match c {
            Cell::Phandle { target, .. } => Some(&**target),
            _ => None,
        })
        .nth(n)
}

fn set_nth_phandle(v: &mut Value, n: usize, value: u32) {
    if let Some(Cell::Phandle { value: slot, .. }) = v
        .pieces
        .iter_mut()
        .flat_map(|p| match p {
            Piece::Cells { cells, .. } => cells.as_mut_slice(),
            _ => &mut [],
        })
        .filter(|c| matches!(c, Cell::Phandle { .. }))
        .nth(n)
    {
        *slot = value;
    }
}

/// dtc's `get_node_phandle`.
fn node_phandle(tree: &mut Tree, id: NodeId, next: &mut u32, used: &mut HashSet<u32>) -> u32 {
    let cur = tree.node(id).phandle;
    if cur != 0 && cur != u32::MAX {
        return cur;
    }
    while used.contains(next) {
        *next += 1;
    }
    let ph = *next;
    used.insert(ph);
    let n = tree.node_mut(id);
    n.phandle = ph;
    if n.prop("phandle").is_none() {
        n.auto_phandle = true;
    }
    ph
}
