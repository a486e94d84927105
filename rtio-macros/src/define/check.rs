//! Every rule of `#[rtio_define]`, checked before anything is generated.
//!
//! | rule | what |
//! |---|---|
//! | `define-not-a-static` | the attribute sits on something other than a `static` |
//! | `define-static-mut` | `static mut` |
//! | `define-has-initializer` | the static has `= ..`: the macro writes it |
//! | `define-wrong-type` | the static's type is not `Rtio` |
//! | `define-unknown-key` | a key that is not `sq`, `cq`, `mempool`, `clock` (or, in `mempool(..)`, `blocks`, `block_size`, `align`) |
//! | `define-duplicate-key` | a key given twice |
//! | `define-missing-key` | `sq`, or `blocks`/`block_size` in `mempool(..)`, missing |
//! | `define-bad-value` | a size that is not an integer literal, a `clock` that is not a path |
//! | `define-zero-size` | `sq`, `cq`, `blocks` or `block_size` is 0 |
//! | `define-cq-smaller-than-sq` | fewer completion cells than entries (S9) |
//! | `define-too-large` | `sq` over 65534 or more than 256 pool blocks |
//! | `define-align-not-power-of-two` | `align` is 0 or not a power of two |
//! | `define-block-size-not-multiple-of-align` | pool blocks would not all be aligned |

use super::parse::{Arg, Args, Target, Value};
use crate::diag::Errors;
use proc_macro2::Span;
use syn::spanned::Spanned;

/// Largest number of submission entries (the runtime's `u16` index, less its "none" value).
pub const MAX_SQ: u64 = 65534;
/// Largest number of pool blocks (the runtime's `rtio::pool::MAX_BLOCKS`).
pub const MAX_BLOCKS: u64 = 256;

const TOP_KEYS: &[&str] = &["sq", "cq", "mempool", "clock"];
const POOL_KEYS: &[&str] = &["blocks", "block_size", "align"];

/// Checks the item alone (used also when the arguments did not parse).
pub fn check_item(target: &Target) -> syn::Result<()> {
    let mut e = Errors::new();
    item_rules(target, &mut e);
    e.finish()
}

/// Checks arguments and item; collects every violation.
pub fn check(args: &Args, target: &Target) -> syn::Result<()> {
    let mut e = Errors::new();
    item_rules(target, &mut e);
    arg_rules(args, &mut e);
    e.finish()
}

fn item_rules(target: &Target, e: &mut Errors) {
    let s = match target {
        Target::Other { kind, span, .. } => {
            e.rule(
                *span,
                "define-not-a-static",
                format!(
                    "#[rtio_define] declares a context and goes on a `static`, not on `{kind}`"
                ),
                "write `static NAME: Rtio;` under the attribute",
            );
            return;
        }
        Target::Static(s) => s,
    };
    if let Some(m) = s.mutability {
        e.rule(
            m.span,
            "define-static-mut",
            "a context must not be `static mut`",
            "remove `mut`: the context is shared safely through `claim()`",
        );
    }
    if let Some(init) = &s.init {
        e.rule_at(
            init,
            "define-has-initializer",
            "the context's initializer is written by #[rtio_define]",
            format!("remove `= ...`: write `static {}: Rtio;`", s.ident),
        );
    }
    if !is_rtio(&s.ty) {
        e.rule_at(
            &s.ty,
            "define-wrong-type",
            format!(
                "a context declared with #[rtio_define] has type `Rtio`, not `{}`",
                crate::diag::text(&s.ty)
            ),
            format!("write `static {}: Rtio;`", s.ident),
        );
    }
}

/// Looks up keys, reporting unknown and duplicate ones.
fn keys<'a>(
    args: &'a [Arg],
    allowed: &[&'static str],
    context: &str,
    e: &mut Errors,
) -> Vec<(&'static str, &'a Arg)> {
    let mut seen: Vec<(&'static str, &'a Arg)> = Vec::new();
    for a in args {
        let k = allowed.iter().copied().find(|k| a.key == k);
        match k {
            None => e.rule(
                a.key.span(),
                "define-unknown-key",
                format!("unknown key `{}` in {context}", a.key),
                format!(
                    "expected one of {}",
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some(k) if seen.iter().any(|(s, _)| *s == k) => e.rule(
                a.key.span(),
                "define-duplicate-key",
                format!("`{k}` is given twice in {context}"),
                "keep one of them",
            ),
            Some(k) => seen.push((k, a)),
        }
    }
    seen
}

/// The integer value of `key = <literal>`; reports anything else.
pub fn int(arg: &Arg, e: &mut Errors) -> Option<(u64, Span)> {
    let bad = |e: &mut Errors, span: Span| {
        e.rule(
            span,
            "define-bad-value",
            format!("`{}` takes an integer literal", arg.key),
            format!("write `{} = 8`", arg.key),
        )
    };
    match &arg.value {
        Value::Expr(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(l),
            ..
        })) => match l.base10_parse::<u64>() {
            Ok(v) => Some((v, l.span())),
            Err(err) => {
                e.push(err);
                None
            }
        },
        Value::Expr(x) => {
            bad(e, x.span());
            None
        }
        _ => {
            bad(e, arg.key.span());
            None
        }
    }
}

