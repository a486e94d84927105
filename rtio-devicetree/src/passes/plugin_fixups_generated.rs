//! After this pass a `/plugin/` tree carries the `__fixups__` and `__local_fixups__` nodes
//! that dtc adds to overlays: one entry per phandle reference that points outside the
//! overlay (`label = "/path:prop:offset"`) and per reference that resolved locally (the
//! byte offset, under a mirror of the referencing node's path).

use crate::model::{Cell, NodeId, Piece, Property, Tree, Value};
use crate::source::Span;

/// Byte offsets of the phandle cells in a value, with the referenced name.
pub fn phandle_offsets(v: &Value) -> Vec<(usize, crate::model::Ref)> {
    let mut out = Vec::new();
    let mut off = 0usize;
    for p in &v.pieces {
        match p {
            Piece::Str { bytes, .. } => off += bytes.len() + 1,
            Piece::Cells { bits, cells, .. } => {
                let w = usize::from(*bits / 8).max(1);
                for c in cells {
                    match c {
                        Cell::Num { .. } => off += w,
                        Cell::Phandle { target, .. } => {
                            out.push((off, (**target).clone()));
                            off += w;
                        }
                        Cell::Label(_) => {}
                    }
                }
            }
            Piece::Bytes { bytes, .. } => off += bytes.len(),
            Piece::Raw { bytes, .. } => off += bytes.len(),
            Piece::Path {
                resolved, target, ..
            } => off += resolved.as_deref().unwrap_or(&target.target).len() + 1,
            Piece::Label(_) => {}
        }
    }
    out
}

fn subnode(tree: &mut Tree, parent: NodeId, name: &str, span: Span) -> NodeId {
    if let Some(c) = tree.children(parent).find(|&c| tree.node(c).name == name) {
        return c;
    }
    let c = tree.alloc(name.to_string(), span);
    tree.add_child(parent, c);
    c
}

/// dtc's `append_to_property`: each append is a new typed piece.
fn append(tree: &mut Tree, node: NodeId, name: &str, piece: Piece, span: Span) {
    let n = tree.node_mut(node);
    if let Some(p) = n.props.iter_mut().find(|p| !p.deleted && &*p.name == name) {
        p.value.pieces.push(piece);
    } else {
        n.props.push(Property {
            name: std::sync::Arc::from(name),
            name_span: span,
            labels: Vec::new(),
            value: Value {
                pieces: smallvec::smallvec![piece],
            },
            deleted: false,
        });
    }
}

/// Adds `__fixups__` and `__local_fixups__` (only for plugin trees, only if needed).
pub fn run(tree: &mut Tree) {
    if !tree.plugin {
        return;
    }
    let span = tree.node(tree.root).name_span;
    // (node, prop name, offset, ref, resolves)
    let mut entries = Vec::new();
    let labels = super::label_index(tree);
    for id in tree.walk() {
        for p in tree.node(id).live_props() {
            for (off, r) in phandle_offsets(&p.value) {
                let found = match r.kind {
                    crate::model::RefKind::Label => labels.contains_key(r.target.as_str()),
                    crate::model::RefKind::Path => tree.find_ref(&r).is_some(),
                };
                entries.push((id, p.name.clone(), off, r, found));
            }
        }
    }
    let root = tree.root;
    if entries.iter().any(|e| !e.4) {
        let fixups = subnode(tree, root, "__fixups__", span);
        for (id, prop, off, r, found) in &entries {
            if *found {
                continue;
            }
            let entry = format!("{}:{}:{}", tree.path(*id), prop, off);
            append(
                tree,
                fixups,
                &r.target,
                Piece::Str {
                    bytes: entry.into_bytes(),
                    span,
                },
                span,
            );
        }
    }
    if entries.iter().any(|e| e.4) {
        let local = subnode(tree, root, "__local_fixups__", span);
        for (id, prop, off, _, found) in &entries {
            if !found {
                continue;
            }
            // mirror the path of the referencing node
            let mut chain = Vec::new();
            let mut cur = Some(*id);
            while let Some(c) = cur {
                if tree.node(c).parent.is_some() {
                    chain.push(tree.node(c).name.clone());
                }
                cur = tree.node(c).parent;
            }
            let mut wn = local;
            for name in chain.iter().rev() {
                wn = subnode(tree, wn, name, span);
            }
            append(
                tree,
                wn,
                prop,
                Piece::Cells {
                    bits: 32,
                    cells: vec![Cell::Num {
                        value: *off as u64,
                        span,
                    }],
                    span,
                },
                span,
            );
        }
    }
}
