//! `#[rtio_define]`: a context as static storage (parse -> check -> analyze -> codegen).

pub mod analyze;
pub mod check;
pub mod codegen;
pub mod parse;

use proc_macro2::TokenStream;

/// Runs the pipeline; on error returns the errors plus a stub with the right name.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let target = match syn::parse2::<parse::Target>(item.clone()) {
        Ok(t) => t,
        Err(e) => return crate::diag::with_stub(e, item),
    };
    let parsed_args = syn::parse2::<parse::Args>(args);
    let checked = match parsed_args {
        Ok(a) => check::check(&a, &target).map(|()| a),
        Err(e) => {
            // Still check the item, so that every mistake shows in one run.
            let mut errs = crate::diag::Errors::new();
            errs.push(e);
            if let Err(e) = check::check_item(&target) {
                errs.push(e);
            }
            Err(errs.finish().unwrap_err())
        }
    };
    match checked {
        Ok(a) => codegen::context(&analyze::analyze(&a, &target)),
        Err(e) => crate::diag::with_stub(e, codegen::stub(&target)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination of keys and value shapes: the pipeline returns tokens, never panics,
    /// and an error always comes with the stub static.
    #[test]
    fn expand_never_panics() {
        let values = ["0", "1", "8", "70000", "N", "\"x\"", "(1)", ""];
        let items = [
            "static S: Rtio;",
            "pub static mut S: u8 = 3;",
            "fn f() {}",
            "struct S;",
        ];
        for key in ["sq", "cq", "mempool", "clock", "depth"] {
            for v in values {
                for pool in [
                    "",
                    ", mempool(blocks = 4, block_size = 12, align = 8)",
                    ", mempool(align = 3)",
                ] {
                    let arg = if v.is_empty() {
                        key.to_string()
                    } else {
                        format!("{key} = {v}")
                    };
                    for item in items {
                        let args: TokenStream = format!("sq = 2, {arg}{pool}").parse().unwrap();
                        let out = expand(args, item.parse().unwrap()).to_string();
                        assert!(!out.is_empty());
                        if out.contains("compile_error") && item.contains("static") {
                            assert!(out.contains("static S"), "{arg} {item}: {out}");
                        }
                    }
                }
            }
        }
    }
}
