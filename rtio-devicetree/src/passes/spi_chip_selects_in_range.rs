//! After this pass every enabled device on a SPI bus has a `reg` chip select below the
//! controller's chip-select count: `num-cs` if given, else the number of `cs-gpios` entries,
//! else the count its binding states. No two enabled devices share a chip select.

use std::collections::HashMap;

use crate::bindings::Bus;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Cell, NodeId, Piece, Tree};
use crate::syntax::Example;

use super::{binding_of, cell_prop, enabled, Ctx};

/// Number of entries in a `cs-gpios` list: each is `<&gpio pin flags..>` (as many cells as
/// the GPIO controller's `#gpio-cells`, default 2) or a lone `0` for a native chip select.
pub fn cs_gpios_count(tree: &Tree, id: NodeId) -> Option<u32> {
    let p = tree.node(id).prop("cs-gpios")?;
    let mut cells = Vec::new();
    for piece in p.value.data_pieces() {
        if let Piece::Cells { cells: cs, .. } = piece {
            cells.extend(cs.iter().filter(|c| !matches!(c, Cell::Label(_))));
        }
    }
    let mut i = 0;
    let mut n = 0;
    while i < cells.len() {
        match cells[i] {
            Cell::Phandle { target, .. } => {
                let g = tree
                    .find_ref(target)
                    .and_then(|t| cell_prop(tree, t, "#gpio-cells"))
                    .unwrap_or(2);
                i += 1 + g as usize;
            }
            _ => i += 1,
        }
        n += 1;
    }
    Some(n)
}

/// Reports chip selects out of range, missing or duplicated.
pub fn run(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) {
    for bus in tree.walk() {
        if !enabled(tree, bus)
            || super::in_overlay(tree, bus)
            || tree.node(bus).name == "__overlay__"
        {
            continue;
        }
        let Some(b) = binding_of(tree, bus, ctx.bindings) else {
            continue;
        };
        if b.provides_bus != Some(Bus::Spi) {
            continue;
        }
        let (count, source) = if let Some(n) = cell_prop(tree, bus, "num-cs") {
            (Some(n), "`num-cs`")
        } else if let Some(n) = cs_gpios_count(tree, bus) {
            (Some(n), "`cs-gpios` entries")
        } else {
            (b.chip_selects, "binding default")
        };
        let mut seen: HashMap<u32, crate::source::Span> = HashMap::new();
        for dev in tree.children(bus).collect::<Vec<_>>() {
            if !enabled(tree, dev) {
                continue;
            }
            // a device of another bus type is reported by devices_on_right_bus
            if binding_of(tree, dev, ctx.bindings)
                .and_then(|b| b.on_bus)
                .is_some_and(|b| b != Bus::Spi)
            {
                continue;
            }
            let n = tree.node(dev);
            let Some(p) = n.prop("reg") else {
                diags.push(
                    Diagnostic::error(
                        Code::SpiChipSelect,
                        format!("SPI device `{}` has no `reg` (chip select)", tree.path(dev)),
                    )
                    .at(n.name_span, "no chip select")
                    .help(format!(
                        "add `{}` with the chip-select number",
                        tree.syntax.property("reg", Example::Cells(&[0]))
                    )),
                );
                continue;
            };
            let span = p.value.span_or(p.name_span);
            let Some(cs) = p.value.as_cells().and_then(|c| c.first().copied()) else {
                continue;
            };
            if let Some(count) = count {
                if cs >= count {
                    diags.push(
                        Diagnostic::error(
                            Code::SpiChipSelect,
                            format!(
                                "chip select {cs} of `{}` is out of range: `{}` has {count} ({source})",
                                tree.path(dev),
                                tree.path(bus)
                            ),
                        )
                        .at(span, format!("must be below {count}"))
                        .also(tree.node(bus).name_span, "controller defined here")
                        .help("add a `cs-gpios` entry for it, raise `num-cs`, or use a free chip select"),
                    );
                    continue;
                }
            }
            if let Some(prev) = seen.get(&cs) {
                diags.push(
                    Diagnostic::error(
                        Code::SpiChipSelect,
                        format!("chip select {cs} is used twice on `{}`", tree.path(bus)),
                    )
                    .at(span, "second device on this chip select")
                    .also(*prev, "first device here")
                    .help("give each device its own chip select, or disable one"),
                );
            } else {
                seen.insert(cs, span);
            }
        }
    }
}
