//! The context's static storage, and its compile-time description. Infallible.
//!
//! ```text
//! #[rtio_define(sq = 8, cq = 8, mempool(blocks = 16, block_size = 32))]
//! static SENSORS: Rtio;
//! ```
//! becomes
//! ```text
//! static SENSORS: ::rtio::Rtio = {
//!     static STORAGE: ::rtio::Storage<8, 8> = ::rtio::Storage::new();
//!     static POOL_STORAGE: ::rtio::PoolStorage<16, 32> = ::rtio::PoolStorage::new();
//!     static POOL: ::rtio::Mempool = ::rtio::Mempool::new(&POOL_STORAGE);
//!     ::rtio::Rtio::new(&STORAGE).with_pool(&POOL)
//! };
//! // Same name in the type namespace: what `chain!(ctx: SENSORS, ..)` reads.
//! #[doc(hidden)] struct SENSORS {}
//! impl SENSORS { pub const SQ: usize = 8; pub const HAS_POOL: bool = true; .. }
//! ```
//! An alignment above the runtime's 8 bytes wraps the pool storage in a `#[repr(C, align(N))]`
//! struct; the storage is its only field, at offset 0.

use super::analyze::{Context, Size, RUNTIME_ALIGN};
use super::parse::Target;
use crate::diag::format_rule;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// The whole expansion.
pub fn context(c: &Context) -> TokenStream {
    let Context {
        attrs,
        vis,
        ident,
        ty,
        ..
    } = c;
    let (sq, cq) = (&c.sq, &c.cq);
    // Const-expression sizes are clamped into the runtime's valid range for the storage
    // types, so that only our rule-named assertions (below) report a bad value, not the
    // runtime's own `const` checks as well. A clamped value never runs: the build fails.
    let (sq_s, cq_s) = (
        clamp(sq, quote! { 1 }, quote! { 65534 }),
        clamp(cq, quote! { 1 }, quote! { usize::MAX }),
    );
    let cq_s = if sq.as_const().is_some() || cq.as_const().is_some() {
        quote! { { let (s, c) = (#sq_s, #cq_s); if c < s { s } else { c } } }
    } else {
        cq_s
    };
    let storage = quote! {
        static STORAGE: ::rtio::Storage<#sq_s, #cq_s> = ::rtio::Storage::new();
    };
    let (pool_items, with_pool) = match &c.pool {
        None => (quote! {}, quote! {}),
        Some(p) => {
            let blocks = clamp(&p.blocks, quote! { 1 }, quote! { 256 });
            let bs = clamp(&p.block_size, quote! { 1 }, quote! { usize::MAX });
            let items = match p.extra_align() {
                None => quote! {
                    static POOL_STORAGE: ::rtio::PoolStorage<#blocks, #bs> = ::rtio::PoolStorage::new();
                    static POOL: ::rtio::Mempool = ::rtio::Mempool::new(&POOL_STORAGE);
                },
                Some(align) => {
                    let align = proc_macro2::Literal::usize_unsuffixed(align);
                    quote! {
                        #[repr(C, align(#align))]
                        struct Aligned(::rtio::PoolStorage<#blocks, #bs>);
                        static POOL_STORAGE: Aligned = Aligned(::rtio::PoolStorage::new());
                        static POOL: ::rtio::Mempool = ::rtio::Mempool::new(&POOL_STORAGE.0);
                    }
                }
            };
            (items, quote! { .with_pool(&POOL) })
        }
    };
    let with_clock = match &c.clock {
        Some(clock) => quote! { .with_clock(&#clock) },
        None => quote! {},
    };
    let has_pool = c.pool.is_some();
    let zero = Size::Lit(0);
    let (blocks, bs) = c
        .pool
        .as_ref()
        .map_or((&zero, &zero), |p| (&p.blocks, &p.block_size));
    let align = c
        .pool
        .as_ref()
        .map_or(0, |p| p.align.unwrap_or(RUNTIME_ALIGN).max(RUNTIME_ALIGN));
    let bytes = quote! { #blocks * #bs };
    let asserts = const_asserts(c);
    let twin = twin(
        vis,
        ident,
        quote! {
            /// Submission entries.
            pub const SQ: usize = #sq;
            /// Completion cells.
            pub const CQ: usize = #cq;
            /// Whether the context has a memory pool.
            pub const HAS_POOL: bool = #has_pool;
            /// Pool blocks (0 without a pool).
            pub const POOL_BLOCKS: usize = #blocks;
            /// Bytes per pool block (0 without a pool).
            pub const POOL_BLOCK_SIZE: usize = #bs;
            /// Bytes in the whole pool (0 without a pool).
            pub const POOL_BYTES: usize = #bytes;
            /// Alignment of every pool block (0 without a pool).
            pub const POOL_ALIGN: usize = #align;
        },
    );
    quote! {
        #(#attrs)*
        #vis static #ident: #ty = {
            #storage
            #pool_items
            ::rtio::Rtio::new(&STORAGE) #with_pool #with_clock
        };
        #twin
        #asserts
    }
}

/// `size` as a const generic argument, clamped into `lo..=hi` when it is a const expression.
fn clamp(size: &Size, lo: TokenStream, hi: TokenStream) -> TokenStream {
    match size {
        Size::Lit(_) => quote! { #size },
        Size::Const(_) => quote! {
            { let v: usize = #size; if v < #lo { #lo } else if v > #hi { #hi } else { v } }
        },
    }
}

/// The rules `check` applies to literal sizes, as `const` assertions for sizes given as const
/// expressions, each spanned on the expression.
fn const_asserts(c: &Context) -> TokenStream {
    let mut out = TokenStream::new();
    let mut assert = |e: &syn::Expr, cond: TokenStream, rule: &str, msg: &str, help: &str| {
        let text = format_rule(rule, msg, help);
        out.extend(quote_spanned! {e.span()=>
            const _: () = ::core::assert!(#cond, #text);
        });
    };
    let (sq, cq) = (&c.sq, &c.cq);
    if let Some(e) = sq.as_const() {
        assert(
            e,
            quote! { #sq > 0 },
            "define-zero-size",
            "`sq` (the number of submission entries) must not be 0",
            "give it at least 1",
        );
        assert(
            e,
            quote! { #sq <= 65534 },
            "define-too-large",
            "`sq` is more than 65534 entries",
            "use at most 65534",
        );
    }
    if let Some(e) = cq.as_const().or(sq.as_const()) {
        assert(
            e,
            quote! { #cq >= #sq },
            "define-cq-smaller-than-sq",
            "the completion side (`cq`) is smaller than the submission side (`sq`)",
            "every acquired entry reserves a completion cell (S9): make `cq` at least `sq`",
        );
    }
    if let Some(p) = &c.pool {
        let (blocks, bs) = (&p.blocks, &p.block_size);
        if let Some(e) = blocks.as_const() {
            assert(
                e,
                quote! { #blocks > 0 },
                "define-zero-size",
                "`blocks` (the number of pool blocks) must not be 0",
                "give it at least 1",
            );
            assert(
                e,
                quote! { #blocks <= 256 },
                "define-too-large",
                "`blocks` is more than a pool manages (256)",
                "use fewer, larger blocks",
            );
        }
        if let Some(e) = bs.as_const() {
            assert(
                e,
                quote! { #bs > 0 },
                "define-zero-size",
                "`block_size` must not be 0",
                "give it at least 1",
            );
            if let Some(align) = p.align {
                assert(
                    e,
                    quote! { #bs % #align == 0 },
                    "define-block-size-not-multiple-of-align",
                    "`block_size` is not a multiple of `align`: every block after the first would be misaligned",
                    "round `block_size` up to a multiple of `align`",
                );
            }
        }
    }
    out
}

/// The type-namespace twin of the static: a hidden empty struct of the same name whose
/// associated consts describe the context to `chain!`.
fn twin(vis: &syn::Visibility, ident: &syn::Ident, consts: TokenStream) -> TokenStream {
    let doc =
        format!("Compile-time description of the context `{ident}` (written by `#[rtio_define]`).");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #ident {}
        #[allow(dead_code)]
        impl #ident {
            #consts
        }
    }
}

/// What to emit after an error: a context with the right name (and a twin that satisfies every
/// `chain!` check), so that the user sees the one real message.
pub fn stub(target: &Target) -> TokenStream {
    match target {
        Target::Other { tokens, .. } => tokens.clone(),
        Target::Static(s) => {
            let (vis, ident) = (&s.vis, &s.ident);
            let ty = if super::check::is_rtio(&s.ty) {
                {
                    let t = &s.ty;
                    quote! { #t }
                }
            } else {
                quote! { ::rtio::Rtio }
            };
            let twin = twin(
                vis,
                ident,
                quote! {
                    pub const SQ: usize = usize::MAX;
                    pub const CQ: usize = usize::MAX;
                    pub const HAS_POOL: bool = true;
                    pub const POOL_BLOCKS: usize = usize::MAX;
                    pub const POOL_BLOCK_SIZE: usize = usize::MAX;
                    pub const POOL_BYTES: usize = usize::MAX;
                    pub const POOL_ALIGN: usize = 8;
                },
            );
            quote! {
                #vis static #ident: #ty = {
                    static STORAGE: ::rtio::Storage<1, 1> = ::rtio::Storage::new();
                    ::rtio::Rtio::new(&STORAGE)
                };
                #twin
            }
        }
    }
}
