//! The item under `#[rtio_iodev]`: a unit struct (anything else is kept for `check` to refuse).

use syn::parse::{Parse, ParseStream};

/// The annotated item.
pub struct Target {
    /// The item as written.
    pub item: syn::Item,
}

impl Parse for Target {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(Target {
            item: input.parse()?,
        })
    }
}
