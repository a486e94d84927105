//! Errors a user can act on: a code, `file:line:col`, the source line with the offending text
//! underlined, and a hint.
//!
//! Every front end and pass pushes [`Diagnostic`]s into one list, so one run reports every
//! mistake it can find. [`Diagnostics::render`] formats them the way rustc does; build
//! scripts print every rendered line as a `cargo::error=` / `cargo::warning=` instruction
//! ([`Diagnostics::cargo_rendered_lines`]), so cargo shows them in full without `-vv`.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::source::{SourceMap, Span};

/// Stable identifier of an error kind, printed as `error[DT0105]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A token the lexer cannot read: bad integer or character literal, stray byte.
    Lexical,
    /// The tokens do not form a devicetree (what dtc calls a syntax error).
    Syntax,
    /// An `/include/` or input file that cannot be read, or includes nested too deep.
    Io,
    /// Integer expression problems: division by zero, value too wide for `/bits/`.
    Integer,
    /// Two `/dts-v1/;` headers with different `/plugin/` flags, or no header.
    Header,
    /// The same label names two things.
    DuplicateLabel,
    /// Two sibling nodes with the same name.
    DuplicateNodeName,
    /// Two properties with the same name in one node.
    DuplicateProperty,
    /// A node or property name with characters dtc does not allow.
    BadName,
    /// A `&label` or `&{/path}` that names nothing.
    UnresolvedReference,
    /// A bad `phandle` / `linux,phandle` property.
    Phandle,
    /// A `name` property that does not match the node name.
    NameProperty,
    /// `reg` does not fit the parent's `#address-cells` / `#size-cells`.
    RegCells,
    /// `status` is not one of the values the spec lists.
    Status,
    /// A property the binding requires is missing.
    MissingProperty,
    /// A property has a different type than its binding says.
    PropertyType,
    /// An I2C address outside 7-bit (or 10-bit) range.
    I2cAddress,
    /// A SPI chip select beyond the controller's chip-select count.
    SpiChipSelect,
    /// A device under a parent that does not provide the bus its binding needs.
    WrongBus,
    /// A binding file that is not valid.
    Binding,
    /// A TOML devicetree that cannot be read as a tree.
    Toml,
    /// (Warning) unit address and `reg` disagree.
    UnitAddress,
    /// A `compatible` no binding knows (a warning, or an error where the node is used).
    UnknownCompatible,
    /// A check that needs the parent's binding, which is unknown (a warning, or an error
    /// where the node is used).
    UnknownBus,
    /// A node the caller uses ([`crate::Options::used`]) that is missing, disabled or whose
    /// `reg` cannot be decoded.
    UsedNode,
    /// A driver declaration ([`crate::drivers`]) that does not fit the tree: a used device no
    /// driver serves, a device driver whose bus controller has none, a compatible declared
    /// twice.
    Driver,
}

impl Code {
    /// The printed code, e.g. `DT0105`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Lexical => "DT0001",
            Code::Syntax => "DT0002",
            Code::Io => "DT0003",
            Code::Integer => "DT0004",
            Code::Header => "DT0005",
            Code::DuplicateLabel => "DT0101",
            Code::DuplicateNodeName => "DT0102",
            Code::DuplicateProperty => "DT0103",
            Code::BadName => "DT0104",
            Code::UnresolvedReference => "DT0105",
            Code::Phandle => "DT0106",
            Code::NameProperty => "DT0107",
            Code::RegCells => "DT0201",
            Code::Status => "DT0202",
            Code::MissingProperty => "DT0301",
            Code::PropertyType => "DT0302",
            Code::I2cAddress => "DT0303",
            Code::SpiChipSelect => "DT0304",
            Code::WrongBus => "DT0305",
            Code::Binding => "DT0306",
            Code::Toml => "DT0401",
            Code::UnitAddress => "DT0501",
            Code::UnknownCompatible => "DT0307",
            Code::UnknownBus => "DT0308",
            Code::UsedNode => "DT0309",
            Code::Driver => "DT0310",
        }
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The input is rejected.
    Error,
    /// Reported, but output is still produced.
    Warning,
}

