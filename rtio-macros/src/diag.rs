//! Diagnostics shared by every macro: rule-named, spanned, collected errors.
//!
//! Every user mistake becomes one [`syn::Error`] spanned on the token the user wrote, with a
//! lowercase message that names the rule and ends with a `help:` line. [`Errors`] collects them
//! so that one run reports all of them ([`syn::Error::combine`]).

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// A set of collected errors; empty means the input passed.
#[derive(Default)]
pub struct Errors {
    first: Option<syn::Error>,
}

impl Errors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a rule violation at `span`: `rule `{rule}`: {msg}` then a `help:` line.
    pub fn rule(&mut self, span: Span, rule: &str, msg: impl AsRef<str>, help: impl AsRef<str>) {
        self.push(syn::Error::new(span, format_rule(rule, msg, help)));
    }

    /// Like [`Errors::rule`], spanned on every token of `tokens`.
    pub fn rule_at(
        &mut self,
        tokens: &dyn ToTokens,
        rule: &str,
        msg: impl AsRef<str>,
        help: impl AsRef<str>,
    ) {
        self.push(syn::Error::new_spanned(
            tokens.to_token_stream(),
            format_rule(rule, msg, help),
        ));
    }

    /// Records a parse error (or any ready-made error).
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.first {
            Some(first) => first.combine(e),
            None => self.first = Some(e),
        }
    }

    /// Whether nothing was recorded.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// `Ok(())` when empty, else every error combined.
    pub fn finish(self) -> syn::Result<()> {
        match self.first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The text of a rule violation: names the rule, says what is wrong, ends with `help:`.
pub fn format_rule(rule: &str, msg: impl AsRef<str>, help: impl AsRef<str>) -> String {
    format!("rule `{rule}`: {}\nhelp: {}", msg.as_ref(), help.as_ref())
}

/// `compile_error!` tokens for `e`, followed by `stub` (items with the right names so that a
/// mistake gives one message, not a cascade).
pub fn with_stub(e: syn::Error, stub: TokenStream) -> TokenStream {
    let mut out = e.to_compile_error();
    out.extend(stub);
    out
}

/// The source text of `t` with spacing normalised, for messages and comparisons.
pub fn text(t: &dyn ToTokens) -> String {
    let s = t.to_token_stream().to_string();
    // `a :: b` -> `a::b`, `& x` -> `&x`: close enough to what the user wrote.
    s.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace("& ", "&")
        .replace(" . ", ".")
        .replace(" (", "(")
        .replace(" [", "[")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collected_errors_keep_every_message() {
        let mut e = Errors::new();
        assert!(e.is_empty());
        e.rule(Span::call_site(), "a", "first", "fix a");
        e.rule(Span::call_site(), "b", "second", "fix b");
        let err = e.finish().unwrap_err();
        let all: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            all,
            [
                "rule `a`: first\nhelp: fix a",
                "rule `b`: second\nhelp: fix b"
            ]
        );
    }

    #[test]
    fn text_reads_like_source() {
        let p: syn::Expr = syn::parse_quote!(crate::dev::TEMP);
        assert_eq!(text(&p), "crate::dev::TEMP");
        let r: syn::Expr = syn::parse_quote!(&mut buf);
        assert_eq!(text(&r), "&mut buf");
    }
}
