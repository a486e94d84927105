//! Every rule of `#[rtio_iodev]`.
//!
//! | rule | what |
//! |---|---|
//! | `iodev-not-a-unit-struct` | the attribute is not on a unit struct without generics |
//! | `iodev-unknown-key` | a capability or key that does not exist |
//! | `iodev-duplicate-key` | a capability or key given twice |
//! | `iodev-stream-without-read` | `stream` without `read` (a stream is made of reads) |
//! | `iodev-bad-value` | `bus` not `i2c`/`spi`, `name` not a string, `address`/`cs` not an integer |
//! | `iodev-address-without-bus` | `address` without `bus = i2c`, or `cs` without `bus = spi` |
//! | `iodev-address-out-of-range` | an I2C address above 0x7f (7-bit), or a chip select above 255 |

use super::parse::Target;
use crate::define::parse::{Arg, Args, Value};
use crate::diag::Errors;
use syn::spanned::Spanned;

/// Capability flags.
pub const CAPS: &[&str] = &["read", "write", "transceive", "stream"];
/// Keys with values.
pub const KEYS: &[&str] = &["bus", "address", "cs", "name"];

/// The bus named by `bus = ..`, if valid.
pub fn bus(args: &Args) -> Option<String> {
    args.args
        .iter()
        .find(|a| a.key == "bus")
        .and_then(|a| match &a.value {
            Value::Expr(syn::Expr::Path(p)) => p.path.get_ident().map(|i| i.to_string()),
            _ => None,
        })
}

/// Runs every rule.
pub fn check(args: &Args, target: &Target) -> syn::Result<()> {
    let mut e = Errors::new();
    match &target.item {
        syn::Item::Struct(s)
            if matches!(s.fields, syn::Fields::Unit) && s.generics.params.is_empty() => {}
        other => e.rule_at(
            &item_head(other),
            "iodev-not-a-unit-struct",
            "#[rtio_iodev] describes an iodev kind, which is a unit struct without generics",
            "write `pub struct MyDevice;` under the attribute",
        ),
    }
    let mut seen: Vec<String> = Vec::new();
    for a in &args.args {
        let k = a.key.to_string();
        let known = CAPS.contains(&k.as_str()) || KEYS.contains(&k.as_str());
        if !known {
            e.rule(
                a.key.span(),
                "iodev-unknown-key",
                format!("`{k}` is not an iodev capability or key"),
                "use `read`, `write`, `transceive`, `stream`, `bus = i2c|spi`, `address = 0x48`, `cs = 0`, `name = \"..\"`",
            );
            continue;
        }
        if seen.contains(&k) {
            e.rule(
                a.key.span(),
                "iodev-duplicate-key",
                format!("`{k}` is given twice"),
                "keep one of them",
            );
            continue;
        }
        seen.push(k.clone());
        value_rules(a, &k, &mut e);
    }
    if seen.iter().any(|k| k == "stream") && !seen.iter().any(|k| k == "read") {
        let a = args
            .args
            .iter()
            .find(|a| a.key == "stream")
            .map_or(proc_macro2::Span::call_site(), |a| a.key.span());
        e.rule(
            a,
            "iodev-stream-without-read",
            "a device that streams must also be readable",
            "add `read`",
        );
    }
    let bus = bus(args);
    for a in &args.args {
        let (needs, field) = if a.key == "address" {
            ("i2c", "an I2C address")
        } else if a.key == "cs" {
            ("spi", "a SPI chip select")
        } else {
            continue;
        };
        if bus.as_deref() != Some(needs) {
            e.rule(
                a.key.span(),
                "iodev-address-without-bus",
                format!(
                    "`{}` is {field}, but the device is not declared `bus = {needs}`",
                    a.key
                ),
                format!("add `bus = {needs}`, or remove `{}`", a.key),
            );
        }
    }
    e.finish()
}