/// One message about the input.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error kind.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// Lowercase one-line summary.
    pub message: String,
    /// Where it happened, with the label printed under the `^^^` underline.
    pub primary: Option<(Span, String)>,
    /// Other places worth showing (e.g. the first definition of a duplicate).
    pub secondary: Vec<(Span, String)>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error with no location yet.
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    /// A new warning with no location yet.
    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// A new diagnostic of the given severity.
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the primary span and its label.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some((span, label.into()));
        self
    }

    /// Adds a secondary span.
    pub fn also(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Renders this diagnostic against `sources`.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", self.code.as_str(), self.message);
        let mut snippets = Vec::new();
        if let Some((span, label)) = &self.primary {
            snippets.push((*span, label.as_str(), '^'));
        }
        for (span, label) in &self.secondary {
            snippets.push((*span, label.as_str(), '-'));
        }
        let locs: Vec<_> = snippets
            .iter()
            .filter_map(|(s, l, c)| sources.locate(*s).map(|loc| (loc, *s, *l, *c)))
            .collect();
        let width = locs
            .iter()
            .map(|(loc, ..)| loc.line.to_string().len())
            .max()
            .unwrap_or(1);
        let pad = " ".repeat(width);
        for (i, (loc, span, label, mark)) in locs.iter().enumerate() {
            let arrow = if i == 0 { "-->" } else { ":::" };
            let _ = writeln!(out, "{pad}{arrow} {}:{}:{}", loc.file, loc.line, loc.col);
            let _ = writeln!(out, "{pad} |");
            let text = loc.line_text.replace('\t', "    ");
            let _ = writeln!(out, "{:>width$} | {}", loc.line, text.trim_end());
            let before = loc.line_text.get(..loc.line_offset).unwrap_or("");
            let lead: usize = before.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
            let rest = loc.line_text.get(loc.line_offset..).unwrap_or("");
            let take = (span.len()).min(rest.len());
            let mut n: usize = rest
                .get(..take)
                .map(|s| s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum())
                .unwrap_or(1);
            if n == 0 {
                n = 1;
            }
            let marks: String = std::iter::repeat_n(*mark, n).collect();
            let sp = " ".repeat(lead);
            if label.is_empty() {
                let _ = writeln!(out, "{pad} | {sp}{marks}");
            } else {
                let _ = writeln!(out, "{pad} | {sp}{marks} {label}");
            }
        }
        if let Some(help) = &self.help {
            if !locs.is_empty() {
                let _ = writeln!(out, "{pad} |");
            }
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }

    /// One-line form: `file:line:col: error[CODE]: message`.
    pub fn short(&self, sources: &SourceMap) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.primary.as_ref().and_then(|(s, _)| sources.locate(*s)) {
            Some(loc) => format!(
                "{}:{}:{}: {sev}[{}]: {}",
                loc.file,
                loc.line,
                loc.col,
                self.code.as_str(),
                self.message
            ),
            None => format!("{sev}[{}]: {}", self.code.as_str(), self.message),
        }
    }
}

/// All diagnostics of one run, with the sources they point into.
#[derive(Debug, Default)]
pub struct Diagnostics {
    /// The messages, in the order found.
    pub list: Vec<Diagnostic>,
    /// Every file read, so spans can be rendered.
    pub sources: SourceMap,
    /// Paths of every file read (for `rerun-if-changed` / proc-macro tracking).
    pub files_read: Vec<PathBuf>,
}

impl Diagnostics {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    /// Renders every diagnostic, separated by blank lines, rustc style.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, d) in self.list.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&d.render(&self.sources));
        }
        let n = self
            .list
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let w = self.list.len() - n;
        if n == 0 && w > 0 {
            let _ = writeln!(
                out,
                "\nwarning: devicetree has {w} warning{}",
                if w == 1 { "" } else { "s" }
            );
        }
        if n > 0 {
            let _ = writeln!(
                out,
                "\nerror: devicetree has {n} error{}",
                if n == 1 { "" } else { "s" }
            );
        }
        out
    }

    /// Every line of [`Diagnostics::render`] as a cargo build-script instruction: each line
    /// of an error as `cargo::error=LINE`, each line of a warning as `cargo::warning=LINE`,
    /// and the closing count likewise. Cargo prints these without `-vv` (stderr of a build
    /// script it does not), so the user sees the location, the source line, the underline,
    /// the second location and the hint, as the `devicetree!` macro shows them. Any
    /// `cargo::error=` line fails the build.
    pub fn cargo_rendered_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, d) in self.list.iter().enumerate() {
            let kind = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            if i > 0 {
                out.push(format!("cargo::{kind}="));
            }
            for line in d.render(&self.sources).lines() {
                out.push(format!("cargo::{kind}={line}"));
            }
        }
        let n = self
            .list
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        if n > 0 {
            out.push(format!(
                "cargo::error=devicetree has {n} error{}",
                if n == 1 { "" } else { "s" }
            ));
        }
        out
    }

    /// One short `file:line:col: error[CODE]: message` line per diagnostic, as
    /// `cargo::error=` (or `cargo::warning=`), for tools that want one line each; build
    /// scripts print [`Diagnostics::cargo_rendered_lines`] instead.
    pub fn cargo_lines(&self) -> Vec<String> {
        self.list
            .iter()
            .map(|d| {
                let kind = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                format!("cargo::{kind}={}", d.short(&self.sources))
            })
            .collect()
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}
