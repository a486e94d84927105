//! Syntax of `#[rtio_define(..)]` and of the item it sits on. Lenient: values and keys are
//! judged in `check`, so that every mistake is reported in one run.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, Token, Type, Visibility};

/// The attribute arguments: `key = value` and `key(nested, ..)`, comma separated.
pub struct Args {
    /// In source order.
    pub args: Vec<Arg>,
}

/// One argument.
pub struct Arg {
    /// The key as written.
    pub key: Ident,
    /// What follows it.
    pub value: Value,
}

/// What follows a key.
pub enum Value {
    /// `key = expr`.
    Expr(Expr),
    /// `key(a = 1, ..)`.
    List(Vec<Arg>),
    /// A bare `key`.
    Flag,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let list = Punctuated::<Arg, Token![,]>::parse_terminated(input)?;
        Ok(Args {
            args: list.into_iter().collect(),
        })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Value::Expr(input.parse()?)
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let inner = Punctuated::<Arg, Token![,]>::parse_terminated(&content)?;
            Value::List(inner.into_iter().collect())
        } else {
            Value::Flag
        };
        Ok(Arg { key, value })
    }
}

/// The annotated item.
pub enum Target {
    /// `static NAME: Rtio;` (possibly with mistakes that `check` reports).
    Static(Box<StaticItem>),
    /// Anything else: the keyword that names its kind, and the item unchanged.
    Other {
        /// `fn`, `const`, `struct`, ...
        kind: String,
        /// Where to point.
        span: Span,
        /// The item as written, re-emitted so that its name still resolves.
        tokens: TokenStream,
    },
}

/// `#[attrs] vis static [mut] NAME: Type [= init];`
pub struct StaticItem {
    /// Outer attributes (docs, `link_section`, ..), kept.
    pub attrs: Vec<Attribute>,
    /// Kept as written.
    pub vis: Visibility,
    /// A `mut`, which `check` refuses.
    pub mutability: Option<Token![mut]>,
    /// The context's name.
    pub ident: Ident,
    /// The declared type, which must be `Rtio`.
    pub ty: Type,
    /// An initializer, which `check` refuses (the macro writes it).
    pub init: Option<Expr>,
}

impl Parse for Target {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let fork = input.fork();
        let attrs = fork.call(Attribute::parse_outer)?;
        let vis: Visibility = fork.parse()?;
        if !fork.peek(Token![static]) {
            let tokens: TokenStream = input.parse()?;
            let (kind, span) = match fork.parse::<proc_macro2::TokenTree>() {
                Ok(t) => (t.to_string(), t.span()),
                Err(_) => ("nothing".to_string(), Span::call_site()),
            };
            return Ok(Target::Other { kind, span, tokens });
        }
        let _ = input.call(Attribute::parse_outer)?;
        let _: Visibility = input.parse()?;
        input.parse::<Token![static]>()?;
        let mutability = input.parse()?;
        let ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        let init = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        input.parse::<Token![;]>()?;
        Ok(Target::Static(Box::new(StaticItem {
            attrs,
            vis,
            mutability,
            ident,
            ty,
            init,
        })))
    }
}
