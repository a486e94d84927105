//! After this pass every live `reg` is a list of 32-bit cells whose length is a whole number
//! of (`#address-cells` + `#size-cells`) entries of its parent, or the user has been told:
//! dtc only warns about a badly shaped `reg` (its `reg_format` check), so this is a warning,
//! and an error only for a node the caller uses or in strict mode. Cell counts above 2,
//! which dtc accepts (PCI uses 3 address cells) but the generator cannot decode into
//! `REG`, are an error only for a used node.

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::model::{Piece, Tree};
use crate::syntax::Example;

use super::{addr_size_cells, Ctx};

/// Reports malformed `reg` properties.
pub fn run(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let n = tree.node(id);
        if n.parent.is_none() {
            continue;
        }
        let Some(p) = n.prop("reg") else { continue };
        if super::in_overlay(tree, id) {
            continue;
        }
        let level = ctx.level(id);
        let span = p.value.span_or(p.name_span);
        let (ac, sc) = addr_size_cells(tree, id);
        let only_cells = p
            .value
            .data_pieces()
            .all(|x| matches!(x, Piece::Cells { bits: 32, .. }));
        let Some(cells) = p.value.as_cells().filter(|_| only_cells) else {
            diags.push(
                Diagnostic::new(
                    level,
                    Code::RegCells,
                    format!("`reg` of `{}` is not a list of 32-bit cells", tree.path(id)),
                )
                .at(span, "expected `<address size>` cells")
                .help(format!(
                    "write `{}`",
                    tree.syntax
                        .property("reg", Example::Cells(&[0x4000_0000, 0x1000]))
                )),
            );
            continue;
        };
        let stride = (ac + sc) as usize;
        if ac > 2 || sc > 2 {
            if ctx.is_used(id) {
                diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        Code::RegCells,
                        format!("`reg` of `{}` cannot be decoded: its parent has #address-cells = {ac}, #size-cells = {sc}; the generator decodes at most 2 each", tree.path(id)),
                    )
                    .at(span, "cannot be decoded into `REG`")
                    .help("use 1 or 2 cells for addresses and 0-2 for sizes, or do not use this node from Rust"),
                );
            }
            continue;
        }
        if cells.is_empty() || stride == 0 || cells.len() % stride != 0 {
            let parent = n.parent.map(|p| tree.path(p)).unwrap_or_default();
            diags.push(
                Diagnostic::new(
                    level,
                    Code::RegCells,
                    format!(
                        "`reg` has {} cell{}, not a multiple of {stride} (#address-cells = {ac} + #size-cells = {sc})",
                        cells.len(),
                        if cells.len() == 1 { "" } else { "s" }
                    ),
                )
                .at(span, format!("each entry needs {ac} address and {sc} size cell(s)"))
                .help(format!(
                    "set `#address-cells` / `#size-cells` in `{parent}` (defaults are 2 and 1), or fix the entry"
                )),
            );
        }
    }
}
