//! Builder calls and compile-time assertions for a checked chain. Infallible.
//!
//! ```text
//! chain!(ctx: SENSORS, [ tiny_write(TEMP, [0x00]), read(TEMP, rx) ])
//! ```
//! becomes, in a block:
//! ```text
//! const _: () = if !(2 <= SENSORS::SQ) { panic!("rule `chain-longer-than-context`: .. holds {SQ} ..") };
//! let ctx: &::rtio::Context = &ctx;
//! if !core::ptr::eq(ctx.rtio(), &SENSORS) {
//!     Err(Error::WrongContext.into())         // in every build
//! } else {
//!     match ctx.chain::<2>() {
//!         Ok(c) => c.tiny_write(TEMP, &[0x00]).read(TEMP, read_buf(rx)).prepare(),
//!         Err(e) => Err(e.into()),
//!     }
//! }
//! ```
//! `=> wait` calls `wait_checked`: `Err(ChainError)` naming the entry that failed first and
//! its own error (S17), with every completion. Whether `ctx` was claimed from `SENSORS` is
//! not in its type (a `Context` does not name its `Rtio`), so it is checked when the chain is
//! built: `Err(Error::WrongContext)`, never a panic.
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
            "this chain has {n} entries, but the submission side of `{}` holds {{SQ}} (`sq = {{SQ}}`)",
            crate::diag::text(def)
        ),
        "raise `sq` in its #[rtio_define], or split the chain",
    );
    asserts.extend(too_long_assert(plan.list_span, n, def, &too_long));
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
    if plan.finish == "wait_scoped" {
        return scoped(plan, ctx, def, asserts);
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
    // S17: `=> wait` fails when an entry failed, naming it.
    let finish = if plan.finish == "wait" {
        Ident::new("wait_checked", plan.finish.span())
    } else {
        plan.finish.clone()
    };
    let c = format_ident!("__rtio_chain");
    quote! {
        {
            #asserts
            #helpers
            let __rtio_ctx: &::rtio::Context = &(#ctx);
            if !::core::ptr::eq(__rtio_ctx.rtio(), &#def) {
                ::core::result::Result::Err(::core::convert::Into::into(::rtio::Error::WrongContext))
            } else {
                match __rtio_ctx.chain::<#n>() {
                    ::core::result::Result::Ok(#c) => #c #(#calls)* .#finish(),
                    ::core::result::Result::Err(e) => {
                        ::core::result::Result::Err(::core::convert::Into::into(e))
                    }
                }
            }
        }
    }
}

/// `=> wait_scoped`: the chain on borrowed buffers, in a scope of its own, blocking until
/// every entry completed:
/// ```text
/// let __rtio_tiny_1 = [0x00];                       // a tiny write's data, borrowed
/// ctx.scope(|s| s.chain().write(TEMP, AsRef::<[u8]>::as_ref(&__rtio_tiny_1))
///                        .transaction().read(TEMP, &mut rx).wait())
/// ```
/// `Result<usize, rtio::ScopedChainError>`: the last operation's result, or the entry that
/// failed first and its own error (S17).
fn scoped(plan: &Plan, ctx: &Expr, def: &syn::Path, asserts: TokenStream) -> TokenStream {
    let mut lets = TokenStream::new();
    let mut calls = TokenStream::new();
    for (i, en) in plan.entries.iter().enumerate() {
        let a = &en.op.args;
        let span = en.op.name.span();
        let call = match en.kind {
            OpKind::TinyWrite => {
                let t = format_ident!("__rtio_tiny_{}", i);
                let data = &a[1];
                lets.extend(quote_spanned! {data.span()=> let #t = #data; });
                let m = Ident::new("write", span);
                let dev = &a[0];
                quote! { .#m(#dev, ::core::convert::AsRef::<[u8]>::as_ref(&#t)) }
            }
            k => {
                let m = Ident::new(k.name(), span);
                quote! { .#m(#(#a),*) }
            }
        };
        calls.extend(call);
        for m in &en.mods {
            let (name, args) = (&m.name, &m.args);
            calls.extend(quote! { .#name(#(#args),*) });
        }
        if en.joins_next {
            calls.extend(quote! { .transaction() });
        }
    }
    let wait = Ident::new("wait", plan.finish.span());
    quote! {
        {
            #asserts
            #lets
            let __rtio_ctx: &::rtio::Context = &(#ctx);
            if !::core::ptr::eq(__rtio_ctx.rtio(), &#def) {
                ::core::result::Result::<usize, ::rtio::ScopedChainError>::Err(
                    ::core::convert::From::from(::rtio::Error::WrongContext),
                )
            } else {
                __rtio_ctx.scope(|__rtio_s| __rtio_s.chain() #calls .#wait())
            }
        }
    }
}

/// The length rule as a constant evaluation whose message states the context's size: `msg`
/// has `{SQ}` where the number goes, written at compile time (a const panic can only print a
/// `&str`, so the message is assembled in a byte array first).
fn too_long_assert(span: proc_macro2::Span, n: usize, def: &syn::Path, msg: &str) -> TokenStream {
    let parts: Vec<&str> = msg.split("{SQ}").collect();
    let pushes = parts.iter().enumerate().map(|(i, p)| {
        let lit = syn::LitByteStr::new(p.as_bytes(), span);
        if i == 0 {
            quote! { __rtio_push(&mut b, &mut k, #lit); }
        } else {
            quote! { __rtio_digits(&mut b, &mut k, #def::SQ); __rtio_push(&mut b, &mut k, #lit); }
        }
    });
    let cap = msg.len() + 20 * parts.len();
    quote_spanned! {span=>
        const _: () = {
            const fn __rtio_push(b: &mut [u8; #cap], k: &mut usize, s: &[u8]) {
                let mut i = 0;
                while i < s.len() {
                    b[*k] = s[i];
                    *k += 1;
                    i += 1;
                }
            }
            const fn __rtio_digits(b: &mut [u8; #cap], k: &mut usize, v: usize) {
                let (mut d, mut nd, mut v) = ([0u8; 20], 0, v);
                loop {
                    d[nd] = b'0' + (v % 10) as u8;
                    nd += 1;
                    v /= 10;
                    if v == 0 {
                        break;
                    }
                }
                while nd > 0 {
                    nd -= 1;
                    b[*k] = d[nd];
                    *k += 1;
                }
            }
            const MSG: ([u8; #cap], usize) = {
                let (mut b, mut k) = ([0u8; #cap], 0);
                #(#pushes)*
                (b, k)
            };
            if !(#n <= #def::SQ) {
                match ::core::str::from_utf8(MSG.0.split_at(MSG.1).0) {
                    ::core::result::Result::Ok(m) => ::core::panic!("{}", m),
                    ::core::result::Result::Err(_) => ::core::panic!("rule `chain-longer-than-context`"),
                }
            }
        };
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
