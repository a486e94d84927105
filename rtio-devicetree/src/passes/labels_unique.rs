//! After this pass every live label (on a node, a property or inside a value) names exactly
//! one thing (dtc: `duplicate_label`).

use std::collections::HashMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Cell, Piece, Tree};
use crate::source::Span;

/// Reports each label defined a second time, pointing at the first definition.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, (Span, String)> = HashMap::new();
    let mut all: Vec<(&str, Span, String)> = Vec::new();
    for id in tree.walk() {
        let n = tree.node(id);
        let path = tree.path(id);
        for l in n.live_labels() {
            all.push((&l.name, l.span, format!("node `{path}`")));
        }
        for p in n.live_props() {
            for l in p.labels.iter().filter(|l| !l.deleted) {
                all.push((
                    &l.name,
                    l.span,
                    format!("property `{}` in `{path}`", p.name),
                ));
            }
            for piece in &p.value.pieces {
                let what = || format!("value of `{}` in `{path}`", p.name);
                match piece {
                    Piece::Label(l) => all.push((&l.name, l.span, what())),
                    Piece::Cells { cells, .. } => {
                        for c in cells {
                            if let Cell::Label(l) = c {
                                all.push((&l.name, l.span, what()));
                            }
                        }
                    }
                    Piece::Bytes { labels, .. } => {
                        for (_, l) in labels {
                            all.push((&l.name, l.span, what()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for (name, span, what) in all {
        match seen.get(name) {
            Some((first, fwhat)) => {
                if *first == span {
                    continue;
                }
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateLabel,
                        format!("duplicate label `{name}` on {what} and {fwhat}"),
                    )
                    .at(span, "label used again here")
                    .also(*first, "first used here")
                    .help("labels are global: rename one of them"),
                );
            }
            None => {
                seen.insert(name, (span, what));
            }
        }
    }
}
