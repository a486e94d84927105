//! From checked arguments to the context's model: the sizes the code generator needs.

use super::parse::{Arg, Args, StaticItem, Target, Value};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Attribute, Expr, Ident, Visibility};

/// A context to generate.
pub struct Context {
    /// Attributes kept from the user's static.
    pub attrs: Vec<Attribute>,
    /// Its visibility, shared by the type-namespace twin.
    pub vis: Visibility,
    /// Its name.
    pub ident: Ident,
    /// The type as the user wrote it (`Rtio`, `rtio::Rtio`), so their import stays used.
    pub ty: syn::Type,
    /// Submission entries.
    pub sq: Size,
    /// Completion cells.
    pub cq: Size,
    /// The memory pool, if declared.
    pub pool: Option<Pool>,
    /// A clock static, if given.
    pub clock: Option<Expr>,
}

/// A size: a literal (checked by `check`) or a const expression (checked by assertions
/// that codegen emits).
#[derive(Clone)]
pub enum Size {
    /// An integer literal.
    Lit(usize),
    /// A const expression, e.g. `CONFIG_SQ`.
    Const(Expr),
}

impl Size {
    /// The const expression, if this size is one.
    pub fn as_const(&self) -> Option<&Expr> {
        match self {
            Size::Const(e) => Some(e),
            Size::Lit(_) => None,
        }
    }
}

impl ToTokens for Size {
    fn to_tokens(&self, out: &mut TokenStream) {
        match self {
            Size::Lit(v) => proc_macro2::Literal::usize_unsuffixed(*v).to_tokens(out),
            // A block: valid both as a const generic argument and as an expression.
            Size::Const(e) => quote! { { #e } }.to_tokens(out),
        }
    }
}

/// A memory pool's geometry.
pub struct Pool {
    /// Number of blocks.
    pub blocks: Size,
    /// Bytes per block.
    pub block_size: Size,
    /// The alignment the user asked for (a literal), if any.
    pub align: Option<usize>,
}

impl Pool {
    /// Alignment above the runtime's 8 bytes, which needs a wrapper.
    pub fn extra_align(&self) -> Option<usize> {
        self.align.filter(|&a| a > RUNTIME_ALIGN)
    }
}

/// The runtime's `PoolStorage` alignment.
pub const RUNTIME_ALIGN: usize = 8;

fn find<'a>(args: &'a [Arg], key: &str) -> Option<&'a Arg> {
    args.iter().find(|a| a.key == key)
}

fn int(args: &[Arg], key: &str) -> Option<usize> {
    match &find(args, key)?.value {
        Value::Expr(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(l),
            ..
        })) => l.base10_parse().ok(),
        _ => None,
    }
}

fn size(args: &[Arg], key: &str) -> Option<Size> {
    match &find(args, key)?.value {
        Value::Expr(Expr::Lit(_)) => int(args, key).map(Size::Lit),
        Value::Expr(e) => Some(Size::Const(e.clone())),
        _ => None,
    }
}

/// Builds the model. Only called after `check` passed, so every value is present and valid.
pub fn analyze(args: &Args, target: &Target) -> Context {
    let Target::Static(item) = target else {
        unreachable!("check refuses items that are not statics")
    };
    let StaticItem {
        attrs,
        vis,
        ident,
        ty,
        ..
    } = &**item;
    let sq = size(&args.args, "sq").unwrap_or(Size::Lit(1));
    let cq = size(&args.args, "cq").unwrap_or_else(|| sq.clone());
    let pool = match find(&args.args, "mempool").map(|a| &a.value) {
        Some(Value::List(inner)) => Some(Pool {
            blocks: size(inner, "blocks").unwrap_or(Size::Lit(1)),
            block_size: size(inner, "block_size").unwrap_or(Size::Lit(1)),
            align: int(inner, "align"),
        }),
        _ => None,
    };
    let clock = match find(&args.args, "clock").map(|a| &a.value) {
        Some(Value::Expr(e)) => Some(e.clone()),
        _ => None,
    };
    Context {
        attrs: attrs.clone(),
        vis: vis.clone(),
        ident: ident.clone(),
        ty: ty.clone(),
        sq,
        cq,
        pool,
        clock,
    }
}
