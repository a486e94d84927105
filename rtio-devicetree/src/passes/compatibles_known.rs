//! After this pass the user has been told about every enabled node whose `compatible` no
//! binding knows, when it looks like a typo of a known one (`"ti,tmp150"` for
//! `"ti,tmp105"`, see [`crate::nearest::is_typo`]): a warning naming the nearest known
//! compatible. For a node the caller
//! uses ([`Ctx::is_used`]) any unknown compatible is an error, with the nearest name.
//!
//! An unknown compatible far from every known one is other hardware (a real board has many
//! nodes the generator has no binding for), so it is not reported unless the node is used.

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::model::Tree;
use crate::nearest::{is_typo, nearest};

use super::{binding_of, compatibles, enabled, Ctx};

/// Reports unknown compatibles (see the module docs for when).
pub fn run(tree: &Tree, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) {
    for id in tree.walk() {
        if !enabled(tree, id) || binding_of(tree, id, ctx.bindings).is_some() {
            continue;
        }
        let n = tree.node(id);
        let used = ctx.is_used(id);
        let Some(p) = n.prop("compatible") else {
            if used {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownCompatible,
                        format!("`{}` is used but has no `compatible`", tree.path(id)),
                    )
                    .at(n.name_span, "no `compatible`, so no binding")
                    .help("add the device's compatible string, one that has a binding"),
                );
            }
            continue;
        };
        let list = compatibles(tree, id);
        // the closest (compatible, known) pair over the whole list
        let best = list
            .iter()
            .filter_map(|c| nearest(c, ctx.bindings.compatibles()).map(|(k, d)| (*c, k, d)))
            .min_by_key(|x| x.2);
        let typo = best.filter(|(c, k, _)| is_typo(c, k));
        if !used && typo.is_none() {
            continue;
        }
        let severity = if used { Severity::Error } else { ctx.level(id) };
        let shown = list.first().copied().unwrap_or("");
        let what = if list.len() > 1 {
            format!("no binding for any compatible of `{}`", tree.path(id))
        } else {
            format!("unknown compatible `{shown}` of `{}`", tree.path(id))
        };
        let (label, help) = match (typo, best) {
            (Some((c, k, _)), _) => (
                format!("did you mean `{k}`?"),
                format!("`{c}` has no binding; the nearest known compatible is `{k}`"),
            ),
            (None, Some((_, k, _))) => (
                "no binding for this compatible".to_string(),
                format!("add a binding for it (a file in `Builder::bindings_dir`); the nearest known compatible is `{k}`"),
            ),
            (None, None) => (
                "no binding for this compatible".to_string(),
                "add a binding for it (a file in `Builder::bindings_dir`)".to_string(),
            ),
        };
        let d = Diagnostic::new(severity, Code::UnknownCompatible, what)
            .at(p.value.span_or(p.name_span), label)
            .help(if used {
                format!("{help}; this node is used, so it needs a binding")
            } else {
                help
            });
        diags.push(d);
    }
}
