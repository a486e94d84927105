//! After this pass every live `reg` is a list of 32-bit cells whose length is a whole number
//! of (`#address-cells` + `#size-cells`) entries of its parent, with at most 2 cells each.

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Piece, Tree};

use super::addr_size_cells;

/// Reports malformed `reg` properties.
pub fn run(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        let n = tree.node(id);
        if n.parent.is_none() {
            continue;
        }
        let Some(p) = n.prop("reg") else { continue };
        if super::in_overlay(tree, id) {
            continue;
        }
        let span = p.value.span_or(p.name_span);
        let (ac, sc) = addr_size_cells(tree, id);
        let only_cells = p
            .value
            .data_pieces()
            .all(|x| matches!(x, Piece::Cells { bits: 32, .. }));
        let Some(cells) = p.value.as_cells().filter(|_| only_cells) else {
            diags.push(
                Diagnostic::error(
                    Code::RegCells,
                    format!("`reg` of `{}` is not a list of 32-bit cells", tree.path(id)),
                )
                .at(span, "expected `<address size>` cells")
                .help("write `reg = <0x40000000 0x1000>;`"),
            );
            continue;
        };
        let stride = (ac + sc) as usize;
        if ac > 2 || sc > 2 {
            diags.push(
                Diagnostic::error(
                    Code::RegCells,
                    format!("parent of `{}` has #address-cells = {ac}, #size-cells = {sc}; at most 2 each are supported", tree.path(id)),
                )
                .at(span, "cannot be decoded")
                .help("use 1 or 2 cells for addresses and 0-2 for sizes"),
            );
            continue;
        }
        if cells.is_empty() || stride == 0 || cells.len() % stride != 0 {
            let parent = n.parent.map(|p| tree.path(p)).unwrap_or_default();
            diags.push(
                Diagnostic::error(
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
