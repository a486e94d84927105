//! `chain!` and `transaction!`: chains checked at compile time (parse -> check -> analyze ->
//! codegen).

pub mod analyze;
pub mod check;
pub mod codegen;
pub mod ops;
pub mod parse;

use parse::MacroKind;
use proc_macro2::TokenStream;

/// Runs the pipeline for `chain!`/`transaction!`.
pub fn expand(kind: MacroKind, input: TokenStream) -> TokenStream {
    let parsed = syn::parse::Parser::parse2(
        |s: syn::parse::ParseStream| parse::invocation(kind, s),
        input,
    );
    run(parsed)
}

/// The check-only entry point: parse and check, generate nothing.
pub fn expand_check_only(input: TokenStream) -> TokenStream {
    match syn::parse::Parser::parse2(parse::check_only, input).and_then(|inv| check::check(&inv)) {
        Ok(()) => quote::quote! { () },
        Err(e) => e.to_compile_error(),
    }
}

fn run(parsed: syn::Result<parse::Invocation>) -> TokenStream {
    let inv = match parsed {
        Ok(inv) => inv,
        Err(e) => return stub(e, None),
    };
    match check::check(&inv) {
        Ok(()) => codegen::chain(&analyze::analyze(&inv)),
        Err(e) => stub(e, Some(&inv)),
    }
}

/// After an error the expression still has the type the chain would have had (`Result` of a
/// handle, a future or the completions), so code using it does not add errors of its own.
fn stub(e: syn::Error, inv: Option<&parse::Invocation>) -> TokenStream {
    let err = e.to_compile_error();
    let n = inv.map_or(1, |inv| {
        check::flatten(inv, &mut crate::diag::Errors::new()).len()
    });
    let finish = inv
        .and_then(|inv| inv.finish.as_ref())
        .map(|f| f.to_string());
    let (ok, err_ty) = match finish.as_deref() {
        Some("run") => (
            quote::quote! { ::rtio::ChainFuture<'static, #n> },
            quote::quote! { ::rtio::Error },
        ),
        Some("wait") => (
            quote::quote! { [::rtio::Completion; #n] },
            quote::quote! { ::rtio::ChainError<#n> },
        ),
        Some("wait_scoped") => (
            quote::quote! { usize },
            quote::quote! { ::rtio::ScopedChainError },
        ),
        _ => (
            quote::quote! { ::rtio::ChainHandle<#n> },
            quote::quote! { ::rtio::Error },
        ),
    };
    // Mention everything the user passed, in a closure never called, so that their
    // bindings and imports are used and the real error stays the only message.
    let mut uses = proc_macro2::TokenStream::new();
    if let Some(inv) = inv {
        if let Some((ctx, def)) = &inv.ctx {
            uses.extend(quote::quote! { let _ = &(#ctx); let _ = &#def; });
        }
        for f in check::flatten(inv, &mut crate::diag::Errors::new()) {
            for a in
                f.op.args
                    .iter()
                    .chain(f.op.mods.iter().flat_map(|m| &m.args))
            {
                uses.extend(quote::quote! { let _ = &(#a); });
            }
        }
    }
    quote::quote! {
        {
            #err;
            #[allow(unreachable_code, clippy::all)]
            let _ = || { #uses };
            ::core::result::Result::<#ok, #err_ty>::Err(::core::convert::From::from(::rtio::Error::InvalidChain))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ops::{MODIFIERS, OPS};
    use super::*;

    /// Every operation with 0..=3 arguments, every modifier, every finish, alone and in
    /// groups: the pipeline returns tokens (code or errors), never panics.
    #[test]
    fn expand_never_panics() {
        let args = ["", "A", "A, [0; 16]", "A, &mut b, 3"];
        let mut n = 0;
        for (op, ..) in OPS {
            for a in args {
                for (m, arity) in MODIFIERS.iter().copied().chain([("bogus", 0)]) {
                    let margs = if arity == 0 { "" } else { "1" };
                    for finish in ["", "=> wait", "=> nope"] {
                        for shape in [
                            format!("[ {op}({a}).{m}({margs}) ]"),
                            format!("[ nop(), {op}({a}).{m}({margs}), link_timeout(D) ]"),
                            format!("[ transaction[ {op}({a}), read(A, RX) ].{m} ]"),
                        ] {
                            let src = format!("ctx: CTX, {shape} {finish}");
                            let ts: TokenStream = src.parse().unwrap();
                            for kind in [MacroKind::Chain, MacroKind::Transaction] {
                                assert!(!expand(kind, ts.clone()).is_empty(), "{src}");
                                n += 1;
                            }
                            let check: TokenStream =
                                format!("chain {shape} {finish}").parse().unwrap();
                            assert!(!expand_check_only(check).is_empty());
                        }
                    }
                }
            }
        }
        assert!(n > 1000);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for src in [
            "",
            "ctx",
            "ctx: CTX",
            "ctx: CTX, ",
            "ctx: CTX, [",
            "ctx: CTX, [ read ]",
            "ctx: CTX, [ read(A, B) ] =>",
            "ctx: CTX, [ transaction ]",
            "ctx: CTX, [ other[ nop() ] ]",
            "ctx: CTX, [ 1 + 2 ]",
        ] {
            let Ok(ts) = src.parse::<TokenStream>() else {
                continue;
            };
            let out = expand(MacroKind::Chain, ts).to_string();
            assert!(out.contains("compile_error"), "{src}: {out}");
        }
    }
}
