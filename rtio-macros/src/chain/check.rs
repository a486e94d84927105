//! Every syntax-level rule of `chain!`/`transaction!`, checked before anything is generated.
//! Rules that need types or the context's sizes are emitted by `codegen` as trait bounds and
//! `const` assertions; the runtime's capability traits carry their own messages.

use super::ops::{modifier_names, op_names, OpKind, MODIFIERS};
use super::parse::{Invocation, Item, List, MacroKind, OpCall};
use crate::diag::{text, Errors};
use syn::Expr;

/// Largest TINY_WRITE payload (`rtio::TINY_MAX`).
pub const TINY_MAX: usize = 15;

/// Ways to finish a chain.
pub const FINISHES: &[&str] = &["prepare", "submit", "run", "wait", "wait_scoped"];

/// `=> wait_scoped`: the chain runs on borrowed buffers inside a scope (`rtio::Scope::chain`)
/// and the call blocks until every entry completed. The operations and modifiers it offers.
pub const SCOPED_OPS: &[OpKind] = &[
    OpKind::Read,
    OpKind::Write,
    OpKind::TinyWrite,
    OpKind::Transceive,
    OpKind::Delay,
    OpKind::LinkTimeout,
];

/// Modifiers `=> wait_scoped` offers.
pub const SCOPED_MODIFIERS: &[&str] = &["hardlink"];

/// Whether the invocation finishes with `=> wait_scoped`.
pub fn is_scoped(inv: &Invocation) -> bool {
    inv.finish.as_ref().is_some_and(|f| f == "wait_scoped")
}

/// One entry with its place in the chain.
pub struct Flat<'a> {
    /// The operation as written.
    pub op: &'a OpCall,
    /// What it is, when the name is known.
    pub kind: Option<OpKind>,
    /// Transaction group: (group number, index in the group, group length).
    pub group: Option<(usize, usize, usize)>,
}

/// Flattens the items into entries; reports empty and nested groups.
pub fn flatten<'a>(inv: &'a Invocation, e: &mut Errors) -> Vec<Flat<'a>> {
    let mut out = Vec::new();
    let mut groups = 0;
    let mut push_group = |list: &'a List, out: &mut Vec<Flat<'a>>, e: &mut Errors| {
        let id = groups;
        groups += 1;
        let ops: Vec<&OpCall> = list
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Op(op) => Some(op),
                Item::Group { kw, .. } => {
                    e.rule(
                        kw.span(),
                        "nested-transaction",
                        "a bus transaction cannot contain another transaction",
                        "list the members directly: `transaction[ op, op ]`",
                    );
                    None
                }
            })
            .collect();
        let len = ops.len();
        for (i, op) in ops.into_iter().enumerate() {
            out.push(Flat {
                op,
                kind: OpKind::from_name(&op.name.to_string()),
                group: Some((id, i, len)),
            });
        }
    };
    match inv.kind {
        MacroKind::Transaction => push_group(&inv.list, &mut out, e),
        MacroKind::Chain => {
            for item in &inv.list.items {
                match item {
                    Item::Op(op) => out.push(Flat {
                        op,
                        kind: OpKind::from_name(&op.name.to_string()),
                        group: None,
                    }),
                    Item::Group { list, .. } => {
                        if list.items.is_empty() {
                            e.rule(
                                list.span,
                                "empty-chain",
                                "this transaction has no members",
                                "add the operations of the bus transaction, or remove `transaction[]`",
                            );
                        }
                        push_group(list, &mut out, e);
                    }
                }
            }
        }
    }
    out
}

/// Runs every syntax-level rule; collects all violations.
pub fn check(inv: &Invocation) -> syn::Result<()> {
    let mut e = Errors::new();
    if let Some(f) = &inv.finish {
        if !FINISHES.iter().any(|n| f == n) {
            e.rule(
                f.span(),
                "unknown-finish",
                format!("unknown way to finish a chain: `{f}`"),
                "use `=> prepare` (the default), `=> submit`, `=> run` (a future), `=> wait` (blocks) or `=> wait_scoped` (blocks, on borrowed buffers)",
            );
        }
    }
    if inv.list.items.is_empty() {
        let what = match inv.kind {
            MacroKind::Chain => "a chain needs at least one operation",
            MacroKind::Transaction => "a transaction needs at least one operation",
        };
        e.rule(
            inv.list.span,
            "empty-chain",
            what,
            "add an operation such as `read(iodev, buffer)`, or remove the macro call",
        );
        return e.finish();
    }
    let flat = flatten(inv, &mut e);
    let awaited = inv
        .finish
        .as_ref()
        .is_some_and(|f| f == "run" || f == "wait" || f == "wait_scoped");
    let scoped = is_scoped(inv);
    for (i, f) in flat.iter().enumerate() {
        op_rules(f, scoped, &mut e);
        position_rules(&flat, i, awaited, &mut e);
    }
    transaction_rules(&flat, &mut e);
    e.finish()
}

