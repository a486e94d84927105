//! After this pass every enabled node whose binding sits on a bus (I2C or SPI) has a parent
//! whose binding provides that bus.

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Tree;

use super::{binding_of, enabled, Ctx};

/// Reports devices under the wrong (or no) bus controller.
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
        let provided = parent.and_then(|p| binding_of(tree, p, ctx.bindings).map(|pb| (p, pb)));
        let ok = provided.is_some_and(|(_, pb)| pb.provides_bus == Some(bus));
        if ok {
            continue;
        }
        let ppath = parent.map(|p| tree.path(p)).unwrap_or_default();
        let what = match provided {
            Some((_, pb)) => match pb.provides_bus {
                Some(other) => format!("an {} bus (`{}`)", other.display(), pb.compatible),
                None => format!("no bus (`{}`)", pb.compatible),
            },
            None => "no bus (no known binding)".to_string(),
        };
        let span = n
            .prop("compatible")
            .map(|p| p.value.span_or(p.name_span))
            .unwrap_or(n.name_span);
        let mut d = Diagnostic::error(
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
        ));
        if let Some(p) = parent {
            d = d.also(tree.node(p).name_span, "parent is here");
        }
        diags.push(d);
    }
}
