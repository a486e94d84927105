//! Builder calls and compile-time assertions for a checked chain. Infallible.
//!
//! ```text
//! chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx) ])
//! ```
//! becomes, in a block:
//! ```text
//! const _: () = assert!(2 <= SENSORS::SQ, "rule `chain-longer-than-context`: ..");
//! let ctx: &::rtio::Context = &ctx;
//! debug_assert!(core::ptr::eq(ctx.rtio(), &SENSORS), "..");
//! match ctx.chain::<2>() {
//!     Ok(c) => c.tiny_write(TEMP, &[0x00]).read(TEMP, read_buf(rx)).prepare(),
//!     Err(e) => Err(e),
//! }
//! ```
//! Every generated token that can fail to compile carries the span of the user's token, so
//! rustc points there: the operation's name for capability bounds, the buffer for buffer
//! rules, the `[..]` for the length rule.

use super::analyze::{Entry, Plan};
use super::check::literal_len;
use super::ops::OpKind;
use crate::diag::format_rule;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

/// The whole expansion.
pub fn chain(plan: &Plan) -> TokenStream {
    let Some((ctx, def)) = plan.ctx else {
        return quote! { () };
    };
    let n = plan.entries.len();
    let mut asserts = TokenStream::new();
    let too_long = format_rule(
        "chain-longer-than-context",
        format!(
            "this chain has {n} entries, more than the submission side of `{}` holds",
            crate::diag::text(def)
        ),
        "raise `sq` in its #[rtio_define], or split the chain",
    );
    asserts.extend(quote_spanned! {plan.list_span=>
        const _: () = ::core::assert!(#n <= #def::SQ, #too_long);
    });
    for (span, min) in &plan.pool_reads {
        let no_pool = format_rule(
            "pool-read-without-mempool",
            format!(
                "this pool read needs a memory pool, but `{}` was declared without `mempool(..)`",
                crate::diag::text(def)
            ),
            "add `mempool(blocks = 16, block_size = 32)` to its #[rtio_define], or read into a buffer with `read(iodev, buffer)`",
        );
        asserts.extend(quote_spanned! {*span=>
            const _: () = ::core::assert!(#def::HAS_POOL, #no_pool);
        });
        if let Some(min) = min {
            let too_big = format_rule(
                "pool-read-larger-than-pool",
                format!(
                    "this pool read needs at least {min} bytes, more than the whole pool of `{}`",
                    crate::diag::text(def)
                ),
                "lower the minimum, or give the context a larger `mempool(..)`",
            );
            asserts.extend(quote_spanned! {min.span()=>
                const _: () = ::core::assert!(!#def::HAS_POOL || #min <= #def::POOL_BYTES, #too_big);
            });
        }
    }
    let mut helpers = TokenStream::new();
    if plan.reads_into_buffers {
        helpers.extend(read_buf_helper());
    }
    if plan.tiny_data_by_type {
        helpers.extend(tiny_data_helper());
    }
    if plan.has_tiny_writes {
        let max = super::check::TINY_MAX;
        helpers.extend(quote! {
            const _: () = ::core::assert!(
                ::rtio::TINY_MAX == #max,
                "rtio-macros checks tiny writes against a TINY_MAX that differs from the runtime's: rebuild them together"
            );
        });
    }
    let calls = plan.entries.iter().map(entry);
    let finish = &plan.finish;
    let c = format_ident!("__rtio_chain");
    let wrong_ctx = format!(
        "chain!: the owner side passed in is not the context `{}` the chain was checked against",
        crate::diag::text(def)
    );
    quote! {
        {
            #asserts
            #helpers
            let __rtio_ctx: &::rtio::Context = &(#ctx);
            ::core::debug_assert!(::core::ptr::eq(__rtio_ctx.rtio(), &#def), #wrong_ctx);
            match __rtio_ctx.chain::<#n>() {
                ::core::result::Result::Ok(#c) => #c #(#calls)* .#finish(),
                ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
            }
        }
    }
}

/// A local trait whose message names the rule when a read gets an immutable buffer.
fn read_buf_helper() -> TokenStream {
    let msg = format_rule(
        "read-into-immutable",
        "a read writes into its buffer, but `{Self}` is not a `&'static mut` byte buffer",
        "pass a `&'static mut [u8]` (or `&'static mut [u8; N]`)",
    );
    quote! {
        #[diagnostic::on_unimplemented(message = #msg, label = "a read needs a mutable buffer")]
        trait __RtioReadBuf {
            fn __into_slice(self) -> &'static mut [u8];
        }
        impl __RtioReadBuf for &'static mut [u8] {
            fn __into_slice(self) -> &'static mut [u8] {
                self
            }
        }
        impl<const L: usize> __RtioReadBuf for &'static mut [u8; L] {
            fn __into_slice(self) -> &'static mut [u8] {
                self
            }
        }
        fn __rtio_read_buf<B: __RtioReadBuf>(b: B) -> &'static mut [u8] {
            b.__into_slice()
        }
    }
}

/// A local trait implemented only for data that fits an entry: `[u8; 0..=TINY_MAX]` and
/// references to it, and slices (whose length `prepare` checks at run time).
fn tiny_data_helper() -> TokenStream {
    let msg = format_rule(
        "tiny-write-too-long",
        format!(
            "`{{Self}}` is not inline data of at most {} bytes (`rtio::TINY_MAX`)",
            super::check::TINY_MAX
        ),
        "use `write(iodev, buffer)` with a `'static` buffer for longer data",
    );
    let arrays = (0..=super::check::TINY_MAX).map(|n| {
        quote! {
            impl __RtioTinyData for [u8; #n] {
                fn __bytes(&self) -> &[u8] {
                    self
                }
            }
        }
    });
    quote! {
        #[diagnostic::on_unimplemented(message = #msg, label = "too long for `tiny_write`")]
        trait __RtioTinyData {
            fn __bytes(&self) -> &[u8];
        }
        impl __RtioTinyData for [u8] {
            fn __bytes(&self) -> &[u8] {
                self
            }
        }
        impl<T: __RtioTinyData + ?::core::marker::Sized> __RtioTinyData for &T {
            fn __bytes(&self) -> &[u8] {
                (**self).__bytes()
            }
        }
        #(#arrays)*
        fn __rtio_tiny_data<T: __RtioTinyData + ?::core::marker::Sized>(d: &T) -> &[u8] {
            d.__bytes()
        }
    }
}

fn read_buf(e: &Expr) -> TokenStream {
    quote_spanned! {e.span()=> __rtio_read_buf(#e) }
}

fn tiny_data(e: &Expr) -> TokenStream {
    match e {
        // Literal data: its length was checked by `check`.
        Expr::Reference(_) | Expr::Lit(_) if literal_len(e).is_some() => e.to_token_stream(),
        _ if literal_len(e).is_some() => quote_spanned! {e.span()=> &#e },
        // Anything else: its type says whether it fits.
        _ => quote_spanned! {e.span()=> __rtio_tiny_data(&(#e)) },
    }
}

fn entry(en: &Entry) -> TokenStream {
    let a = &en.op.args;
    let name = &en.op.name;
    let span = name.span();
    let method = |m: &str| Ident::new(m, span);
    let call = match en.kind {
        OpKind::Read => {
            let (m, dev, buf) = (method("read"), &a[0], read_buf(&a[1]));
            quote! { .#m(#dev, #buf) }
        }
        OpKind::Transceive => {
            let (m, dev, tx, rx) = (method("transceive"), &a[0], &a[1], read_buf(&a[2]));
            quote! { .#m(#dev, #tx, #rx) }
        }
        OpKind::TinyWrite => {
            let (m, dev, data) = (method("tiny_write"), &a[0], tiny_data(&a[1]));
            quote! { .#m(#dev, #data) }
        }
        OpKind::ReadPool if en.multishot => {
            let m = Ident::new("read_multishot", span);
            quote! { .#m(#(#a),*) }
        }
        k => {
            let m = method(k.name());
            quote! { .#m(#(#a),*) }
        }
    };
    let mods = en.mods.iter().map(|m| {
        let (name, args) = (&m.name, &m.args);
        quote! { .#name(#(#args),*) }
    });
    let join = if en.joins_next {
        quote! { .transaction() }
    } else {
        TokenStream::new()
    };
    quote! { #call #(#mods)* #join }
}
