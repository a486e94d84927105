//! `#[rtio_iodev(..)]`: what an iodev kind can do, as `rtio::caps` impls (parse -> check ->
//! analyze -> codegen). The arguments reuse `#[rtio_define]`'s `key = value` syntax.

pub mod analyze;
pub mod check;
pub mod codegen;
pub mod parse;

use proc_macro2::TokenStream;

/// Runs the pipeline; on error the struct is still emitted (with no capabilities), so uses
/// of its name do not add errors.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let target = match syn::parse2::<parse::Target>(item.clone()) {
        Ok(t) => t,
        Err(e) => return crate::diag::with_stub(e, item),
    };
    let args = syn::parse2::<crate::define::parse::Args>(args);
    let checked = match &args {
        Ok(a) => check::check(a, &target),
        Err(e) => Err(e.clone()),
    };
    match (args, checked) {
        (Ok(a), Ok(())) => codegen::kind(&analyze::analyze(&a, &target)),
        (_, Err(e)) | (Err(e), _) => crate::diag::with_stub(e, codegen::stub(&target)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every capability and key with every value shape, on every item shape: tokens out, no
    /// panic, and the struct is always emitted.
    #[test]
    fn expand_never_panics() {
        let keys = [
            "read",
            "write",
            "transceive",
            "stream",
            "bus",
            "address",
            "cs",
            "name",
            "x",
        ];
        let values = [
            "", " = i2c", " = spi", " = 0x48", " = 300", " = \"n\"", " = (1)",
        ];
        let items = [
            "pub struct K;",
            "struct K<T>(T);",
            "struct K { a: u8 }",
            "fn k() {}",
        ];
        for k in keys {
            for v in values {
                for item in items {
                    let args: TokenStream = format!("read, bus = i2c, {k}{v}").parse().unwrap();
                    let out = expand(args, item.parse().unwrap()).to_string();
                    let name = if item.starts_with("fn") {
                        "fn k"
                    } else {
                        "struct K"
                    };
                    assert!(out.contains(name), "{k}{v} {item}: {out}");
                }
            }
        }
    }
}
