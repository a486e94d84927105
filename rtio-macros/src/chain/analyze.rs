//! From a checked invocation to the plan the code generator follows: the entries in order,
//! how each links to the next, the chain length `N`, and which compile-time assertions the
//! context must pass.

use super::check::{flatten, literal_len};
use super::ops::OpKind;
use super::parse::{Invocation, Modifier, OpCall};
use crate::diag::Errors;
use proc_macro2::Span;
use syn::{Expr, Ident, LitInt, Path};

/// What the generator emits.
pub struct Plan<'a> {
    /// The owner-side expression and the context's path.
    pub ctx: Option<(&'a Expr, &'a Path)>,
    /// Entries in order.
    pub entries: Vec<Entry<'a>>,
    /// The `[..]` of the invocation, where length errors point.
    pub list_span: Span,
    /// `prepare`, `submit`, `run` or `wait`.
    pub finish: Ident,
    /// Pool reads: where they are written, and a literal minimum size if there is one.
    pub pool_reads: Vec<(Span, Option<&'a LitInt>)>,
    /// Whether any entry reads into a caller buffer (needs the mutable-buffer check).
    pub reads_into_buffers: bool,
    /// Whether any tiny write has data that is not a literal (checked by type instead).
    pub tiny_data_by_type: bool,
    /// Whether any tiny write is present (the macro's TINY_MAX must match the runtime's).
    pub has_tiny_writes: bool,
}

/// One entry.
pub struct Entry<'a> {
    /// The operation.
    pub kind: OpKind,
    /// As written.
    pub op: &'a OpCall,
    /// A pool read turned multishot by `.multishot()`.
    pub multishot: bool,
    /// Modifiers other than `multishot`, in order.
    pub mods: Vec<&'a Modifier>,
    /// The next entry joins this one's bus transaction.
    pub joins_next: bool,
}

fn lit_int(e: &Expr) -> Option<&LitInt> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(l),
            ..
        }) => Some(l),
        _ => None,
    }
}

/// Builds the plan. Only called after `check` passed.
pub fn analyze(inv: &Invocation) -> Plan<'_> {
    let mut unused = Errors::new(); // check already reported everything flatten finds
    let flat = flatten(inv, &mut unused);
    let mut entries = Vec::with_capacity(flat.len());
    let mut pool_reads = Vec::new();
    let mut reads_into_buffers = false;
    let mut tiny_data_by_type = false;
    let mut has_tiny_writes = false;
    for (i, f) in flat.iter().enumerate() {
        let kind = f.kind.unwrap_or(OpKind::Nop);
        let joins_next = match (f.group, flat.get(i + 1).and_then(|n| n.group)) {
            (Some((g, ..)), Some((h, ..))) => g == h,
            _ => false,
        };
        if kind.is_pool() {
            pool_reads.push((f.op.name.span(), f.op.args.get(1).and_then(lit_int)));
        }
        reads_into_buffers |= matches!(kind, OpKind::Read | OpKind::Transceive);
        if kind == OpKind::TinyWrite {
            has_tiny_writes = true;
            tiny_data_by_type |= f.op.args.get(1).is_some_and(|d| literal_len(d).is_none());
        }
        entries.push(Entry {
            kind,
            op: f.op,
            multishot: f.op.mods.iter().any(|m| m.name == "multishot"),
            mods: f.op.mods.iter().filter(|m| m.name != "multishot").collect(),
            joins_next,
        });
    }
    Plan {
        ctx: inv.ctx.as_ref().map(|(e, p)| (e, p)),
        entries,
        list_span: inv.list.span,
        finish: inv
            .finish
            .clone()
            .unwrap_or_else(|| Ident::new("prepare", inv.list.span)),
        pool_reads,
        reads_into_buffers,
        tiny_data_by_type,
        has_tiny_writes,
    }
}