fn op_rules(f: &Flat, scoped: bool, e: &mut Errors) {
    let op = f.op;
    let Some(kind) = f.kind else {
        e.rule(
            op.name.span(),
            "unknown-op",
            format!("`{}` is not an rtio operation", op.name),
            format!("use one of {}", op_names()),
        );
        return;
    };
    if op.args.len() != kind.params().len() {
        e.rule(
            op.name.span(),
            "wrong-arguments",
            format!(
                "`{}` takes {} argument(s), not {}",
                op.name,
                kind.params().len(),
                op.args.len()
            ),
            format!("write `{}`", kind.signature()),
        );
        return;
    }
    let mut seen: Vec<String> = Vec::new();
    for m in &op.mods {
        let name = m.name.to_string();
        match MODIFIERS.iter().find(|(n, _)| *n == name) {
            None => e.rule(
                m.name.span(),
                "unknown-modifier",
                format!("`.{name}(..)` is not a modifier of an rtio operation"),
                format!("use one of {}", modifier_names()),
            ),
            Some((_, arity)) if m.args.len() != *arity => e.rule(
                m.name.span(),
                "wrong-arguments",
                format!("`.{name}` takes {arity} argument(s), not {}", m.args.len()),
                format!(
                    "write `.{name}({})`",
                    if *arity == 0 { "" } else { "value" }
                ),
            ),
            Some(_) if seen.contains(&name) => e.rule(
                m.name.span(),
                "duplicate-modifier",
                format!("`.{name}(..)` is given twice on `{}`", op.name),
                "keep one of them",
            ),
            Some(_) => seen.push(name),
        }
    }
    if scoped {
        scoped_rules(kind, op, e);
    }
    buffer_rules(kind, op, scoped, e);
    // On borrowed buffers a tiny write is a write of the caller's bytes: no inline limit.
    if kind == OpKind::TinyWrite && !scoped {
        if let Some(n) = literal_len(&op.args[1]) {
            if n > TINY_MAX {
                e.rule_at(
                    &op.args[1],
                    "tiny-write-too-long",
                    format!("`tiny_write` data is {n} bytes, but an entry holds at most {TINY_MAX} (`rtio::TINY_MAX`)"),
                    "use `write(iodev, buffer)` with a `'static` buffer for longer data",
                );
            }
        }
    }
    if kind == OpKind::SpiConfigure {
        if let Some(mode) = int_literal(&op.args[2]) {
            if mode > 3 {
                e.rule_at(
                    &op.args[2],
                    "spi-mode-out-of-range",
                    format!("SPI mode {mode} does not exist"),
                    "use a mode from 0 to 3 (CPOL << 1 | CPHA)",
                );
            }
        }
    }
    for m in &op.mods {
        if m.name == "multishot" && !matches!(kind, OpKind::ReadPool | OpKind::ReadMultishot) {
            let (msg, help) = if kind == OpKind::Read {
                (
                    "multishot needs a pool buffer for every shot, but `read` brings its own buffer".to_string(),
                    "use `read_multishot(iodev, min, preferred)` on a context with a mempool",
                )
            } else {
                (
                    format!("multishot applies only to pool reads, not to `{}`", op.name),
                    "use `read_multishot(iodev, min, preferred)` to stream a device",
                )
            };
            e.rule(m.name.span(), "multishot-not-pool-read", msg, help);
        }
        if m.name == "no_response" && kind.owns_buffer() {
            e.rule(
                m.name.span(),
                "no-response-with-buffer",
                format!(
                    "`{}` holds a buffer that its completion hands back (S3); `.no_response()` would lose it",
                    op.name
                ),
                "remove `.no_response()`: it is for entries without buffers (`tiny_write`, `nop`, `delay`, ..)",
            );
        }
    }
}

