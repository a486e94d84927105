//! `devicetree!("boards/app.dts")`: runs rtio-devicetree at expansion time (parse -> check
//! -> analyze -> codegen, as one function each below).
//!
//! * parse: one string literal, the path of a `.dts` or `.toml` file, then optionally
//!   `drivers { "compatible" => Type = init, .. }` and `used [label, ..]`;
//! * check: the file exists, relative to `CARGO_MANIFEST_DIR` (like a build script), else to
//!   the directory of the source file that calls the macro (like `include_str!`);
//! * analyze: `rtio_devicetree::generate_from_file` checks the tree and writes the Rust;
//! * codegen: the generated items, plus `const _: &[u8] = include_bytes!(..)` for every file
//!   read, so that cargo rebuilds when the devicetree (or an include, or a binding) changes.
//!
//! Devicetree diagnostics become `compile_error!`s spanned on the path literal, with the file,
//! line and column, the source line underlined, and the hint.

use crate::diag::{format_rule, Errors};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::path::{Path, PathBuf};

/// The macro's input.
pub struct Input {
    /// The path literal.
    pub lit: syn::LitStr,
    /// `drivers { "compatible" => Type = init, .. }`: which driver serves which compatible.
    pub drivers: Vec<rtio_devicetree::Driver>,
    /// `used [label, "/full/path", ..]`: the nodes the program uses.
    pub used: Vec<String>,
}

fn argument_error(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        format_rule(
            "devicetree-argument",
            "devicetree! takes the path of a `.dts` or `.toml` file, as a string literal, then optionally `drivers { \"compatible\" => Type = init, .. }` and `used [label, ..]`",
            "write `devicetree!(\"boards/app.dts\")`, relative to the package root, or `devicetree!(\"boards/app.dts\", drivers { \"ti,tmp105\" => Tmp = Tmp::new(BUS_ADDRESS) }, used [temp])`",
        ),
    )
}

