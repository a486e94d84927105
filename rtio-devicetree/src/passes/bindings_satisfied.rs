//! After this pass every enabled node with a binding has the properties its binding
//! requires, and every property its binding describes has the binding's type.

use crate::bindings::PropType;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Cell, Piece, Tree, Value};
use crate::syntax::{Example, Syntax};

use super::{binding_of, enabled, Ctx};

/// Whether `v` has type `ty`.
pub fn value_has_type(v: &Value, ty: PropType) -> bool {
    let pieces: Vec<&Piece> = v.data_pieces().collect();
    let cells32 = || {
        pieces
            .iter()
            .all(|p| matches!(p, Piece::Cells { bits: 32, .. }))
    };
    let n_cells = || v.as_cells().map(|c| c.len()).unwrap_or(0);
    match ty {
        PropType::Bool => v.is_empty(),
        PropType::U32 => cells32() && n_cells() == 1,
        PropType::U64 => {
            (cells32() && n_cells() == 2)
                || matches!(pieces.as_slice(), [Piece::Cells { bits: 64, cells, .. }]
                    if cells.iter().filter(|c| !matches!(c, Cell::Label(_))).count() == 1)
        }
        PropType::Str => v.as_str().is_some() && pieces.len() == 1,
        PropType::StrList => !pieces.is_empty() && v.as_strings().is_some(),
        PropType::Array | PropType::PhandleArray => !pieces.is_empty() && cells32(),
        PropType::Phandle => {
            cells32()
                && n_cells() == 1
                && pieces.iter().any(|p| {
                    matches!(p, Piece::Cells { cells, .. } if cells.iter().any(|c| matches!(c, Cell::Phandle { .. })))
                })
        }
        PropType::Bytes => pieces
            .iter()
            .all(|p| matches!(p, Piece::Bytes { .. } | Piece::Cells { bits: 8, .. })),
    }
}

fn example(syntax: Syntax, ty: PropType, name: &str) -> String {
    let ex = match ty {
        PropType::U32 => Example::Cells(&[100000]),
        PropType::U64 => Example::Bits64(0x1_0000_0000),
        PropType::Str => Example::Str("text"),
        PropType::StrList => Example::Strs(&["a", "b"]),
        PropType::Array => Example::Cells(&[1, 2, 3]),
        PropType::Bytes => Example::Bytes(&[1, 2, 3]),
        PropType::Bool => Example::Bool,
        PropType::Phandle => Example::Phandles("label", &[]),
        PropType::PhandleArray => Example::Phandles("label", &[1, 2]),
    };
    format!("`{}`", syntax.property(name, ex))
}

/// Reports missing required properties and mistyped ones.
pub fn run(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        if !enabled(tree, id) {
            continue;
        }
        let Some(b) = binding_of(tree, id, ctx.bindings) else {
            continue;
        };
        let n = tree.node(id);
        for spec in &b.properties {
            match n.prop(&spec.name) {
                None if spec.required => {
                    let span = n
                        .prop("compatible")
                        .map(|p| p.value.span_or(p.name_span))
                        .unwrap_or(n.name_span);
                    diags.push(
                        Diagnostic::error(
                            Code::MissingProperty,
                            format!(
                                "`{}` needs property `{}` (binding `{}`)",
                                tree.path(id),
                                spec.name,
                                b.compatible
                            ),
                        )
                        .at(span, format!("`{}` requires `{}`", b.compatible, spec.name))
                        .help(format!("add {}", example(tree.syntax, spec.ty, &spec.name))),
                    );
                }
                None => {}
                Some(p) if !value_has_type(&p.value, spec.ty) => {
                    diags.push(
                        Diagnostic::error(
                            Code::PropertyType,
                            format!(
                                "property `{}` of `{}` must be {} (binding `{}`)",
                                spec.name,
                                tree.path(id),
                                spec.ty.name(),
                                b.compatible
                            ),
                        )
                        .at(
                            p.value.span_or(p.name_span),
                            format!("expected {}", spec.ty.name()),
                        )
                        .help(format!(
                            "write it as {}",
                            example(tree.syntax, spec.ty, &spec.name)
                        )),
                    );
                }
                Some(p) => {
                    let cells = p.value.as_cells();
                    let (Some(r), Some([v])) = (spec.rust, cells.as_deref()) else {
                        continue;
                    };
                    if u64::from(*v) > r.max() {
                        diags.push(
                            Diagnostic::error(
                                Code::PropertyType,
                                format!(
                                    "property `{}` of `{}` is {v}, too large for its Rust type `{}` (binding `{}`)",
                                    spec.name,
                                    tree.path(id),
                                    r.name(),
                                    b.compatible
                                ),
                            )
                            .at(
                                p.value.span_or(p.name_span),
                                format!("must be at most {}", r.max()),
                            )
                            .help(format!(
                                "the generated `{}` is a `{}`, as the driver APIs take it",
                                crate::codegen::const_ident(&spec.name),
                                r.name()
                            )),
                        );
                    }
                }
            }
        }
    }
}
