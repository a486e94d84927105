//! Syntax of `chain!` and `transaction!`. Lenient: any `name(args)` parses as an operation and
//! any `.name(args)` as a modifier; `check` judges them, so that every mistake shows at once.
//!
//! ```text
//! chain!(CTX_EXPR: CONTEXT_PATH, [ item, .. ] [=> prepare | submit | run | wait])
//! item := op | transaction[ op, .. ]
//! op   := name(args..) [.modifier(args..)]*
//! ```

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Path, Token};

/// Which macro was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroKind {
    /// `chain!`: entries run one after the other.
    Chain,
    /// `transaction!`: every entry is a member of one bus transaction.
    Transaction,
}

/// A whole invocation.
pub struct Invocation {
    /// Which macro.
    pub kind: MacroKind,
    /// The owner-side expression and the path of the `#[rtio_define]` static; absent for the
    /// check-only entry point.
    pub ctx: Option<(Expr, Path)>,
    /// The entries.
    pub list: List,
    /// What to do once built: `prepare` (default), `submit`, `run`, `wait`.
    pub finish: Option<Ident>,
}

/// `[ item, .. ]`.
pub struct List {
    /// The whole bracketed group.
    pub span: Span,
    /// The items in order.
    pub items: Vec<Item>,
}

/// An entry, or a group of transaction members.
pub enum Item {
    /// One operation.
    Op(OpCall),
    /// `transaction[ .. ]`.
    Group {
        /// The `transaction` word.
        kw: Ident,
        /// The members.
        list: List,
    },
}

/// `name(args..)` with its modifiers.
pub struct OpCall {
    /// The operation's name.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Expr>,
    /// `.modifier(..)`s in order.
    pub mods: Vec<Modifier>,
}

/// `.name(args..)`.
pub struct Modifier {
    /// The modifier's name.
    pub name: Ident,
    /// Its arguments.
    pub args: Vec<Expr>,
}

impl Parse for List {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let bracket = syn::bracketed!(content in input);
        let items = Punctuated::<Item, Token![,]>::parse_terminated(&content)?;
        Ok(List {
            span: bracket.span.join(),
            items: items.into_iter().collect(),
        })
    }
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(syn::token::Bracket) {
            let kw: Ident = input.parse()?;
            if kw != "transaction" {
                return Err(syn::Error::new(
                    kw.span(),
                    format!("expected an operation or `transaction[..]`, found `{kw}[..]`\nhelp: write `transaction[ op, op ]` for a bus transaction"),
                ));
            }
            let list = input.parse()?;
            return Ok(Item::Group { kw, list });
        }
        Ok(Item::Op(input.parse()?))
    }
}

fn paren_args(input: ParseStream) -> syn::Result<Vec<Expr>> {
    let content;
    syn::parenthesized!(content in input);
    let list = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

impl Parse for OpCall {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `(` after the operation `{name}`\nhelp: operations are written like calls: `{name}(..)`"),
            ));
        }
        let args = paren_args(input)?;
        let mut mods = Vec::new();
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let name: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            let args = if input.peek(syn::token::Paren) {
                paren_args(input)?
            } else {
                Vec::new()
            };
            mods.push(Modifier { name, args });
        }
        Ok(OpCall { name, args, mods })
    }
}

/// Parses `CTX: PATH, [..] [=> finish] [,]`.
pub fn invocation(kind: MacroKind, input: ParseStream) -> syn::Result<Invocation> {
    let ctx: Expr = input.parse()?;
    input.parse::<Token![:]>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected `:` and the context's name after the owner expression\nhelp: write `chain!(ctx: SENSORS, [ .. ])`, where `SENSORS` is the #[rtio_define] static",
        )
    })?;
    let def: Path = input.parse()?;
    input.parse::<Token![,]>()?;
    let (list, finish) = rest(input)?;
    Ok(Invocation {
        kind,
        ctx: Some((ctx, def)),
        list,
        finish,
    })
}

/// Parses the check-only form: `chain|transaction [..] [=> finish]`.
pub fn check_only(input: ParseStream) -> syn::Result<Invocation> {
    let kw: Ident = input.parse()?;
    let kind = match kw.to_string().as_str() {
        "chain" => MacroKind::Chain,
        "transaction" => MacroKind::Transaction,
        _ => {
            return Err(syn::Error::new(
                kw.span(),
                "expected `chain` or `transaction`\nhelp: write `__check!(chain [ .. ])`",
            ))
        }
    };
    let (list, finish) = rest(input)?;
    Ok(Invocation {
        kind,
        ctx: None,
        list,
        finish,
    })
}

fn rest(input: ParseStream) -> syn::Result<(List, Option<Ident>)> {
    let list: List = input.parse()?;
    let finish = if input.peek(Token![=>]) {
        input.parse::<Token![=>]>()?;
        Some(input.parse()?)
    } else {
        None
    };
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    }
    Ok((list, finish))
}