/// A size: an integer literal (checked here, `Some`), or a const expression such as
/// `CONFIG_SQ` (accepted, `None`: codegen asserts the same rules on it at compile time).
pub fn size(arg: &Arg, e: &mut Errors) -> Option<(u64, Span)> {
    match &arg.value {
        Value::Expr(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(_),
            ..
        })) => int(arg, e),
        Value::Expr(syn::Expr::Lit(l)) => {
            e.rule(
                l.span(),
                "define-bad-value",
                format!(
                    "`{}` takes an integer (a literal or a const expression)",
                    arg.key
                ),
                format!("write `{} = 8`", arg.key),
            );
            None
        }
        Value::Expr(_) => None,
        _ => int(arg, e),
    }
}

fn get<'a>(found: &[(&str, &'a Arg)], key: &str) -> Option<&'a Arg> {
    found.iter().find(|(k, _)| *k == key).map(|(_, a)| *a)
}

fn nonzero(v: Option<(u64, Span)>, what: &str, e: &mut Errors) -> Option<(u64, Span)> {
    match v {
        Some((0, span)) => {
            e.rule(
                span,
                "define-zero-size",
                format!("{what} must not be 0"),
                "give it at least 1",
            );
            None
        }
        v => v,
    }
}

fn arg_rules(args: &Args, e: &mut Errors) {
    let found = keys(&args.args, TOP_KEYS, "#[rtio_define]", e);
    let sq = match get(&found, "sq") {
        Some(a) => nonzero(size(a, e), "`sq` (the number of submission entries)", e),
        None => {
            e.rule(
                Span::call_site(),
                "define-missing-key",
                "#[rtio_define] needs the submission side's size `sq`",
                "write `#[rtio_define(sq = 8)]`",
            );
            None
        }
    };
    if let Some((v, span)) = sq {
        if v > MAX_SQ {
            e.rule(
                span,
                "define-too-large",
                format!("`sq = {v}` is more than {MAX_SQ} entries"),
                format!("use at most `sq = {MAX_SQ}`"),
            );
        }
    }
    if let Some(a) = get(&found, "cq") {
        let cq = nonzero(size(a, e), "`cq` (the number of completion cells)", e);
        if let (Some((cq, span)), Some((sq, _))) = (cq, sq) {
            if cq < sq {
                e.rule(
                    span,
                    "define-cq-smaller-than-sq",
                    format!("the completion side (`cq = {cq}`) is smaller than the submission side (`sq = {sq}`)"),
                    format!("every acquired entry reserves a completion cell (S9): use `cq = {sq}` or more"),
                );
            }
        }
    }
    if let Some(a) = get(&found, "clock") {
        match &a.value {
            Value::Expr(syn::Expr::Path(_)) => {}
            _ => e.rule(
                a.key.span(),
                "define-bad-value",
                "`clock` takes the path of a `static` clock",
                "write `clock = MY_CLOCK`, where `static MY_CLOCK: impl rtio::Clock`",
            ),
        }
    }
    if let Some(a) = get(&found, "mempool") {
        match &a.value {
            Value::List(inner) => pool_rules(a, inner, e),
            _ => e.rule(
                a.key.span(),
                "define-bad-value",
                "`mempool` takes a list of sizes",
                "write `mempool(blocks = 16, block_size = 32)`",
            ),
        }
    }
}

