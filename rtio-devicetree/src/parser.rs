//! DTS parser: dtc's grammar, building the [`Tree`] as dtc does while it parses.
//!
//! Top-level `&label { }` extensions are merged into the tree built so far, in source order,
//! exactly as dtc's bison actions do; `/delete-node/ &ref;` and `/omit-if-no-ref/ &ref;` act
//! immediately. The parser stops at the first syntax error (the rest of the file cannot be
//! trusted) but keeps going after semantic problems such as an out-of-range `/bits/` value.

use std::path::PathBuf;

use crate::diagnostics::{Code, Diagnostic};
use crate::lexer::{Lexer, Tok, Token};
use crate::model::{Cell, Label, MemReserve, NodeId, Piece, Property, Ref, RefKind, Tree, Value};
use crate::source::{FileId, SourceMap, Span};

/// Parses file `file` (already in `sources`) into a tree.
///
/// # Errors
/// Returns `None` on a syntax error; every problem found is pushed to `diags`.
pub fn parse(
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    files_read: &mut Vec<PathBuf>,
    file: FileId,
    include_dirs: Vec<PathBuf>,
) -> Option<Tree> {
    let before = diags.len();
    let lexer = Lexer::new(sources, diags, files_read, file, include_dirs);
    let mut p = Parser {
        lx: lexer,
        tok: Token {
            tok: Tok::Eof,
            span: Span::default(),
        },
        peeked: None,
        depth: 0,
        names: std::collections::HashSet::new(),
        errors: Vec::new(),
        tree: Tree::new(Span::new(file, 0, 0)),
    };
    // Every node body opens with `{`: size the node arena once instead of doubling it.
    let braces = sources_braces(&p);
    p.tree.reserve(braces);
    p.bump();
    let ok = p.sourcefile().is_some();
    let Parser {
        mut errors,
        tree,
        lx,
        ..
    } = p;
    let open_strings = lx.open_strings;
    drop_cascade_of_open_string(&open_strings, sources, diags, before, &mut errors);
    // after recovery the same token can be reported twice: keep the first report
    errors.dedup_by(|b, a| match (&a.primary, &b.primary) {
        (Some((sa, _)), Some((sb, _))) => sa.file == sb.file && sa.start == sb.start,
        _ => false,
    });
    let had_errors = !errors.is_empty();
    diags.extend(errors);
    (ok && !had_errors).then_some(tree)
}

/// One mistake, one message: a syntax error on the token the lexer already reported (the
/// quote of a string that never closes) is dropped; and a string left open runs on to the
/// next string's opening quote (dtc allows strings that span lines), so parsing fails
/// somewhere after it: if the first failure comes after such a string, it is reported
/// once, at its opening quote, instead of what it caused.
fn drop_cascade_of_open_string(
    open_strings: &[(Span, Span)],
    sources: &SourceMap,
    diags: &mut Vec<Diagnostic>,
    before: usize,
    errors: &mut Vec<Diagnostic>,
) {
    let at = |d: &Diagnostic| d.primary.as_ref().map(|(s, _)| *s);
    let lexed: Vec<Span> = diags[before..]
        .iter()
        .filter(|d| d.code == Code::Lexical)
        .filter_map(at)
        .collect();
    errors.retain(|d| {
        !at(d).is_some_and(|s| lexed.iter().any(|l| l.file == s.file && l.start == s.start))
    });
    let caused = |open: &Span, d: &Diagnostic| {
        at(d).is_some_and(|s| s.file == open.file && s.start >= open.start)
    };
    let found = || diags[before..].iter().chain(errors.iter());
    // the first open string that an error follows, with no error before it
    let culprit = open_strings.iter().find(|(open, _)| {
        found().any(|d| caused(open, d))
            && !found().any(|d| at(d).is_some_and(|s| s.file == open.file && s.start < open.start))
    });
    let Some((open, close)) = culprit else {
        return;
    };
    let mut i = before;
    while i < diags.len() {
        if caused(open, &diags[i]) {
            diags.remove(i);
        } else {
            i += 1;
        }
    }
    errors.retain(|d| !caused(open, d));
    let line = sources.locate(*open).map(|l| l.line).unwrap_or(0);
    let d = Diagnostic::error(Code::Lexical, "unterminated string")
        .at(
            Span::new(open.file, open.start as usize, open.start as usize + 1),
            "this string is not closed on its line",
        )
        .also(
            *close,
            "so it runs on to here: this quote closes it instead",
        )
        .help(format!(
            "add the closing `\"` on line {line}; dtc lets a string span lines, so the errors \
             after this one were caused by it"
        ));
    diags.insert(before, d);
}

fn sources_braces(p: &Parser<'_>) -> usize {
    let text = p.lx.text_of(p.tree.node(p.tree.root).name_span.file);
    text.bytes().filter(|&b| b == b'{').count()
}

/// Syntax errors reported before giving up on a file.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Deepest node nesting accepted (keeps every recursive walk of the tree bounded).
pub const MAX_NODE_DEPTH: usize = 256;

struct Parser<'a> {
    lx: Lexer<'a>,
    depth: usize,
    names: std::collections::HashSet<std::sync::Arc<str>>,
    tok: Token,
    peeked: Option<Token>,
    errors: Vec<Diagnostic>,
    tree: Tree,
}