/// `=> wait_scoped` builds an `rtio::ScopedChain`, which offers fewer operations.
fn scoped_rules(kind: OpKind, op: &OpCall, e: &mut Errors) {
    let offered = || {
        let ops: Vec<String> = SCOPED_OPS
            .iter()
            .map(|k| format!("`{}`", k.name()))
            .collect();
        format!(
            "on borrowed buffers a chain offers {} and `.hardlink()`; use `=> wait` with `'static` buffers for the rest",
            ops.join(", ")
        )
    };
    if !SCOPED_OPS.contains(&kind) {
        e.rule(
            op.name.span(),
            "not-on-borrowed-buffers",
            format!(
                "`{}` is not available in a chain on borrowed buffers (`=> wait_scoped`)",
                op.name
            ),
            offered(),
        );
    }
    for m in &op.mods {
        let name = m.name.to_string();
        if MODIFIERS.iter().any(|(n, _)| *n == name) && !SCOPED_MODIFIERS.contains(&name.as_str()) {
            e.rule(
                m.name.span(),
                "not-on-borrowed-buffers",
                format!("`.{name}(..)` is not available in a chain on borrowed buffers (`=> wait_scoped`)"),
                offered(),
            );
        }
    }
}

/// The buffer arguments: (index, whether it is read into).
fn buffers(kind: OpKind) -> &'static [(usize, bool)] {
    match kind {
        OpKind::Read => &[(1, true)],
        OpKind::Write => &[(1, false)],
        OpKind::Transceive => &[(1, false), (2, true)],
        _ => &[],
    }
}

fn buffer_rules(kind: OpKind, op: &OpCall, scoped: bool, e: &mut Errors) {
    for &(i, read_into) in buffers(kind) {
        let arg = &op.args[i];
        let Expr::Reference(r) = arg else { continue };
        if read_into && r.mutability.is_none() {
            e.rule_at(
                arg,
                "read-into-immutable",
                format!(
                    "`{}` writes into its buffer, but `{}` is a shared reference",
                    op.name,
                    text(arg)
                ),
                "pass a `&'static mut [u8]` buffer",
            );
        } else if !scoped && borrows_local(&r.expr) {
            e.rule_at(
                arg,
                "buffer-not-static",
                format!(
                    "`{}` borrows a local, but `{}` owns its buffer until its completion, which may come after this function returned",
                    text(arg),
                    op.name
                ),
                "use a `'static` buffer (`rtio::StaticBuf`, `Box::leak`), or finish with `=> wait_scoped` to lend a local buffer to a blocking chain",
            );
        }
    }
}

/// `x` or `x[..]` where `x` is a lowercase single-segment name: a local variable.
fn borrows_local(e: &Expr) -> bool {
    match e {
        Expr::Path(p) => {
            p.qself.is_none()
                && p.path.segments.len() == 1
                && p.path.segments[0]
                    .ident
                    .to_string()
                    .starts_with(|c: char| c.is_lowercase() || c == '_')
        }
        Expr::Index(i) => borrows_local(&i.expr),
        Expr::Paren(p) => borrows_local(&p.expr),
        _ => false,
    }
}

fn int_literal(e: &Expr) -> Option<u64> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(l),
            ..
        }) => l.base10_parse().ok(),
        _ => None,
    }
}

/// Length of literal data: `[a, b]`, `[0; 4]`, `b"..."`, and references to those.
pub fn literal_len(e: &Expr) -> Option<usize> {
    match e {
        Expr::Array(a) => Some(a.elems.len()),
        Expr::Repeat(r) => int_literal(&r.len).map(|n| n as usize),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::ByteStr(b),
            ..
        }) => Some(b.value().len()),
        Expr::Reference(r) => literal_len(&r.expr),
        Expr::Paren(p) => literal_len(&p.expr),
        _ => None,
    }
}

