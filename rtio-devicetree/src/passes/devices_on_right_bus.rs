//! After this pass every enabled node whose binding sits on a bus (I2C or SPI) has a parent
//! whose binding provides that bus, or a parent whose binding is unknown and the user has
//! been told that the bus could not be checked.
//!
//! A known parent binding that provides another bus, or none, is a wrong tree: an error.
//! An unknown parent binding is not a wrong one (an `atmel,24c02` under a TI OMAP I2C
//! controller is fine; there is just no binding to say so): a warning, and an error only
//! where the device is used ([`Ctx::level`]).

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;

use super::{binding_of, compatibles, enabled, Ctx};

/// Reports devices under the wrong bus controller, and devices whose bus cannot be checked.
pub fn run(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        if !enabled(tree, id) {
            continue;
        }
        let Some(b) = binding_of(tree, id, ctx.bindings) else {
            continue;
        };
        let Some(bus) = b.on_bus else { continue };
        if super::in_overlay(tree, id) {
            continue;
        }
        let n = tree.node(id);
        let parent = n.parent;
        let provided = parent.and_then(|p| binding_of(tree, p, ctx.bindings));
        if provided.is_some_and(|pb| pb.provides_bus == Some(bus)) {
            continue;
        }
        let ppath = parent.map(|p| tree.path(p)).unwrap_or_default();
        let span = n
            .prop("compatible")
            .map(|p| p.value.span_or(p.name_span))
            .unwrap_or(n.name_span);
        let d = match provided {
            Some(pb) => {
                let what = match pb.provides_bus {
                    Some(other) => format!("an {} bus (`{}`)", other.display(), pb.compatible),
                    None => format!("no bus (`{}`)", pb.compatible),
                };
                Diagnostic::error(
                    Code::WrongBus,
                    format!(
                        "`{}` is an {} device but its parent `{ppath}` provides {what}",
                        b.compatible,
                        bus.display()
                    ),
                )
                .at(
                    span,
                    format!("needs an {} controller as parent", bus.display()),
                )
                .help(format!(
                    "move the node under an {} controller (e.g. compatible = \"rtio,{}-controller\")",
                    bus.display(),
                    bus.name()
                ))
            }
            None => {
                let pcompat = parent.map(|p| compatibles(tree, p)).unwrap_or_default();
                let why = match pcompat.first() {
                    Some(c) => format!("its parent's compatible `{c}` has no binding"),
                    None => format!("its parent `{ppath}` has no `compatible`"),
                };
                let help = match pcompat.first() {
                    Some(c) => format!(
                        "add a binding for `{c}` with `provides-bus = \"{}\"` (a file in `Builder::bindings_dir`); until then the bus and the address of this device are not checked",
                        bus.name()
                    ),
                    None => format!(
                        "put the device under its {} controller node, one with a `compatible` that has a binding",
                        bus.display()
                    ),
                };
                Diagnostic::new(
                    ctx.level(id),
                    Code::UnknownBus,
                    format!(
                        "cannot check that `{}` (`{}`) sits on an {} bus: {why}",
                        tree.path(id),
                        b.compatible,
                        bus.display()
                    ),
                )
                .at(
                    span,
                    format!("needs an {} controller as parent", bus.display()),
                )
                .help(help)
            }
        };
        let d = match parent {
            Some(p) => d.also(tree.node(p).name_span, "parent is here"),
            None => d,
        };
        diags.push(d);
    }
}
