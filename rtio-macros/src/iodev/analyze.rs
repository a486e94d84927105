//! The kind to generate: its capabilities, bus and address.

use super::parse::Target;
use crate::define::parse::{Args, Value};

/// An iodev kind.
pub struct Kind {
    /// The struct as written.
    pub item: syn::ItemStruct,
    /// `caps` traits to implement: `Read`, `Write`, ...
    pub caps: Vec<&'static str>,
    /// Diagnostic name: `name = ".."` or the struct's name in lowercase.
    pub name: String,
    /// I2C address.
    pub address: Option<syn::LitInt>,
    /// SPI chip select.
    pub cs: Option<syn::LitInt>,
}

/// Builds the model. Only called after `check` passed.
pub fn analyze(args: &Args, target: &Target) -> Kind {
    let syn::Item::Struct(item) = &target.item else {
        unreachable!("check refuses items that are not unit structs")
    };
    let has = |k: &str| args.args.iter().any(|a| a.key == k);
    let mut caps = Vec::new();
    for (flag, tr) in [
        ("read", "Read"),
        ("write", "Write"),
        ("transceive", "Transceive"),
        ("stream", "Stream"),
    ] {
        if has(flag) {
            caps.push(tr);
        }
    }
    match super::check::bus(args).as_deref() {
        Some("i2c") => caps.push("I2c"),
        Some("spi") => caps.push("Spi"),
        _ => {}
    }
    let lit = |k: &str| {
        args.args
            .iter()
            .find(|a| a.key == k)
            .and_then(|a| match &a.value {
                Value::Expr(syn::Expr::Lit(syn::ExprLit { lit, .. })) => Some(lit.clone()),
                _ => None,
            })
    };
    let int = |k: &str| match lit(k) {
        Some(syn::Lit::Int(l)) => Some(l),
        _ => None,
    };
    let name = match lit("name") {
        Some(syn::Lit::Str(s)) => s.value(),
        _ => item.ident.to_string().to_lowercase(),
    };
    Kind {
        item: item.clone(),
        caps,
        name,
        address: int("address"),
        cs: int("cs"),
    }
}