fn position_rules(flat: &[Flat], i: usize, awaited: bool, e: &mut Errors) {
    let f = &flat[i];
    let Some(kind) = f.kind else { return };
    let is_multishot =
        kind == OpKind::ReadMultishot || f.op.mods.iter().any(|m| m.name == "multishot");
    if is_multishot && flat.len() > 1 {
        let msg = if f.group.is_some() {
            "a multishot read cannot be a member of a bus transaction"
        } else {
            "a multishot read keeps producing completions, so it must be the only entry of its chain"
        };
        e.rule(
            f.op.name.span(),
            "multishot-in-chain",
            msg,
            "submit it on its own: `chain!(ctx: CONTEXT, [ read_multishot(iodev, min, preferred) ])`",
        );
    }
    if kind == OpKind::WritePrevious {
        // Mirrors `rtio::Chain::write_previous`: the nearest earlier entry that is a READ,
        // with a caller buffer, not followed by a member of its own transaction.
        let read = flat[..i].iter().rposition(|p| {
            matches!(
                p.kind,
                Some(OpKind::Read | OpKind::ReadPool | OpKind::ReadMultishot)
            )
        });
        let why = match read.map(|r| (r, &flat[r])) {
            None => Some((
                "`write_previous` writes the buffer of an earlier `read`, but no `read` comes before it",
                "put a `read(iodev, buffer)` earlier in the same chain",
            )),
            Some((_, p)) if p.kind != Some(OpKind::Read) || p.op.mods.iter().any(|m| m.name == "multishot") => Some((
                "`write_previous` takes the caller buffer of the nearest earlier `read`, but that read uses pool buffers",
                "read into a `'static` buffer with `read(iodev, buffer)`",
            )),
            Some((_, p)) if matches!(p.group, Some((_, j, len)) if j + 1 < len) => Some((
                "the `read` whose buffer `write_previous` takes is followed by a member of its own transaction",
                "make the read the last member of its `transaction[..]`, or take it out",
            )),
            _ => None,
        };
        if let Some((msg, help)) = why {
            e.rule(f.op.name.span(), "write-previous-without-read", msg, help);
        }
    }
    if kind == OpKind::LinkTimeout {
        let why = if let Some((_, _, _)) = f.group {
            Some((
                "a `link_timeout` cannot be a member of a bus transaction",
                "put it after the `transaction[..]` group to bound its last member",
            ))
        } else if i == 0 {
            Some((
                "a `link_timeout` bounds the operation before it, but it comes first",
                "put it right after the operation it bounds",
            ))
        } else if flat[i - 1].kind == Some(OpKind::LinkTimeout) {
            Some((
                "a `link_timeout` follows another `link_timeout`, not an operation",
                "keep one timeout per operation",
            ))
        } else {
            None
        };
        if let Some((msg, help)) = why {
            e.rule(
                f.op.name.span(),
                "link-timeout-without-operation",
                msg,
                help,
            );
        }
    }
    for m in &f.op.mods {
        if m.name == "hardlink" {
            let last = i + 1 == flat.len();
            let inside = matches!(f.group, Some((_, j, len)) if j + 1 < len);
            if last || inside {
                let msg = if last {
                    "`.hardlink()` links to the next entry, but nothing follows it"
                } else {
                    "`.hardlink()` links to the next chain entry, but the next entry is a member of the same transaction"
                };
                e.rule(
                    m.name.span(),
                    "hardlink-without-successor",
                    msg,
                    "remove `.hardlink()`, or put it on an entry that another entry follows",
                );
            }
        }
        if m.name == "no_response" && awaited {
            e.rule(
                m.name.span(),
                "no-response-awaited",
                "this entry posts no completion, but `=> run`/`=> wait` waits for every entry's completion",
                "finish with `=> prepare` or `=> submit`, or remove `.no_response()`",
            );
        }
    }
}