fn parse_input(ps: syn::parse::ParseStream<'_>) -> syn::Result<Input> {
    let lit: syn::LitStr = ps.parse().map_err(|e| argument_error(e.span()))?;
    let mut input = Input {
        lit,
        drivers: Vec::new(),
        used: Vec::new(),
    };
    while !ps.is_empty() {
        ps.parse::<syn::Token![,]>()?;
        if ps.is_empty() {
            break;
        }
        let key: syn::Ident = ps.parse().map_err(|e| argument_error(e.span()))?;
        if key == "drivers" {
            let body;
            syn::braced!(body in ps);
            while !body.is_empty() {
                let compatible: syn::LitStr = body.parse()?;
                body.parse::<syn::Token![=>]>()?;
                if body.peek(syn::Token![fn]) {
                    // a run-time model: `fn attach<T>(bus: &'static Bus, model: T) -> D { .. }`
                    let f: syn::ItemFn = body.parse()?;
                    let syn::ReturnType::Type(_, device) = &f.sig.output else {
                        return Err(syn::Error::new_spanned(
                            &f.sig,
                            "an attach function returns the device it attached: `-> &'static rtio_sim::I2cDevice<T>`",
                        ));
                    };
                    let params = &f.sig.generics.params;
                    let inputs = &f.sig.inputs;
                    let stmts = &f.block.stmts;
                    input.drivers.push(rtio_devicetree::Driver::attach(
                        compatible.value(),
                        rtio_devicetree::drivers::AttachFn {
                            name: f.sig.ident.to_string(),
                            generics: quote!(#params).to_string(),
                            params: quote!(#inputs).to_string(),
                            device: quote!(#device).to_string(),
                        },
                        quote!(#(#stmts)*).to_string(),
                    ));
                    if body.is_empty() {
                        break;
                    }
                    body.parse::<syn::Token![,]>()?;
                    continue;
                }
                let ty: syn::Type = body.parse()?;
                body.parse::<syn::Token![=]>()?;
                let init: syn::Expr = body.parse()?;
                input.drivers.push(rtio_devicetree::Driver::new(
                    compatible.value(),
                    quote!(#ty).to_string(),
                    quote!(#init).to_string(),
                ));
                if body.is_empty() {
                    break;
                }
                body.parse::<syn::Token![,]>()?;
            }
        } else if key == "used" {
            let body;
            syn::bracketed!(body in ps);
            while !body.is_empty() {
                if body.peek(syn::LitStr) {
                    input.used.push(body.parse::<syn::LitStr>()?.value());
                } else {
                    input.used.push(body.parse::<syn::Ident>()?.to_string());
                }
                if body.is_empty() {
                    break;
                }
                body.parse::<syn::Token![,]>()?;
            }
        } else {
            return Err(argument_error(key.span()));
        }
    }
    Ok(input)
}

/// Parses the path literal and the optional `drivers { .. }` and `used [..]`.
pub fn parse(input: TokenStream) -> syn::Result<Input> {
    if input.is_empty() {
        return Err(argument_error(Span::call_site()));
    }
    syn::parse::Parser::parse2(parse_input, input)
}

/// Finds the file: returns the directory it is relative to and its full path.
pub fn check(input: &Input, caller_file: Option<PathBuf>) -> syn::Result<(PathBuf, PathBuf)> {
    let rel = input.lit.value();
    let mut bases = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        bases.push(PathBuf::from(dir));
    }
    if let Some(dir) = caller_file.as_deref().and_then(Path::parent) {
        bases.push(dir.to_path_buf());
    }
    for base in bases {
        let full = base.join(&rel);
        if full.is_file() {
            return Ok((base, full));
        }
    }
    Err(syn::Error::new(
        input.lit.span(),
        format_rule(
            "devicetree-file-not-found",
            format!("cannot find the devicetree `{rel}`"),
            "the path is relative to the package root (CARGO_MANIFEST_DIR) or to this source file",
        ),
    ))
}

/// The result of running the devicetree pipeline.
pub struct Analyzed {
    /// The generated Rust, or every diagnostic rendered (paths relative to the base).
    pub code: Result<TokenStream, Vec<String>>,
    /// Files to track.
    pub files: Vec<PathBuf>,
}

/// Runs the devicetree pipeline on `path`.
pub fn analyze(base: &Path, path: &Path, input: &Input) -> Analyzed {
    let prefix = format!("{}/", base.display());
    let relative = |s: String| s.replace(&prefix, "");
    let opts = rtio_devicetree::Options {
        drivers: input.drivers.clone(),
        used: input.used.clone(),
        ..rtio_devicetree::Options::default()
    };
    match rtio_devicetree::generate_with(path, &opts) {
        Ok(g) => {
            let code = g.code.parse::<TokenStream>().map_err(|e| {
                vec![format!(
                    "devicetree: the generated code does not lex ({e}); this is a bug in rtio-devicetree\nhelp: report it with the devicetree that triggers it"
                )]
            });
            Analyzed {
                code,
                files: g.files_read,
            }
        }
        Err(d) => {
            let msgs = d
                .list
                .iter()
                .filter(|x| x.severity == rtio_devicetree::diagnostics::Severity::Error)
                .map(|x| {
                    let text = relative(x.render(&d.sources));
                    let text = text.trim_end().to_string();
                    let text = text.strip_prefix("error").unwrap_or(&text).to_string();
                    let mut msg = format!("devicetree error{text}");
                    if x.help.is_none() {
                        msg.push_str("\nhelp: fix the devicetree source");
                    }
                    msg
                })
                .collect();
            Analyzed {
                code: Err(msgs),
                files: d.files_read,
            }
        }
    }
}

/// The items, or the errors, and the file tracking either way.
pub fn codegen(lit: &syn::LitStr, a: Analyzed) -> TokenStream {
    let track = a.files.iter().filter(|p| p.is_file()).map(|p| {
        let p = p.display().to_string();
        quote! { const _: &[u8] = ::core::include_bytes!(#p); }
    });
    let body = match a.code {
        Ok(code) => code,
        Err(msgs) => {
            let mut e = Errors::new();
            for m in msgs {
                e.push(syn::Error::new(lit.span(), m));
            }
            match e.finish() {
                Err(e) => e.to_compile_error(),
                Ok(()) => TokenStream::new(),
            }
        }
    };
    quote! { #body #(#track)* }
}

/// Runs the four steps.
pub fn expand(input: TokenStream, caller_file: Option<PathBuf>) -> TokenStream {
    let input = match parse(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let (base, path) = match check(&input, caller_file) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error(),
    };
    codegen(&input.lit, analyze(&base, &path, &input))
}
