//! After this pass every live label (on a node, a property or inside a value) names exactly
//! one thing (dtc: `duplicate_label`).

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Cell, NodeId, Piece, Tree};
use crate::source::Span;

/// What a label is attached to (formatted only when reporting).
#[derive(Clone, Copy)]
enum On {
    Node(NodeId),
    Prop(NodeId, usize),
    Value(NodeId, usize),
}

fn describe(tree: &Tree, on: On) -> String {
    match on {
        On::Node(id) => format!("node `{}`", tree.path(id)),
        On::Prop(id, i) => format!(
            "property `{}` in `{}`",
            tree.node(id).props[i].name,
            tree.path(id)
        ),
        On::Value(id, i) => format!(
            "value of `{}` in `{}`",
            tree.node(id).props[i].name,
            tree.path(id)
        ),
    }
}

/// Reports each label defined a second time, pointing at the first definition.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, (Span, On)> = HashMap::new();
    let report =
        |name: &str, span: Span, on: On, first: (Span, On), diags: &mut Vec<Diagnostic>| {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateLabel,
                    format!(
                        "duplicate label `{name}` on {} and {}",
                        describe(tree, on),
                        describe(tree, first.1)
                    ),
                )
                .at(span, "label used again here")
                .also(first.0, "first used here")
                .help("labels are global: rename one of them"),
            );
        };
    for id in tree.walk() {
        let n = tree.node(id);
        let mut labels: Vec<(&str, Span, On)> = Vec::new();
        for l in n.live_labels() {
            labels.push((&l.name, l.span, On::Node(id)));
        }
        for (i, p) in n.props.iter().enumerate().filter(|(_, p)| !p.deleted) {
            for l in p.labels.iter().filter(|l| !l.deleted) {
                labels.push((&l.name, l.span, On::Prop(id, i)));
            }
            for piece in &p.value.pieces {
                match piece {
                    Piece::Label(l) => labels.push((&l.name, l.span, On::Value(id, i))),
                    Piece::Cells { cells, .. } => {
                        for c in cells {
                            if let Cell::Label(l) = c {
                                labels.push((&l.name, l.span, On::Value(id, i)));
                            }
                        }
                    }
                    Piece::Bytes { labels: ls, .. } => {
                        for (_, l) in ls.iter() {
                            labels.push((&l.name, l.span, On::Value(id, i)));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (name, span, on) in labels {
            match seen.get(name) {
                Some(&first) if first.0 != span => report(name, span, on, first, diags),
                Some(_) => {}
                None => {
                    seen.insert(name, (span, on));
                }
            }
        }
    }
}