fn transaction_rules(flat: &[Flat], e: &mut Errors) {
    let mut head: Option<(usize, &Expr)> = None;
    for f in flat {
        let Some((group, _, _)) = f.group else {
            continue;
        };
        let Some(kind) = f.kind else { continue };
        if kind == OpKind::LinkTimeout {
            continue; // reported by its own rule
        }
        if !kind.has_iodev() || f.op.args.is_empty() {
            e.rule(
                f.op.name.span(),
                "transaction-member-without-iodev",
                format!(
                    "`{}` has no iodev, so it cannot be a member of a bus transaction",
                    f.op.name
                ),
                "move it before or after the transaction",
            );
            continue;
        }
        let dev = &f.op.args[0];
        match head {
            Some((g, h)) if g == group => {
                if text(h) != text(dev) {
                    e.rule_at(
                        dev,
                        "transaction-across-iodevs",
                        format!(
                            "this transaction member targets `{}`, but the transaction runs on `{}`",
                            text(dev),
                            text(h)
                        ),
                        "a bus transaction stays on one iodev (S5): end the transaction and chain a new one",
                    );
                }
            }
            _ => head = Some((group, dev)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(src: &str) -> Vec<String> {
        let inv = syn::parse::Parser::parse_str(super::super::parse::check_only, src).unwrap();
        match check(&inv) {
            Ok(()) => Vec::new(),
            Err(e) => e
                .into_iter()
                .map(|e| {
                    let s = e.to_string();
                    s.split('`').nth(1).unwrap().to_string()
                })
                .collect(),
        }
    }

    #[test]
    fn write_previous_needs_a_caller_buffer_read_before_it() {
        assert!(rules("chain [ read(TEMP, rx), write_previous(CARD) ]").is_empty());
        assert!(rules(
            "chain [ tiny_write(TEMP, [0]), read(TEMP, rx), transaction[ tiny_write(CARD, [1]), write_previous(CARD) ] ]"
        )
        .is_empty());
        for src in [
            "chain [ write_previous(CARD) ]",
            "chain [ tiny_write(TEMP, [0]), write_previous(CARD) ]",
            "chain [ read_pool(TEMP, 2, 2), write_previous(CARD) ]",
            "chain [ transaction[ read(TEMP, rx), tiny_write(TEMP, [0]) ], write_previous(CARD) ]",
        ] {
            assert_eq!(rules(src), ["write-previous-without-read"], "{src}");
        }
    }

    #[test]
    fn a_valid_chain_passes() {
        assert!(rules("chain [ tiny_write(TEMP, [0x00]), read(TEMP, rx).userdata(1) ]").is_empty());
        assert!(rules("chain [ transaction[ tiny_write(TEMP, [0]), read(TEMP, rx) ], link_timeout(D) ] => submit").is_empty());
        assert!(rules("chain [ read_multishot(MIC, 32, 64) ] => prepare").is_empty());
        assert!(rules("transaction [ write(LCD, FRAME), write(LCD, FRAME2) ]").is_empty());
    }

    #[test]
    fn wait_scoped_lends_local_buffers_and_long_tiny_writes() {
        assert!(rules("chain [ write(A, &reg), read(A, &mut rx) ] => wait_scoped").is_empty());
        assert!(rules("chain [ tiny_write(A, [0; 64]) ] => wait_scoped").is_empty());
        assert_eq!(
            rules("chain [ read(A, &mut rx) ] => wait"),
            ["buffer-not-static"]
        );
    }

    #[test]
    fn each_syntax_rule_is_named() {
        let cases: &[(&str, &str)] = &[
            ("chain []", "empty-chain"),
            ("chain [ transaction[] ]", "empty-chain"),
            ("chain [ nop() ] => wait_scoped", "not-on-borrowed-buffers"),
            (
                "chain [ read(A, &mut rx).priority(P) ] => wait_scoped",
                "not-on-borrowed-buffers",
            ),
            (
                "transaction [ read(A, rx), read(B, ry) ]",
                "transaction-across-iodevs",
            ),
            ("chain [ tiny_write(A, [0; 16]) ]", "tiny-write-too-long"),
            (
                "chain [ tiny_write(A, b\"0123456789abcdef\") ]",
                "tiny-write-too-long",
            ),
            (
                "chain [ write(A, FRAME).multishot() ]",
                "multishot-not-pool-read",
            ),
            (
                "chain [ read(A, RX).multishot() ]",
                "multishot-not-pool-read",
            ),
            (
                "chain [ nop(), read_multishot(A, 1, 2) ]",
                "multishot-in-chain",
            ),
            (
                "chain [ link_timeout(D), read(A, RX) ]",
                "link-timeout-without-operation",
            ),
            (
                "chain [ read(A, RX), link_timeout(D), link_timeout(D) ]",
                "link-timeout-without-operation",
            ),
            ("chain [ read(A, &mut buf) ]", "buffer-not-static"),
            ("chain [ read(A, &RX) ]", "read-into-immutable"),
            (
                "chain [ read(A, RX).no_response() ]",
                "no-response-with-buffer",
            ),
            (
                "chain [ tiny_write(A, [1]).no_response() ] => wait",
                "no-response-awaited",
            ),
            ("chain [ frobnicate(A) ]", "unknown-op"),
            ("chain [ read(A) ]", "wrong-arguments"),
            ("chain [ nop().sparkle() ]", "unknown-modifier"),
            (
                "chain [ nop().userdata(1).userdata(2) ]",
                "duplicate-modifier",
            ),
            ("chain [ nop() ] => later", "unknown-finish"),
            (
                "transaction [ read(A, RX), delay(D) ]",
                "transaction-member-without-iodev",
            ),
            (
                "chain [ transaction[ transaction[ nop() ] ] ]",
                "nested-transaction",
            ),
            (
                "chain [ spi_configure(A, 1000, 4) ]",
                "spi-mode-out-of-range",
            ),
            (
                "chain [ read(A, RX).hardlink() ]",
                "hardlink-without-successor",
            ),
        ];
        for (src, rule) in cases {
            assert_eq!(rules(src), [*rule], "{src}");
        }
    }

    #[test]
    fn every_mistake_is_reported_in_one_run() {
        let r =
            rules("chain [ link_timeout(D), tiny_write(A, [0; 20]), read(A, RX).no_response() ]");
        assert_eq!(
            r,
            [
                "link-timeout-without-operation",
                "tiny-write-too-long",
                "no-response-with-buffer"
            ]
        );
    }
}