type PResult<T> = Option<T>;

fn first_label_span(labels: &[Label], fallback: Span) -> Span {
    labels.first().map(|l| l.span).unwrap_or(fallback)
}

impl Parser<'_> {
    fn bump(&mut self) -> Token {
        let next = match self.peeked.take() {
            Some(t) => t,
            None => self.lx.next_token(),
        };
        std::mem::replace(&mut self.tok, next)
    }

    /// The current token without its string payload (no allocation); take the payload with
    /// [`Parser::take_string`] / [`Parser::take_bytes`] where it is used.
    fn shallow(&self) -> Tok {
        match &self.tok.tok {
            Tok::Name(_) => Tok::Name(String::new()),
            Tok::Label(_) => Tok::Label(String::new()),
            Tok::LabelRef(_) => Tok::LabelRef(String::new()),
            Tok::PathRef(_) => Tok::PathRef(String::new()),
            Tok::Str(_) => Tok::Str(Vec::new()),
            t => t.clone(),
        }
    }

    fn take_string(&mut self) -> String {
        match &mut self.tok.tok {
            Tok::Name(s) | Tok::Label(s) | Tok::LabelRef(s) | Tok::PathRef(s) => std::mem::take(s),
            _ => String::new(),
        }
    }

    fn take_bytes(&mut self) -> Vec<u8> {
        match &mut self.tok.tok {
            Tok::Str(b) => std::mem::take(b),
            _ => Vec::new(),
        }
    }

    fn peek(&mut self) -> &Token {
        if self.peeked.is_none() {
            self.peeked = Some(self.lx.next_token());
        }
        match &self.peeked {
            Some(t) => t,
            None => &self.tok,
        }
    }

    fn is_char(&self, c: u8) -> bool {
        self.tok.tok == Tok::Char(c)
    }

    fn syntax(&mut self, expected: &str) -> Option<()> {
        let mut found = self.tok.tok.describe();
        if let Tok::Char(c) = self.tok.tok {
            if c.is_ascii_alphanumeric() || c == b'_' {
                // dtc reads a bare word here one character at a time; show the whole word
                let text = self.lx.text_of(self.tok.span.file);
                let start = self.tok.span.start as usize;
                let len = text
                    .get(start..)
                    .unwrap_or("")
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || b",._+*#?@-".contains(b))
                    .count();
                if let Some(w) = text.get(start..start + len) {
                    found = format!("`{w}`");
                    self.tok.span.end = (start + len) as u32;
                }
            }
        }
        let help = match (&self.tok.tok, expected) {
            (Tok::Eof, _) => "the file ends early: check for a missing `};` or `;`".to_string(),
            (_, e) if e.contains("`;`") => {
                "every property and node ends with `;` (a node with `};`)".to_string()
            }
            (Tok::Char(b'='), _) => {
                "a property needs a name before `=`; names are letters, digits and `,._+*#?@-`"
                    .to_string()
            }
            _ => format!("dtc expects {expected} here"),
        };
        self.errors.push(
            Diagnostic::error(Code::Syntax, format!("expected {expected}, found {found}"))
                .at(self.tok.span, format!("expected {expected}"))
                .help(help),
        );
        None
    }

    fn expect_char(&mut self, c: u8) -> PResult<Span> {
        if self.is_char(c) {
            Some(self.bump().span)
        } else {
            self.syntax(&format!("`{}`", c as char))?;
            None
        }
    }

    fn sourcefile(&mut self) -> PResult<()> {
        // headers
        if self.tok.tok != Tok::DtsV1 {
            self.errors.push(
                Diagnostic::error(Code::Header, "missing `/dts-v1/;` header")
                    .at(self.tok.span, "expected `/dts-v1/;` before this")
                    .help("start the file with `/dts-v1/;` (dtc only reads version 1 sources)"),
            );
            return None;
        }
        let mut flags: Option<bool> = None;
        while self.tok.tok == Tok::DtsV1 {
            let start = self.bump().span;
            self.expect_char(b';')?;
            let mut plugin = false;
            if self.tok.tok == Tok::Plugin {
                self.bump();
                self.expect_char(b';')?;
                plugin = true;
            }
            match flags {
                None => flags = Some(plugin),
                Some(f) if f != plugin => {
                    self.errors.push(
                        Diagnostic::error(Code::Header, "header flags don't match earlier ones")
                            .at(start, "this header differs in `/plugin/`")
                            .help("give `/plugin/;` in every header or in none"),
                    );
                }
                _ => {}
            }
        }
        self.tree.plugin = flags.unwrap_or(false);
        // memreserves
        loop {
            let mut labels = Vec::new();
            let save_is_mem = {
                // look past labels: `a: b: /memreserve/ ...`
                matches!(self.tok.tok, Tok::MemReserve)
                    || (matches!(self.tok.tok, Tok::Label(_))
                        && matches!(self.peek().tok, Tok::MemReserve | Tok::Label(_)))
            };
            if !save_is_mem {
                break;
            }
            while let Tok::Label(l) = &self.tok.tok {
                labels.push(Label {
                    name: l.clone(),
                    span: self.tok.span,
                    deleted: false,
                });
                self.bump();
            }
            if self.tok.tok != Tok::MemReserve {
                self.syntax("`/memreserve/`")?;
            }
            let start = self.bump().span;
            let (address, _) = self.integer_prim()?;
            let (size, _) = self.integer_prim()?;
            let end = self.expect_char(b';')?;
            let mut ls: Vec<Label> = Vec::new();
            for l in labels.iter().rev() {
                if !ls.iter().any(|x| x.name == l.name) {
                    ls.insert(0, l.clone());
                }
            }
            self.tree.memreserves.push(MemReserve {
                labels: ls,
                address,
                size,
                span: first_label_span(&labels, start).to(end),
            });
        }
        // devicetree
        let mut first = true;
        loop {
            match self.shallow() {
                Tok::Char(b'/') => {
                    let span = self.bump().span;
                    let n = self.nodedef(String::new(), span)?;
                    if first {
                        // the first root block *is* the root (dtc's `name_node`)
                        self.tree.root = n;
                    } else {
                        let root = self.tree.root;
                        self.tree.merge(root, n);
                    }
                }
                Tok::LabelRef(_) | Tok::PathRef(_) => {
                    let r = self.dt_ref()?;
                    let n = self.nodedef(String::new(), r.span)?;
                    if first {
                        if !self.tree.plugin {
                            self.not_found(&r);
                        }
                        self.tree.add_orphan(n, &r);
                    } else if r.kind == RefKind::Path && self.tree.plugin {
                        self.tree.add_orphan(n, &r);
                    } else {
                        match self.tree.find_ref(&r) {
                            Some(t) => self.tree.merge(t, n),
                            None if self.tree.plugin && r.kind == RefKind::Label => {
                                self.tree.add_orphan(n, &r)
                            }
                            None => self.not_found(&r),
                        }
                    }
                }
                Tok::Label(_) if !first => {
                    let mut labels = Vec::new();
                    while let Tok::Label(l) = &self.tok.tok {
                        labels.push(Label {
                            name: l.clone(),
                            span: self.tok.span,
                            deleted: false,
                        });
                        self.bump();
                        // dtc's grammar takes exactly one label here
                        if labels.len() == 1 {
                            break;
                        }
                    }
                    if !matches!(self.tok.tok, Tok::LabelRef(_) | Tok::PathRef(_)) {
                        self.syntax("a `&label` or `&{/path}` reference after the label")?;
                    }
                    let r = self.dt_ref()?;
                    let n = self.nodedef(String::new(), r.span)?;
                    match self.tree.find_ref(&r) {
                        Some(t) => {
                            for l in &labels {
                                self.tree.add_node_label(t, l);
                            }
                            self.tree.merge(t, n);
                        }
                        None => self.not_found(&r),
                    }
                }
                Tok::DelNode | Tok::OmitNoRef if !first => {
                    let omit = self.tok.tok == Tok::OmitNoRef;
                    self.bump();
                    if !matches!(self.tok.tok, Tok::LabelRef(_) | Tok::PathRef(_)) {
                        self.syntax("a `&label` or `&{/path}` reference")?;
                    }
                    let r = self.dt_ref()?;
                    self.expect_char(b';')?;
                    match self.tree.find_ref(&r) {
                        Some(t) if omit => self.tree.node_mut(t).omit_if_no_ref = true,
                        Some(t) => self.tree.delete_node(t),
                        None => self.not_found(&r),
                    }
                }
                Tok::Eof if !first => return Some(()),
                _ => {
                    if first {
                        self.syntax("`/ {` (the root node)")?;
                    } else {
                        self.syntax("`/ {`, `&label {`, `/delete-node/` or end of file")?;
                    }
                }
            }
            first = false;
        }
    }

    fn not_found(&mut self, r: &Ref) {
        let what = match r.kind {
            RefKind::Label => format!("label `{}`", r.target),
            RefKind::Path => format!("path `{}`", r.target),
        };
        self.errors.push(
            Diagnostic::error(Code::UnresolvedReference, format!("{what} not found"))
                .at(r.span, "no node defined above has this label or path")
                .help(
                    "a top-level `&ref { .. }` can only extend a node defined earlier in the file",
                ),
        );
    }

    fn dt_ref(&mut self) -> PResult<Ref> {
        let t = self.bump();
        match t.tok {
            Tok::LabelRef(l) => Some(Ref {
                kind: RefKind::Label,
                target: l,
                span: t.span,
            }),
            Tok::PathRef(p) => Some(Ref {
                kind: RefKind::Path,
                target: p,
                span: t.span,
            }),
            _ => {
                self.tok = t;
                self.syntax("a reference")?;
                None
            }
        }
    }

    /// `'{' proplist subnodes '}' ';'` into a detached node.
    fn nodedef(&mut self, name: String, name_span: Span) -> PResult<NodeId> {
        if self.depth >= MAX_NODE_DEPTH {
            self.errors.push(
                Diagnostic::error(
                    Code::Syntax,
                    format!("nodes nested more than {MAX_NODE_DEPTH} deep"),
                )
                .at(name_span, "this node")
                .help("flatten the tree; real devicetrees are a few levels deep"),
            );
            return None;
        }
        self.depth += 1;
        let r = self.nodedef_inner(name, name_span);
        self.depth -= 1;
        r
    }

    fn nodedef_inner(&mut self, name: String, name_span: Span) -> PResult<NodeId> {
        self.expect_char(b'{')?;
        let id = self.tree.alloc(name, name_span);
        // properties
        loop {
            match self.node_statement(id) {
                Some(true) => return Some(id),
                Some(false) => {}
                None => {
                    if !self.recover() {
                        return None;
                    }
                }
            }
        }
    }

    /// One property, child node or `};` of node `id`. `Some(true)` at the end of the node.
    fn node_statement(&mut self, id: NodeId) -> PResult<bool> {
        let mut labels = Vec::new();
        // labels and `/omit-if-no-ref/` prefixes may belong to a property or a subnode
        let mut omit = false;
        let mut omit_span = None;
        loop {
            match &self.tok.tok {
                Tok::Label(l) => {
                    labels.push(Label {
                        name: l.clone(),
                        span: self.tok.span,
                        deleted: false,
                    });
                    self.bump();
                }
                Tok::OmitNoRef => {
                    omit = true;
                    omit_span = Some(self.tok.span);
                    self.bump();
                }
                _ => break,
            }
        }
        match self.shallow() {
            Tok::Name(_) => {
                let name = self.take_string();
                let span = self.tok.span;
                match self.peek().tok {
                    Tok::Char(b'{') => {
                        self.bump();
                        let child = self.nodedef(name, span)?;
                        let n = self.tree.node_mut(child);
                        n.omit_if_no_ref |= omit;
                        for l in labels.iter().rev() {
                            self.tree.add_node_label(child, l);
                        }
                        self.add_subnode(id, child);
                    }
                    _ => {
                        if omit || self.has_children(id) {
                            self.bump();
                            let what = if omit {
                                "`/omit-if-no-ref/` applies to nodes, not properties"
                            } else {
                                "properties must precede subnodes"
                            };
                            self.errors.push(
                                Diagnostic::error(Code::Syntax, what)
                                    .at(omit_span.unwrap_or(span), "this property")
                                    .help("move the property above the first child node"),
                            );
                            return None;
                        }
                        self.bump();
                        let prop = self.propdef_rest(name, span, labels)?;
                        self.tree.node_mut(id).props.push(prop);
                    }
                }
            }
            Tok::DelProp => {
                let start = self.bump().span;
                if self.has_children(id) || omit {
                    self.errors.push(
                        Diagnostic::error(Code::Syntax, "properties must precede subnodes")
                            .at(start, "this property")
                            .help("move `/delete-property/` above the first child node"),
                    );
                    return None;
                }
                let Tok::Name(_) = self.tok.tok else {
                    self.syntax("a property name")?;
                    return None;
                };
                let name = self.take_string();
                let span = self.bump().span;
                self.expect_char(b';')?;
                let mut ls = Vec::new();
                for l in labels.iter().rev() {
                    if let Some(x) = ls.iter_mut().find(|x: &&mut Label| x.name == l.name) {
                        x.deleted = false;
                    } else {
                        ls.insert(0, l.clone());
                    }
                }
                let name = self.intern(&name);
                self.tree.node_mut(id).props.push(Property {
                    name,
                    name_span: span,
                    labels: ls,
                    value: Value::default(),
                    deleted: true,
                });
            }
            Tok::DelNode => {
                self.bump();
                let Tok::Name(_) = self.tok.tok else {
                    self.syntax("a node name")?;
                    return None;
                };
                let name = self.take_string();
                let span = self.bump().span;
                self.expect_char(b';')?;
                let child = self.tree.alloc(name, span);
                let n = self.tree.node_mut(child);
                n.deleted = true;
                n.omit_if_no_ref |= omit;
                for l in labels.iter().rev() {
                    self.tree.add_node_label(child, l);
                }
                self.add_subnode(id, child);
            }
            Tok::Char(b'}') if labels.is_empty() && !omit => {
                self.bump();
                let n = self.tree.node_mut(id);
                n.props.shrink_to_fit();
                n.children.shrink_to_fit();
                // a missing `;` after `}` is reported, and the node still ends here
                let _ = self.expect_char(b';');
                return Some(true);
            }
            _ => {
                self.syntax("a property, a child node or `};`")?;
            }
        }
        Some(false)
    }

    /// After a syntax error: skip to the end of the statement (`;` at this nesting level)
    /// or to the `}` closing the current node, so later mistakes are reported too.
    /// Returns `false` at the end of input or after too many errors.
    fn recover(&mut self) -> bool {
        if self.errors.len() >= MAX_SYNTAX_ERRORS {
            return false;
        }
        let mut depth = 0usize;
        loop {
            match self.tok.tok {
                Tok::Eof => return false,
                Tok::Char(b'{') => depth += 1,
                Tok::Char(b'}') if depth == 0 => return true,
                Tok::Char(b'}') => depth -= 1,
                Tok::Char(b';') if depth == 0 => {
                    self.bump();
                    return true;
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// One shared allocation per distinct property name.
    fn intern(&mut self, name: &str) -> std::sync::Arc<str> {
        if let Some(n) = self.names.get(name) {
            return std::sync::Arc::clone(n);
        }
        let n: std::sync::Arc<str> = std::sync::Arc::from(name);
        self.names.insert(std::sync::Arc::clone(&n));
        n
    }

    fn has_children(&self, id: NodeId) -> bool {
        !self.tree.node(id).children.is_empty()
    }

    fn add_subnode(&mut self, parent: NodeId, child: NodeId) {
        // chain_node: kept in source order, duplicates included (checked later)
        self.tree.add_child(parent, child);
    }

    /// After the property name: `;` or `= propdata ;`.
    fn propdef_rest(&mut self, name: String, span: Span, labels: Vec<Label>) -> PResult<Property> {
        let mut ls: Vec<Label> = Vec::new();
        for l in labels.iter().rev() {
            if let Some(x) = ls.iter_mut().find(|x| x.name == l.name) {
                x.deleted = false;
            } else {
                ls.insert(0, l.clone());
            }
        }
        let name = self.intern(&name);
        if self.is_char(b';') {
            self.bump();
            return Some(Property {
                name,
                name_span: span,
                labels: ls,
                value: Value::default(),
                deleted: false,
            });
        }
        if !self.is_char(b'=') {
            self.syntax("`=` or `;` after the property name")?;
        }
        self.bump();
        let value = self.propdata()?;
        Some(Property {
            name,
            name_span: span,
            labels: ls,
            value,
            deleted: false,
        })
    }

    fn take_label(&mut self) -> Option<Label> {
        if let Tok::Label(l) = &self.tok.tok {
            let label = Label {
                name: l.clone(),
                span: self.tok.span,
                deleted: false,
            };
            self.bump();
            Some(label)
        } else {
            None
        }
    }

    fn propdata(&mut self) -> PResult<Value> {
        let mut pieces = crate::model::Pieces::new();
        loop {
            while let Some(l) = self.take_label() {
                pieces.push(Piece::Label(l));
            }
            match self.shallow() {
                Tok::Str(_) => {
                    let bytes = self.take_bytes();
                    let span = self.bump().span;
                    pieces.push(Piece::Str { bytes, span });
                }
                Tok::Char(b'<') | Tok::Bits => pieces.push(self.cells()?),
                Tok::Char(b'[') => {
                    let start = self.bump().span;
                    let mut bytes = Vec::new();
                    let mut labels = Vec::new();
                    loop {
                        match self.shallow() {
                            Tok::Byte(b) => {
                                bytes.push(b);
                                self.bump();
                            }
                            Tok::Label(_) => {
                                let l = self.take_string();
                                let span = self.bump().span;
                                labels.push((
                                    bytes.len(),
                                    Label {
                                        name: l,
                                        span,
                                        deleted: false,
                                    },
                                ));
                            }
                            Tok::Char(b']') => break,
                            _ => {
                                self.syntax("two hex digits or `]`")?;
                            }
                        }
                    }
                    let end = self.bump().span;
                    pieces.push(Piece::Bytes {
                        bytes: bytes.into_boxed_slice(),
                        labels: labels.into_boxed_slice(),
                        span: start.to(end),
                    });
                }
                Tok::LabelRef(_) | Tok::PathRef(_) => {
                    let target = self.dt_ref()?;
                    pieces.push(Piece::Path {
                        target: Box::new(target),
                        resolved: None,
                    });
                }
                Tok::Incbin => pieces.push(self.incbin()?),
                _ => {
                    self.syntax("a string, `<`, `[` or a reference")?;
                }
            }
            while let Some(l) = self.take_label() {
                pieces.push(Piece::Label(l));
            }
            if self.is_char(b',') {
                self.bump();
                continue;
            }
            if self.is_char(b';') {
                self.bump();
                let raw = pieces.iter().find(|p| matches!(p, Piece::Raw { .. }));
                let typed = pieces
                    .iter()
                    .any(|p| !matches!(p, Piece::Raw { .. } | Piece::Label(_)));
                if let (Some(r), true) = (raw, typed) {
                    // dtc 1.6 aborts on an assertion when printing such a value
                    self.errors.push(
                        Diagnostic::error(
                            Code::Syntax,
                            "`/incbin/` data cannot be mixed with typed values",
                        )
                        .at(r.span(), "untyped bytes next to strings or cells")
                        .help("give the binary data its own property (dtc 1.6 aborts on this)"),
                    );
                }
                pieces.shrink_to_fit();
                return Some(Value { pieces });
            }
            self.syntax("`,` or `;`")?;
        }
    }

    /// `/incbin/("file")` or `/incbin/("file", offset, length)`: raw bytes, no type.
    fn incbin(&mut self) -> PResult<Piece> {
        let start = self.bump().span;
        self.expect_char(b'(')?;
        let Tok::Str(_) = self.tok.tok else {
            self.syntax("a file name string")?;
            return None;
        };
        let name_bytes = self.take_bytes();
        let name_span = self.bump().span;
        let mut range = None;
        if self.is_char(b',') {
            self.bump();
            let (off, _) = self.integer_prim()?;
            self.expect_char(b',')?;
            let (len, _) = self.integer_prim()?;
            range = Some((off, len));
        }
        let end = self.expect_char(b')')?;
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        let span = start.to(end);
        let data = match self.lx.read_binary(&name, name_span.file) {
            Ok(d) => d,
            Err(looked) => {
                self.errors.push(
                    Diagnostic::error(Code::Io, format!("cannot read `/incbin/` file `{name}`"))
                        .at(name_span, "this file")
                        .help(format!("looked in: {looked}")),
                );
                return None;
            }
        };
        let bytes = match range {
            None => data,
            Some((off, len)) => {
                let off = usize::try_from(off).unwrap_or(usize::MAX);
                if off > data.len() {
                    self.errors.push(
                        Diagnostic::error(
                            Code::Io,
                            format!(
                                "offset {off} is past the end of `{name}` ({} bytes)",
                                data.len()
                            ),
                        )
                        .at(span, "this /incbin/")
                        .help("check the offset"),
                    );
                    return None;
                }
                let rest = &data[off..];
                let n = usize::try_from(len).unwrap_or(usize::MAX).min(rest.len());
                rest[..n].to_vec()
            }
        };
        Some(Piece::Raw { bytes, span })
    }

    fn cells(&mut self) -> PResult<Piece> {
        let start = self.tok.span;
        let mut bits: u8 = 32;
        if self.tok.tok == Tok::Bits {
            self.bump();
            let t = self.bump();
            match t.tok {
                Tok::Literal(v) => match v {
                    8 | 16 | 32 | 64 => bits = v as u8,
                    _ => self.errors.push(
                        Diagnostic::error(
                            Code::Integer,
                            "array elements must be 8, 16, 32 or 64 bits",
                        )
                        .at(t.span, format!("{v} bits"))
                        .help("write `/bits/ 8`, `/bits/ 16`, `/bits/ 32` or `/bits/ 64`"),
                    ),
                },
                _ => {
                    self.tok = t;
                    self.syntax("an element width after `/bits/`")?;
                }
            }
        }
        self.expect_char(b'<')?;
        let mut cells = Vec::new();
        loop {
            match self.shallow() {
                Tok::Char(b'>') => {
                    let end = self.bump().span;
                    cells.shrink_to_fit();
                    return Some(Piece::Cells {
                        bits,
                        cells,
                        span: start.to(end),
                    });
                }
                Tok::Label(_) => {
                    let l = self.take_string();
                    let span = self.bump().span;
                    cells.push(Cell::Label(Box::new(Label {
                        name: l,
                        span,
                        deleted: false,
                    })));
                }
                Tok::LabelRef(_) | Tok::PathRef(_) => {
                    let target = self.dt_ref()?;
                    if bits != 32 {
                        self.errors.push(
                            Diagnostic::error(
                                Code::Integer,
                                "references are only allowed in arrays with 32-bit elements",
                            )
                            .at(target.span, format!("inside a /bits/ {bits} array"))
                            .help("put phandle references in a plain `<...>` list"),
                        );
                    }
                    cells.push(Cell::Phandle {
                        target: Box::new(target),
                        value: 0,
                    });
                }
                Tok::Literal(_) | Tok::CharLit(_) | Tok::Char(b'(') => {
                    let (v, span) = self.integer_prim()?;
                    let mut value = v;
                    if bits < 64 {
                        let mask = (1u64 << bits) - 1;
                        if v > mask && (v | mask) != u64::MAX {
                            self.errors.push(
                                Diagnostic::error(
                                    Code::Integer,
                                    format!("value out of range for {bits}-bit array element"),
                                )
                                .at(span, format!("0x{v:x} does not fit in {bits} bits"))
                                .help(format!("use `/bits/ 64` or a value below 0x{:x}", mask + 1)),
                            );
                        }
                        value &= mask;
                    }
                    cells.push(Cell::Num { value, span });
                }
                _ => {
                    self.syntax("a number, `(expression)`, a reference or `>`")?;
                }
            }
        }
    }

    fn integer_prim(&mut self) -> PResult<(u64, Span)> {
        match self.shallow() {
            Tok::Literal(v) | Tok::CharLit(v) => Some((v, self.bump().span)),
            Tok::Char(b'(') => {
                let start = self.bump().span;
                let v = self.expr(0)?;
                let end = self.expect_char(b')')?;
                Some((v, start.to(end)))
            }
            _ => {
                self.syntax("a number or `(expression)`")?;
                None
            }
        }
    }

    /// Ternary and binary operators by precedence climbing; `depth` bounds recursion.
    fn expr(&mut self, depth: u32) -> PResult<u64> {
        if depth > 200 {
            self.errors.push(
                Diagnostic::error(Code::Syntax, "expression nested too deeply")
                    .at(self.tok.span, "here")
                    .help("split the expression"),
            );
            return None;
        }
        let start = self.tok.span;
        let c = self.binary(1, depth)?;
        if self.is_char(b'?') {
            self.bump();
            let a = self.expr(depth + 1)?;
            self.expect_char(b':')?;
            let b = self.ternary_tail(depth + 1)?;
            let _ = start;
            return Some(if c != 0 { a } else { b });
        }
        Some(c)
    }

    fn ternary_tail(&mut self, depth: u32) -> PResult<u64> {
        // integer_trinary: integer_or ['?' expr ':' integer_trinary]
        self.expr(depth)
    }

    fn binop(&self) -> Option<(u8, &'static str)> {
        Some(match &self.tok.tok {
            Tok::OrOr => (1, "||"),
            Tok::AndAnd => (2, "&&"),
            Tok::Char(b'|') => (3, "|"),
            Tok::Char(b'^') => (4, "^"),
            Tok::Char(b'&') => (5, "&"),
            Tok::EqEq => (6, "=="),
            Tok::Ne => (6, "!="),
            Tok::Char(b'<') => (7, "<"),
            Tok::Char(b'>') => (7, ">"),
            Tok::Le => (7, "<="),
            Tok::Ge => (7, ">="),
            Tok::Shl => (8, "<<"),
            Tok::Shr => (8, ">>"),
            Tok::Char(b'+') => (9, "+"),
            Tok::Char(b'-') => (9, "-"),
            Tok::Char(b'*') => (10, "*"),
            Tok::Char(b'/') => (10, "/"),
            Tok::Char(b'%') => (10, "%"),
            _ => return None,
        })
    }

    fn binary(&mut self, min: u8, depth: u32) -> PResult<u64> {
        let lhs_start = self.tok.span;
        let mut lhs = self.unary(depth)?;
        while let Some((prec, op)) = self.binop() {
            if prec < min.max(1) {
                break;
            }
            self.bump();
            let rhs = self.binary(prec + 1, depth + 1)?;
            let span = lhs_start.to(self.tok.span);
            lhs = match op {
                "||" => u64::from(lhs != 0 || rhs != 0),
                "&&" => u64::from(lhs != 0 && rhs != 0),
                "|" => lhs | rhs,
                "^" => lhs ^ rhs,
                "&" => lhs & rhs,
                "==" => u64::from(lhs == rhs),
                "!=" => u64::from(lhs != rhs),
                "<" => u64::from(lhs < rhs),
                ">" => u64::from(lhs > rhs),
                "<=" => u64::from(lhs <= rhs),
                ">=" => u64::from(lhs >= rhs),
                "<<" => {
                    if rhs < 64 {
                        lhs << rhs
                    } else {
                        0
                    }
                }
                ">>" => {
                    if rhs < 64 {
                        lhs >> rhs
                    } else {
                        0
                    }
                }
                "+" => lhs.wrapping_add(rhs),
                "-" => lhs.wrapping_sub(rhs),
                "*" => lhs.wrapping_mul(rhs),
                "/" | "%" => {
                    if rhs == 0 {
                        self.errors.push(
                            Diagnostic::error(Code::Integer, "division by zero")
                                .at(span, "the right-hand side is 0")
                                .help("check the divisor"),
                        );
                        0
                    } else if op == "/" {
                        lhs / rhs
                    } else {
                        lhs % rhs
                    }
                }
                _ => lhs,
            };
        }
        Some(lhs)
    }

    fn unary(&mut self, depth: u32) -> PResult<u64> {
        if depth > 200 {
            self.errors.push(
                Diagnostic::error(Code::Syntax, "expression nested too deeply")
                    .at(self.tok.span, "here")
                    .help("split the expression"),
            );
            return None;
        }
        match self.tok.tok {
            Tok::Char(b'-') => {
                self.bump();
                Some(self.unary(depth + 1)?.wrapping_neg())
            }
            Tok::Char(b'~') => {
                self.bump();
                Some(!self.unary(depth + 1)?)
            }
            Tok::Char(b'!') => {
                self.bump();
                Some(u64::from(self.unary(depth + 1)? == 0))
            }
            _ => {
                let (v, _) = self.integer_prim_depth(depth)?;
                Some(v)
            }
        }
    }

    fn integer_prim_depth(&mut self, depth: u32) -> PResult<(u64, Span)> {
        if self.is_char(b'(') {
            let start = self.bump().span;
            let v = self.expr(depth + 1)?;
            let end = self.expect_char(b')')?;
            return Some((v, start.to(end)));
        }
        self.integer_prim()
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Code;
    use crate::pipeline::{load_str, Options};

    fn dts(src: &str) -> Result<String, Vec<Code>> {
        let opts = Options {
            dtc_only: true,
            ..Options::default()
        };
        match load_str("t.dts", src, &opts) {
            Ok(c) => Ok(crate::canonical::to_dts(&c.tree)),
            Err(d) => Err(d.list.iter().map(|d| d.code).collect()),
        }
    }

    fn body(out: &str) -> String {
        out.lines()
            .filter(|l| !l.is_empty() && *l != "/dts-v1/;" && *l != "/ {" && *l != "};")
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn accepted_case_table() {
        let cases = [
            ("p = <(1 + 2 * 3)>;", "p = <0x07>;"),
            ("p = <((1 + 2) * 3)>;", "p = <0x09>;"),
            ("p = <(10 - 2 - 3)>;", "p = <0x05>;"),
            ("p = <(1 << 2 << 3)>;", "p = <0x20>;"),
            ("p = <(1 ? 2 : 3) (0 ? 2 : 3)>;", "p = <0x02 0x03>;"),
            ("p = <(1 | 2 ^ 3 & 4)>;", "p = <0x03>;"),
            ("p = <(1 < 2 == 1)>;", "p = <0x01>;"),
            ("p = <(-1)>;", "p = <0xffffffff>;"),
            ("p = <(!0 + ~0)>;", "p = <0x00>;"),
            ("p = <(1 << 64)>;", "p = <0x00>;"),
            ("p = /bits/ 16 <(-1)>;", "p = /bits/ 16 <0xffff>;"),
            (
                "p = /bits/ 64 <(1 << 40)>;",
                "p = /bits/ 64 <0x10000000000>;",
            ),
            ("p = \"a\", \"b\";", "p = \"a\", \"b\";"),
            // dtc's own printing of empty pieces, reproduced
            ("p = [], <>, \"\";", "p = [ < \"\";"),
            ("p;", "p;"),
            ("a: b: p = <1>;", "a: b: p = <0x01>;"),
            ("p = x: <1 y: 2> z:;", "p = x: <0x01 y:0x02> z:;"),
        ];
        for (src, want) in cases {
            let full = format!("/dts-v1/;\n/ {{\n\t{src}\n}};\n");
            match dts(&full) {
                Ok(out) => assert_eq!(body(&out), want, "{src}"),
                Err(e) => panic!("{src}: {e:?}"),
            }
        }
    }

    #[test]
    fn rejected_case_table() {
        let cases = [
            ("/ { p = <1> };", Code::Syntax),
            ("/ { p = <(1 / 0)>; };", Code::Integer),
            ("/ { p = /bits/ 8 <256>; };", Code::Integer),
            ("/ { p = /bits/ 12 <1>; };", Code::Integer),
            ("/ { a {}; p; };", Code::Syntax),
            ("/ { }; &missing { };", Code::UnresolvedReference),
            ("/ { }; /delete-node/ &missing;", Code::UnresolvedReference),
            ("/ { p = <&missing>; };", Code::UnresolvedReference),
            ("/ { a {}; a {}; };", Code::DuplicateNodeName),
            ("/ { p; p; };", Code::DuplicateProperty),
            ("/ { l: a {}; l: b {}; };", Code::DuplicateLabel),
            ("/ { a@1@2 {}; };", Code::BadName),
            ("/ { a { phandle = <0>; }; };", Code::Phandle),
            ("/ { a { name = \"b\"; }; };", Code::NameProperty),
            ("/ { p = <09>; };", Code::Lexical),
        ];
        for (src, want) in cases {
            let full = format!("/dts-v1/;\n{src}\n");
            match dts(&full) {
                Ok(out) => panic!("{src} accepted:\n{out}"),
                Err(codes) => assert_eq!(codes.first(), Some(&want), "{src}: {codes:?}"),
            }
        }
    }

    #[test]
    fn later_blocks_merge_into_earlier_nodes() {
        let src =
            "/dts-v1/;\n/ { a: n { p = <1>; q; }; };\n&a { p = <2>; r; };\n/ { n { s; }; };\n";
        let out = dts(src).expect("valid");
        assert_eq!(body(&out), "a: n { p = <0x02>; q; r; s; };");
    }

    /// (line, col, message) of every diagnostic for `src`.
    fn located(src: &str) -> Vec<(u32, u32, String)> {
        let opts = Options {
            dtc_only: true,
            ..Options::default()
        };
        let d = load_str("t.dts", src, &opts).expect_err("rejected");
        d.list
            .iter()
            .map(|x| {
                let loc = x
                    .primary
                    .as_ref()
                    .and_then(|(s, _)| d.sources.locate(*s))
                    .expect("located");
                (loc.line, loc.col, x.message.clone())
            })
            .collect()
    }

    #[test]
    fn an_open_string_is_one_error_at_its_opening_quote() {
        let unterminated = "unterminated string".to_string();
        // closed by the next string's opening quote, many lines below
        let src = "/dts-v1/;\n/ {\n\tmodel = \"acme;\n\ta = <1>;\n\tb = <2>;\n\tc { };\n\tcompatible = \"acme,board\";\n\tuart {\n\t\tstatus = \"okay\";\n\t};\n};\n";
        assert_eq!(located(src), [(3, 10, unterminated.clone())]);
        // never closed before the end of the file
        let src = "/dts-v1/;\n/ {\n\tp = \"never closed;\n};\n";
        assert_eq!(located(src), [(3, 6, unterminated.clone())]);
        // an error before the open string is reported as it is
        let src = "/dts-v1/;\n/ {\n\tx = <1>\n\tmodel = \"acme;\n\tc = \"d\";\n};\n";
        let got = located(src);
        assert!(
            got.contains(&(4, 2, "expected `,` or `;`, found `model`".to_string())),
            "{got:?}"
        );
    }

    #[test]
    fn a_string_meant_to_span_lines_is_not_blamed_for_a_later_error() {
        // dtc accepts strings with raw newlines; one without DTS-looking text is not the cause
        let ok = "/dts-v1/;\n/ {\n\tdescription = \"two\nlines\";\n};\n";
        assert!(dts(ok).is_ok());
        let src = "/dts-v1/;\n/ {\n\tdescription = \"two\nlines\";\n\tx = <1>\n\ty = <2>;\n};\n";
        let got = located(src);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got, [(6, 2, "expected `,` or `;`, found `y`".to_string())]);
    }
}
