//! From checked arguments to the context's model: the sizes the code generator needs.

use super::parse::{Arg, Args, StaticItem, Target, Value};
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
    pub sq: usize,
    /// Completion cells.
    pub cq: usize,
    /// The memory pool, if declared.
    pub pool: Option<Pool>,
    /// A clock static, if given.
    pub clock: Option<Expr>,
}

/// A memory pool's geometry.
pub struct Pool {
    /// Number of blocks.
    pub blocks: usize,
    /// Bytes per block.
    pub block_size: usize,
    /// Requested alignment of every block, if above the runtime's 8 bytes.
    pub align: Option<usize>,
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
    let sq = int(&args.args, "sq").unwrap_or(1);
    let cq = int(&args.args, "cq").unwrap_or(sq);
    let pool = match find(&args.args, "mempool").map(|a| &a.value) {
        Some(Value::List(inner)) => Some(Pool {
            blocks: int(inner, "blocks").unwrap_or(1),
            block_size: int(inner, "block_size").unwrap_or(1),
            align: int(inner, "align").filter(|&a| a > RUNTIME_ALIGN),
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
