//! After this pass every node and property name uses only the characters dtc allows, node
//! names have at most one `@`, and no `name` property disagrees with its node name (a
//! matching one is dropped, as dtc drops it).

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Piece, Tree};

fn node_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b",._+-@".contains(&c)
}

fn prop_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b",._+*#?-".contains(&c)
}

/// Checks names; removes redundant `name` properties.
pub fn run(tree: &mut Tree, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let n = tree.node(id);
        if n.parent.is_some() {
            if let Some(c) = n.name.bytes().find(|&c| !node_char(c)) {
                diags.push(
                    Diagnostic::error(
                        Code::BadName,
                        format!("bad character `{}` in node name `{}`", c as char, n.name),
                    )
                    .at(n.name_span, "this node name")
                    .help("node names use letters, digits and `,._+-`, then `@unit-address`"),
                );
            } else if n.unit_address().contains('@') {
                diags.push(
                    Diagnostic::error(
                        Code::BadName,
                        format!("multiple `@` characters in node name `{}`", n.name),
                    )
                    .at(n.name_span, "this node name")
                    .help("a node name is `name@unit-address` with a single `@`"),
                );
            }
        }
        for p in n.live_props() {
            if let Some(c) = p.name.bytes().find(|&c| !prop_char(c)) {
                diags.push(
                    Diagnostic::error(
                        Code::BadName,
                        format!(
                            "bad character `{}` in property name `{}`",
                            c as char, p.name
                        ),
                    )
                    .at(p.name_span, "this property name")
                    .help("property names use letters, digits and `,._+*#?-`"),
                );
            }
        }
        // dtc's name_properties: the first `name` property (live or not) is checked
        let base = n.base_name().to_string();
        let mut remove = None;
        if let Some(pi) = n.props.iter().position(|p| &*p.name == "name") {
            let p = &n.props[pi];
            let mut it = p.value.data_pieces();
            let ok_string = matches!((it.next(), it.next()), (Some(Piece::Str { bytes, .. }), None) if !bytes.contains(&0));
            let s = p.value.as_str();
            if !ok_string {
                diags.push(
                    Diagnostic::error(Code::NameProperty, "`name` property is not a string")
                        .at(p.name_span, "this property")
                        .help("remove it; dtc derives `name` from the node name"),
                );
            } else if s != Some(base.as_str()) {
                diags.push(
                    Diagnostic::error(
                        Code::NameProperty,
                        format!(
                            "\"name\" property is incorrect (\"{}\" instead of base node name `{base}`)",
                            s.unwrap_or("")
                        ),
                    )
                    .at(p.value.span_or(p.name_span), "does not match the node name")
                    .help("remove it; dtc derives `name` from the node name"),
                );
            } else {
                remove = Some(pi);
            }
        }
        if let Some(pi) = remove {
            tree.node_mut(id).props.remove(pi);
        }
    }
}
