//! `rtio::caps` impls for a kind, the same impls `rtio-devicetree` writes. Infallible.

use super::analyze::Kind;
use super::parse::Target;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

/// The struct, its capability impls, and its address constants.
pub fn kind(k: &Kind) -> TokenStream {
    let item = &k.item;
    let ident = &item.ident;
    let name = &k.name;
    let caps = k.caps.iter().map(|c| {
        let c = format_ident!("{}", c);
        // Spanned on the struct's name: "implemented for" notes point at the user's struct.
        quote_spanned! {ident.span()=> impl ::rtio::caps::#c for #ident {} }
    });
    let kind = quote_spanned! {ident.span()=>
        impl ::rtio::caps::Kind for #ident {
            const NAME: &'static str = #name;
        }
    };
    let mut consts = TokenStream::new();
    if let Some(a) = &k.address {
        consts.extend(quote! {
            /// The device's I2C target address (7-bit).
            pub const BUS_ADDRESS: u8 = #a;
        });
    }
    if let Some(cs) = &k.cs {
        consts.extend(quote! {
            /// The device's SPI chip select.
            pub const CHIP_SELECT: u8 = #cs;
        });
    }
    let inherent = if consts.is_empty() {
        TokenStream::new()
    } else {
        quote! { impl #ident { #consts } }
    };
    quote! {
        #item
        #kind
        #(#caps)*
        #inherent
    }
}

/// After an error: the item unchanged (a unit struct still gets `Kind`), so that its name
/// still resolves and `Dev<ItsName>` adds no error of its own.
pub fn stub(target: &Target) -> TokenStream {
    match &target.item {
        syn::Item::Struct(s) if s.generics.params.is_empty() => {
            let ident = &s.ident;
            let name = ident.to_string().to_lowercase();
            quote! {
                #s
                impl ::rtio::caps::Kind for #ident {
                    const NAME: &'static str = #name;
                }
            }
        }
        other => quote! { #other },
    }
}
