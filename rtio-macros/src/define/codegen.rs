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

use super::analyze::Context;
use super::parse::Target;
use proc_macro2::TokenStream;
use quote::quote;

/// The whole expansion.
pub fn context(c: &Context) -> TokenStream {
    let Context {
        attrs,
        vis,
        ident,
        ty,
        ..
    } = c;
    let (sq, cq) = (c.sq, c.cq);
    let storage = quote! {
        static STORAGE: ::rtio::Storage<#sq, #cq> = ::rtio::Storage::new();
    };
    let (pool_items, with_pool) = match &c.pool {
        None => (quote! {}, quote! {}),
        Some(p) => {
            let (blocks, bs) = (p.blocks, p.block_size);
            let items = match p.align {
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
    let (blocks, bs, align) = c.pool.as_ref().map_or((0, 0, 0), |p| {
        (
            p.blocks,
            p.block_size,
            p.align.unwrap_or(super::analyze::RUNTIME_ALIGN),
        )
    });
    let bytes = blocks * bs;
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
    }
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