fn pool_rules(key: &Arg, inner: &[Arg], e: &mut Errors) {
    let found = keys(inner, POOL_KEYS, "`mempool(..)`", e);
    let need = |k: &str, e: &mut Errors| match get(&found, k) {
        Some(a) => size(a, e),
        None => {
            e.rule(
                key.key.span(),
                "define-missing-key",
                format!("`mempool(..)` needs `{k}`"),
                "write `mempool(blocks = 16, block_size = 32)`",
            );
            None
        }
    };
    let blocks = need("blocks", e);
    let block_size = need("block_size", e);
    let blocks = nonzero(blocks, "`blocks` (the number of pool blocks)", e);
    let block_size = nonzero(block_size, "`block_size`", e);
    if let Some((v, span)) = blocks {
        if v > MAX_BLOCKS {
            e.rule(
                span,
                "define-too-large",
                format!("`blocks = {v}` is more than a pool manages ({MAX_BLOCKS})"),
                "use fewer, larger blocks",
            );
        }
    }
    let align = get(&found, "align").and_then(|a| int(a, e));
    if let Some((v, span)) = align {
        if !v.is_power_of_two() {
            e.rule(
                span,
                "define-align-not-power-of-two",
                format!("`align = {v}` is not a power of two"),
                format!("use {}", v.checked_next_power_of_two().unwrap_or(8).max(1)),
            );
        } else if v > (1 << 29) {
            e.rule(
                span,
                "define-too-large",
                format!("`align = {v}` is more than rustc supports (2^29)"),
                "use a smaller alignment",
            );
        } else if let Some((bs, bs_span)) = block_size {
            if bs % v != 0 {
                e.rule(
                    bs_span,
                    "define-block-size-not-multiple-of-align",
                    format!("`block_size = {bs}` is not a multiple of `align = {v}`: every block after the first would be misaligned"),
                    format!("use `block_size = {}`", bs.div_ceil(v) * v),
                );
            }
        }
    }
}

/// Whether `ty` names `Rtio` (`Rtio`, `rtio::Rtio`, `::rtio::Rtio`).
pub fn is_rtio(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => {
            p.qself.is_none()
                && p.path
                    .segments
                    .last()
                    .is_some_and(|l| l.ident == "Rtio" && l.arguments.is_empty())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;

    fn rules(args: &str, item: &str) -> Vec<String> {
        let args: Args = syn::parse_str(args).unwrap();
        let item: Target = syn::parse2(item.parse::<TokenStream>().unwrap()).unwrap();
        match check(&args, &item) {
            Ok(()) => Vec::new(),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string().split('`').nth(1).unwrap().to_string())
                .collect(),
        }
    }

    const OK: &str = "static S: Rtio;";

    #[test]
    fn valid_contexts_pass() {
        assert!(rules("sq = 8, cq = 8", OK).is_empty());
        assert!(rules("sq = 4", "pub static S: rtio::Rtio;").is_empty());
        assert!(rules("sq = CONFIG_SQ, cq = 2 * CONFIG_SQ", OK).is_empty());
        assert!(rules(
            "sq = 8, cq = 16, mempool(blocks = 16, block_size = 64, align = 64), clock = CLK",
            OK
        )
        .is_empty());
    }

    #[test]
    fn each_rule_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            ("sq = 4", "fn f() {}", "define-not-a-static"),
            ("sq = 4", "static mut S: Rtio;", "define-static-mut"),
            ("sq = 4", "static S: Rtio = X;", "define-has-initializer"),
            ("sq = 4", "static S: u32;", "define-wrong-type"),
            ("sq = 4, depth = 2", OK, "define-unknown-key"),
            ("sq = 4, sq = 2", OK, "define-duplicate-key"),
            ("cq = 4", OK, "define-missing-key"),
            ("sq = \"8\"", OK, "define-bad-value"),
            (
                "sq = 1, mempool(blocks = 4, block_size = 8, align = A)",
                OK,
                "define-bad-value",
            ),
            ("sq = 0", OK, "define-zero-size"),
            ("sq = 8, cq = 4", OK, "define-cq-smaller-than-sq"),
            ("sq = 70000, cq = 70000", OK, "define-too-large"),
            (
                "sq = 1, mempool(blocks = 300, block_size = 8)",
                OK,
                "define-too-large",
            ),
            (
                "sq = 1, mempool(blocks = 4, block_size = 24, align = 6)",
                OK,
                "define-align-not-power-of-two",
            ),
            (
                "sq = 1, mempool(blocks = 4, block_size = 24, align = 16)",
                OK,
                "define-block-size-not-multiple-of-align",
            ),
            ("sq = 1, mempool(blocks = 4)", OK, "define-missing-key"),
            ("sq = 1, mempool = 4", OK, "define-bad-value"),
            ("sq = 1, clock = 3", OK, "define-bad-value"),
        ];
        for (args, item, rule) in cases {
            assert_eq!(rules(args, item), [*rule], "{args} / {item}");
        }
    }

    #[test]
    fn every_mistake_is_reported_in_one_run() {
        assert_eq!(
            rules("sq = 0, sq = 1, x = 2", "static mut S: u8;"),
            [
                "define-static-mut",
                "define-wrong-type",
                "define-duplicate-key",
                "define-unknown-key",
                "define-zero-size"
            ]
        );
    }
}