fn item_head(item: &syn::Item) -> proc_macro2::TokenStream {
    use quote::ToTokens;
    match item {
        syn::Item::Struct(s) => {
            let mut t = s.struct_token.to_token_stream();
            s.ident.to_tokens(&mut t);
            s.generics.to_tokens(&mut t);
            t
        }
        other => other.to_token_stream().into_iter().take(2).collect(),
    }
}

fn value_rules(a: &Arg, k: &str, e: &mut Errors) {
    let bad = |e: &mut Errors, span, what: &str, example: &str| {
        e.rule(
            span,
            "iodev-bad-value",
            format!("`{k}` takes {what}"),
            format!("write `{example}`"),
        )
    };
    match (k, &a.value) {
        (_, Value::Flag) if CAPS.contains(&k) => {}
        (_, v) if CAPS.contains(&k) => bad(e, value_span(a, v), "no value", k),
        ("bus", Value::Expr(syn::Expr::Path(p)))
            if p.path.is_ident("i2c") || p.path.is_ident("spi") => {}
        ("bus", v) => bad(e, value_span(a, v), "`i2c` or `spi`", "bus = i2c"),
        (
            "name",
            Value::Expr(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(_),
                ..
            })),
        ) => {}
        ("name", v) => bad(e, value_span(a, v), "a string", "name = \"tmp105\""),
        (
            _,
            Value::Expr(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(l),
                ..
            })),
        ) => {
            let max = if k == "address" { 0x7f } else { 0xff };
            match l.base10_parse::<u64>() {
                Ok(v) if v > max => e.rule(
                    l.span(),
                    "iodev-address-out-of-range",
                    format!("`{k} = {l}` is out of range (at most {max:#x})"),
                    if k == "address" {
                        "I2C target addresses are 7-bit: 0x00..=0x7f"
                    } else {
                        "chip selects are 0..=255"
                    },
                ),
                Ok(_) => {}
                Err(err) => e.push(err),
            }
        }
        (_, v) => bad(
            e,
            value_span(a, v),
            "an integer literal",
            if k == "address" {
                "address = 0x48"
            } else {
                "cs = 0"
            },
        ),
    }
}

fn value_span(a: &Arg, v: &Value) -> proc_macro2::Span {
    match v {
        Value::Expr(x) => x.span(),
        _ => a.key.span(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(args: &str, item: &str) -> Vec<String> {
        let args: Args = syn::parse_str(args).unwrap();
        let item: Target = syn::parse_str(item).unwrap();
        match check(&args, &item) {
            Ok(()) => Vec::new(),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string().split('`').nth(1).unwrap().to_string())
                .collect(),
        }
    }

    const OK: &str = "pub struct K;";

    #[test]
    fn valid_kinds_pass() {
        assert!(rules("read, write, bus = i2c, address = 0x48", OK).is_empty());
        assert!(rules(
            "read, stream, transceive, bus = spi, cs = 3, name = \"x\"",
            OK
        )
        .is_empty());
        assert!(rules("", OK).is_empty());
    }

    #[test]
    fn each_rule_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            ("read", "struct K { x: u8 }", "iodev-not-a-unit-struct"),
            ("read", "struct K<T>(T);", "iodev-not-a-unit-struct"),
            ("read", "fn k() {}", "iodev-not-a-unit-struct"),
            ("read, erase", OK, "iodev-unknown-key"),
            ("read, read", OK, "iodev-duplicate-key"),
            ("stream", OK, "iodev-stream-without-read"),
            ("bus = can", OK, "iodev-bad-value"),
            ("read = 1", OK, "iodev-bad-value"),
            ("name = 3", OK, "iodev-bad-value"),
            ("bus = spi, address = 0x10", OK, "iodev-address-without-bus"),
            ("cs = 1", OK, "iodev-address-without-bus"),
            (
                "bus = i2c, address = 0x80",
                OK,
                "iodev-address-out-of-range",
            ),
            ("bus = spi, cs = 256", OK, "iodev-address-out-of-range"),
        ];
        for (args, item, rule) in cases {
            assert_eq!(rules(args, item), [*rule], "{args} / {item}");
        }
    }
}
