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
