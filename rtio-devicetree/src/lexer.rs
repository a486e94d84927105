//! DTS lexer: the token rules of dtc's flex scanner, with its start conditions.
//!
//! dtc's scanner is stateful: after `{` or `;` it reads node and property names (which may
//! contain `,._+*#?@-` and digits), inside `[..]` it reads hex byte pairs, elsewhere integer
//! literals and punctuation. Like flex, every position takes the longest match among the
//! rules active in the current state, ties going to the earlier rule. `/include/` is handled
//! here: the included file's tokens are spliced into the stream. `# 12 "file"` markers left
//! by the C preprocessor are recorded in the [`SourceMap`] so that positions render as the
//! original file and line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};

/// Maximum `/include/` nesting (dtc allows 200).
pub const MAX_INCLUDE_DEPTH: usize = 200;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// `/dts-v1/`
    DtsV1,
    /// `/plugin/`
    Plugin,
    /// `/memreserve/`
    MemReserve,
    /// `/bits/`
    Bits,
    /// `/delete-property/`
    DelProp,
    /// `/delete-node/`
    DelNode,
    /// `/omit-if-no-ref/`
    OmitNoRef,
    /// `/incbin/`
    Incbin,
    /// `name:` (the name, without the colon)
    Label(String),
    /// `&name`
    LabelRef(String),
    /// `&{/path}` (the path)
    PathRef(String),
    /// An integer literal.
    Literal(u64),
    /// A character literal such as `'a'`.
    CharLit(u64),
    /// A string literal, escapes processed, without the terminating NUL.
    Str(Vec<u8>),
    /// Two hex digits inside `[..]`.
    Byte(u8),
    /// A node or property name.
    Name(String),
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// Any other single character.
    Char(u8),
    /// End of all input.
    Eof,
}

impl Tok {
    /// How the token is described in "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::DtsV1 => "`/dts-v1/`".into(),
            Tok::Plugin => "`/plugin/`".into(),
            Tok::MemReserve => "`/memreserve/`".into(),
            Tok::Bits => "`/bits/`".into(),
            Tok::DelProp => "`/delete-property/`".into(),
            Tok::DelNode => "`/delete-node/`".into(),
            Tok::OmitNoRef => "`/omit-if-no-ref/`".into(),
            Tok::Incbin => "`/incbin/`".into(),
            Tok::Label(l) => format!("label `{l}:`"),
            Tok::LabelRef(l) => format!("reference `&{l}`"),
            Tok::PathRef(p) => format!("reference `&{{{p}}}`"),
            Tok::Literal(_) => "integer".into(),
            Tok::CharLit(_) => "character literal".into(),
            Tok::Str(_) => "string".into(),
            Tok::Byte(_) => "byte".into(),
            Tok::Name(n) => format!("name `{n}`"),
            Tok::Shl => "`<<`".into(),
            Tok::Shr => "`>>`".into(),
            Tok::Le => "`<=`".into(),
            Tok::Ge => "`>=`".into(),
            Tok::EqEq => "`==`".into(),
            Tok::Ne => "`!=`".into(),
            Tok::AndAnd => "`&&`".into(),
            Tok::OrOr => "`||`".into(),
            Tok::Char(c) if c.is_ascii_graphic() => format!("`{}`", *c as char),
            Tok::Char(c) => format!("byte 0x{c:02x}"),
            Tok::Eof => "end of input".into(),
        }
    }
}

/// A token and where it came from.
#[derive(Clone, Debug)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

/// flex start conditions of dtc's scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Initial,
    V1,
    PropNodeName,
    ByteString,
}

struct Frame {
    file: FileId,
    text: Arc<str>,
    pos: usize,
    dir: PathBuf,
}

/// The scanner. Pulls tokens one at a time across `/include/`d files.
pub struct Lexer<'a> {
    sources: &'a mut SourceMap,
    diags: &'a mut Vec<Diagnostic>,
    include_dirs: Vec<PathBuf>,
    files_read: &'a mut Vec<PathBuf>,
    stack: Vec<Frame>,
    state: State,
    /// Strings that run past the end of their first line over text that looks like DTS
    /// (`;`, `{`, `}` or `=`): each is (opening quote, closing quote). dtc accepts strings
    /// that span lines, so such a string is only reported when parsing fails after it (the
    /// parser then reports it at its opening quote instead of the errors it caused).
    pub open_strings: Vec<(Span, Span)>,
}

impl std::fmt::Debug for Lexer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexer").field("state", &self.state).finish()
    }
}

fn is_propnodechar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b",._+*#?@-".contains(&b)
}

fn is_label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Length of `\"([^\\"]|\\.)*\"` at the start of `s`.
fn match_string(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'"' => return Some(i + 1),
            b'\\' => {
                if i + 1 < s.len() && s[i + 1] != b'\n' {
                    i += 2;
                } else {
                    return None;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Length of `'([^']|\\')*'`.
fn match_char_literal(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'\'') {
        return None;
    }
    // flex takes the longest match: `\\'` may continue the literal past a quote.
    let mut best = None;
    let mut i = 1;
    while i < s.len() {
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'\'') {
            // either `\` is a `[^']` and `'` closes, or `\'` continues
            best = Some(i + 2);
            i += 2;
            continue;
        }
        if s[i] == b'\'' {
            return Some(i + 1);
        }
        i += 1;
    }
    best
}

fn match_label_colon(s: &[u8]) -> Option<usize> {
    let n = match_label(s)?;
    (s.get(n) == Some(&b':')).then_some(n + 1)
}

fn match_label(s: &[u8]) -> Option<usize> {
    if !is_label_start(*s.first()?) {
        return None;
    }
    Some(1 + s[1..].iter().take_while(|&&b| is_label_char(b)).count())
}

fn match_literal(s: &[u8]) -> Option<usize> {
    let mut n = if s.len() >= 3 && s[0] == b'0' && (s[1] | 0x20) == b'x' && s[2].is_ascii_hexdigit()
    {
        2 + s[2..].iter().take_while(|b| b.is_ascii_hexdigit()).count()
    } else {
        let d = s.iter().take_while(|b| b.is_ascii_digit()).count();
        if d == 0 {
            return None;
        }
        d
    };
    // (U|L|UL|LL|ULL)?
    let rest = &s[n..];
    for suf in [&b"ULL"[..], b"UL", b"LL", b"U", b"L"] {
        if rest.starts_with(suf) {
            n += suf.len();
            break;
        }
    }
    Some(n)
}

fn match_comment(s: &[u8]) -> Option<usize> {
    if !s.starts_with(b"/*") {
        return None;
    }
    let mut i = 2;
    while i + 1 < s.len() {
        if s[i] == b'*' && s[i + 1] == b'/' {
            return Some(i + 2);
        }
        i += 1;
    }
    None
}

fn match_line_comment(s: &[u8]) -> Option<usize> {
    if !s.starts_with(b"//") {
        return None;
    }
    s.iter().position(|&b| b == b'\n').map(|p| p + 1)
}

/// `^"#"(line)?[ \t]+[0-9]+[ \t]+{STRING}([ \t]+[0-9]+)*`; returns (len, line, name range).
fn match_line_marker(s: &[u8]) -> Option<(usize, u64, usize, usize)> {
    if s.first() != Some(&b'#') {
        return None;
    }
    let mut i = 1;
    if s[i..].starts_with(b"line") {
        i += 4;
    }
    let ws = |i: usize| {
        s[i..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()
    };
    let w = ws(i);
    if w == 0 {
        return None;
    }
    i += w;
    let d = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if d == 0 {
        return None;
    }
    let line = std::str::from_utf8(&s[i..i + d])
        .ok()
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    i += d;
    let w = ws(i);
    if w == 0 {
        return None;
    }
    i += w;
    let sl = match_string(&s[i..])?;
    let (ns, ne) = (i + 1, i + sl - 1);
    i += sl;
    loop {
        let w = ws(i);
        if w == 0 {
            break;
        }
        let d = s[i + w..].iter().take_while(|b| b.is_ascii_digit()).count();
        if d == 0 {
            break;
        }
        i += w + d;
    }
    Some((i, line, ns, ne))
}

/// Processes the escapes of a string or character literal body (dtc's
/// `data_copy_escape_string`). Returns the bytes and an error message if `\x` had no digits.
pub fn unescape(s: &[u8]) -> (Vec<u8>, Option<&'static str>) {
    let mut out = Vec::with_capacity(s.len());
    let mut err = None;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' || i >= s.len() {
            out.push(c);
            continue;
        }
        let e = s[i];
        i += 1;
        let v = match e {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'0'..=b'7' => {
                let mut v: u32 = u32::from(e - b'0');
                let mut n = 1;
                while n < 3 && i < s.len() && (b'0'..=b'7').contains(&s[i]) {
                    v = v * 8 + u32::from(s[i] - b'0');
                    i += 1;
                    n += 1;
                }
                v as u8
            }
            b'x' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 2 && i < s.len() && s[i].is_ascii_hexdigit() {
                    v = v * 16 + (s[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    err = Some("`\\x` used with no following hex digits");
                }
                v as u8
            }
            other => other,
        };
        out.push(v);
    }
    (out, err)
}

/// Parses an integer literal the way `strtoull(text, &end, 0)` does, then checks the suffix.
fn literal_value(text: &[u8]) -> Result<u64, &'static str> {
    let t: &[u8] = text;
    let end = t
        .iter()
        .position(|b| *b == b'U' || *b == b'L')
        .unwrap_or(t.len());
    let (digits, radix) = if t.len() > 2 && t[0] == b'0' && (t[1] | 0x20) == b'x' {
        (&t[2..end], 16)
    } else if t.len() > 1 && t[0] == b'0' {
        (&t[1..end], 8)
    } else {
        (&t[..end], 10)
    };
    let mut v: u64 = 0;
    for &b in digits {
        let d = match (b as char).to_digit(radix) {
            Some(d) => d,
            None => return Err("bad integer literal"),
        };
        v = v
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or("integer literal out of range")?;
    }
    Ok(v)
}

impl<'a> Lexer<'a> {
    /// A lexer over file `file` (already in `sources`), reading includes relative to it and
    /// then from `include_dirs`.
    pub fn new(
        sources: &'a mut SourceMap,
        diags: &'a mut Vec<Diagnostic>,
        files_read: &'a mut Vec<PathBuf>,
        file: FileId,
        include_dirs: Vec<PathBuf>,
    ) -> Lexer<'a> {
        let (text, dir) = match sources.get(file) {
            Some(f) => (
                f.shared_text(),
                f.path().parent().map(Path::to_path_buf).unwrap_or_default(),
            ),
            None => (Arc::from(""), PathBuf::new()),
        };
        Lexer {
            sources,
            diags,
            include_dirs,
            files_read,
            stack: vec![Frame {
                file,
                text,
                pos: 0,
                dir,
            }],
            state: State::Initial,
            open_strings: Vec::new(),
        }
    }

    fn error(&mut self, code: Code, msg: impl Into<String>, span: Span, label: &str) {
        let msg: String = msg.into();
        let help = if msg.contains("integer literal") {
            "integers are decimal, 0x-hex or 0-octal (so `09` is invalid), at most 64 bits"
        } else if msg.contains("character literal") {
            "a character literal holds exactly one character, e.g. 'a' or '\\n'"
        } else if msg.contains("\\x") {
            "write `\\x` followed by one or two hex digits"
        } else if msg.contains("comment") {
            "close it with `*/`"
        } else if msg.contains("string") {
            "close it with `\"`: nothing closes it before the end of the file (and a `\\` at the end of a line does not continue it)"
        } else {
            "cpp line markers look like `# 12 \"file.dts\"`"
        };
        self.diags.push(
            Diagnostic::error(code, msg)
                .at(span, label.to_string())
                .help(help),
        );
    }

    /// Reads a binary file for `/incbin/`, relative to the file `from` is in, then the
    /// include directories (as dtc's `srcfile_relative_open`). Records it as read.
    pub fn read_binary(&mut self, name: &str, from: FileId) -> Result<Vec<u8>, String> {
        let dir = self
            .sources
            .get(from)
            .and_then(|f| f.path().parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let p = Path::new(name);
        let mut candidates = Vec::new();
        if p.is_absolute() {
            candidates.push(p.to_path_buf());
        } else {
            candidates.push(dir.join(p));
            candidates.extend(self.include_dirs.iter().map(|d| d.join(p)));
        }
        for c in &candidates {
            if let Ok(b) = std::fs::read(c) {
                self.files_read.push(c.clone());
                return Ok(b);
            }
        }
        self.files_read.push(candidates[0].clone());
        Err(candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", "))
    }

    /// The text of file `id` (for messages that quote it).
    pub fn text_of(&self, id: FileId) -> Arc<str> {
        self.sources
            .get(id)
            .map(|f| f.shared_text())
            .unwrap_or_else(|| Arc::from(""))
    }

    fn begin_default(&mut self) {
        self.state = State::V1;
    }

    fn include(&mut self, name: &[u8], span: Span) {
        let name = String::from_utf8_lossy(name).into_owned();
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.error(
                Code::Io,
                format!("includes nested more than {MAX_INCLUDE_DEPTH} deep"),
                span,
                "this include",
            );
            return;
        }
        let dir = self.stack.last().map(|f| f.dir.clone()).unwrap_or_default();
        let mut candidates = Vec::new();
        let p = Path::new(&name);
        if p.is_absolute() {
            candidates.push(p.to_path_buf());
        } else {
            candidates.push(dir.join(p));
            for d in &self.include_dirs {
                candidates.push(d.join(p));
            }
        }
        for c in &candidates {
            if let Ok(bytes) = std::fs::read(c) {
                self.files_read.push(c.clone());
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let id = self.sources.add(c.clone(), text);
                let text = self.sources.get(id).map(|f| f.shared_text());
                let text = text.unwrap_or_else(|| Arc::from(""));
                self.stack.push(Frame {
                    file: id,
                    text,
                    pos: 0,
                    dir: c.parent().map(Path::to_path_buf).unwrap_or_default(),
                });
                return;
            }
        }
        self.files_read.push(candidates[0].clone());
        self.diags.push(
            Diagnostic::error(Code::Io, format!("cannot read included file `{name}`"))
                .at(span, "included here")
                .help(format!(
                    "looked in: {}",
                    candidates
                        .iter()
                        .map(|c| c.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
        );
    }

    /// The next token. Returns [`Tok::Eof`] forever at the end.
    pub fn next_token(&mut self) -> Token {
        loop {
            let Some(frame) = self.stack.last() else {
                return Token {
                    tok: Tok::Eof,
                    span: Span::default(),
                };
            };
            let file = frame.file;
            let text = Arc::clone(&frame.text);
            let start = frame.pos;
            let all = text.as_bytes();
            if start >= all.len() {
                if self.stack.len() == 1 {
                    let span = Span::new(file, all.len(), all.len());
                    return Token {
                        tok: Tok::Eof,
                        span,
                    };
                }
                self.stack.pop();
                continue;
            }
            let (len, tok) = self.scan(all, start, file);
            let len = len.max(1);
            if let Some(f) = self.stack.last_mut() {
                if f.file == file {
                    f.pos = start + len;
                }
            }
            match tok {
                Scanned::Skip => continue,
                Scanned::Include(a, b) => {
                    // the frame's position was advanced above before pushing the new one
                    let name = all[a..b].to_vec();
                    self.include(&name, Span::new(file, start, start + len));
                    continue;
                }
                Scanned::Tok(tok) => {
                    return Token {
                        tok,
                        span: Span::new(file, start, start + len),
                    }
                }
            }
        }
    }

    fn scan(&mut self, all: &[u8], start: usize, file: FileId) -> (usize, Scanned) {
        let s = &all[start..];
        let state = self.state;
        // Fast paths that give the same result as the full longest-match below.
        let c0 = s[0];
        if is_space(c0) {
            return (
                s.iter().take_while(|&&b| is_space(b)).count(),
                Scanned::Skip,
            );
        }
        if state == State::PropNodeName && is_propnodechar(c0) && c0 != b'#' {
            let n = s.iter().take_while(|&&c| is_propnodechar(c)).count();
            if is_label_start(c0)
                && s.get(n) == Some(&b':')
                && s[..n].iter().all(|&c| is_label_char(c))
            {
                let name = String::from_utf8_lossy(&s[..n]).into_owned();
                return (n + 1, Scanned::Tok(Tok::Label(name)));
            }
            self.begin_default();
            let name = String::from_utf8_lossy(&s[..n]).into_owned();
            return (n, Scanned::Tok(Tok::Name(name)));
        }
        if state == State::V1 && c0.is_ascii_digit() {
            // only the integer literal rule (or `.`, one character) can match here
            if let Some(n) = match_literal(s) {
                let span = Span::new(file, start, start + n);
                let tok = match literal_value(&s[..n]) {
                    Ok(v) => Tok::Literal(v),
                    Err(e) => {
                        let t = String::from_utf8_lossy(&s[..n]).into_owned();
                        self.error(Code::Lexical, format!("{e} `{t}`"), span, "this literal");
                        Tok::Literal(0)
                    }
                };
                return (n, Scanned::Tok(tok));
            }
        }
        // punctuation that starts no longer token in this state: only `.` matches
        let next = s.get(1).copied().unwrap_or(0);
        let single = match c0 {
            b';' | b',' | b'{' | b'}' | b'(' | b')' => true,
            b'=' => next != b'=',
            b'<' => next != b'<' && next != b'=',
            b'>' => next != b'>' && next != b'=',
            _ => false,
        };
        if single && !(state == State::Initial && c0 == b'<') {
            if c0 == b'{' || c0 == b';' {
                self.state = State::PropNodeName;
            }
            return (1, Scanned::Tok(Tok::Char(c0)));
        }
        let at_bol = start == 0 || all[start - 1] == b'\n';
        // Candidates in flex rule order: (rule index, length).
        let mut best: (usize, usize) = (usize::MAX, 0);
        let mut consider = |rule: usize, len: Option<usize>| {
            if let Some(l) = len {
                if l > best.1 {
                    best = (rule, l);
                }
            }
        };
        // 0: /include/ WS* STRING
        if s.starts_with(b"/include/") {
            let w = s[9..].iter().take_while(|&&b| is_space(b)).count();
            consider(0, match_string(&s[9 + w..]).map(|l| 9 + w + l));
        }
        // 1: # line marker
        let marker = if at_bol { match_line_marker(s) } else { None };
        consider(1, marker.map(|m| m.0));
        // 2: string
        consider(2, match_string(s));
        let kw: [(&[u8], usize); 7] = [
            (b"/dts-v1/", 3),
            (b"/plugin/", 4),
            (b"/memreserve/", 5),
            (b"/bits/", 6),
            (b"/delete-property/", 7),
            (b"/delete-node/", 8),
            (b"/omit-if-no-ref/", 9),
        ];
        if s.first() == Some(&b'/') {
            for (k, r) in kw {
                if s.starts_with(k) {
                    consider(r, Some(k.len()));
                }
            }
        }
        consider(10, match_label_colon(s));
        if state == State::V1 {
            consider(11, match_literal(s));
        }
        consider(12, match_char_literal(s));
        if s.first() == Some(&b'&') {
            consider(13, match_label(&s[1..]).map(|l| l + 1));
            if s.starts_with(b"&{/") {
                let n = s[3..]
                    .iter()
                    .take_while(|&&b| is_propnodechar(b) || b == b'/')
                    .count();
                if s.get(3 + n) == Some(&b'}') {
                    consider(14, Some(4 + n));
                }
            }
        }
        if state == State::ByteString {
            if s.len() >= 2 && s[0].is_ascii_hexdigit() && s[1].is_ascii_hexdigit() {
                consider(15, Some(2));
            }
            if s[0] == b']' {
                consider(16, Some(1));
            }
        }
        if state == State::PropNodeName {
            let b = usize::from(s[0] == b'\\');
            let n = s[b..].iter().take_while(|&&c| is_propnodechar(c)).count();
            if n > 0 {
                consider(17, Some(b + n));
            }
        }
        if matches!(state, State::Initial | State::V1) && s.starts_with(b"/incbin/") {
            consider(18, Some(8));
        }
        let ws = s.iter().take_while(|&&b| is_space(b)).count();
        if ws > 0 {
            consider(19, Some(ws));
        }
        consider(20, match_comment(s));
        consider(21, match_line_comment(s));
        if s.len() >= 2 {
            let two = &s[..2];
            let r = match two {
                b"<<" => Some(22),
                b">>" => Some(23),
                b"<=" => Some(24),
                b">=" => Some(25),
                b"==" => Some(26),
                b"!=" => Some(27),
                b"&&" => Some(28),
                b"||" => Some(29),
                _ => None,
            };
            if let Some(r) = r {
                consider(r, Some(2));
            }
        }
        if s[0] != b'\n' {
            // `.`: one character (a whole UTF-8 sequence, to keep spans on boundaries)
            let n = if s[0] < 0x80 {
                1
            } else {
                1 + s[1..]
                    .iter()
                    .take(3)
                    .take_while(|&&b| (0x80..0xc0).contains(&b))
                    .count()
            };
            consider(30, Some(n));
        }
        let (rule, len) = best;
        let text = &s[..len];
        let span = Span::new(file, start, start + len);
        let tok = match rule {
            0 => {
                let q = text.iter().position(|&b| b == b'"').unwrap_or(0);
                return (len, Scanned::Include(start + q + 1, start + len - 1));
            }
            1 => {
                if let Some((_, line, ns, ne)) = marker {
                    let (name, err) = unescape(&s[ns..ne]);
                    if err.is_some() || name.contains(&0) {
                        self.error(
                            Code::Lexical,
                            "bad file name in line marker",
                            span,
                            "in this marker",
                        );
                    } else {
                        let line = u32::try_from(line).unwrap_or(u32::MAX);
                        self.sources.add_line_marker(
                            file,
                            start,
                            String::from_utf8_lossy(&name).into_owned(),
                            line,
                        );
                    }
                }
                return (len, Scanned::Skip);
            }
            2 => {
                let body = &text[1..len - 1];
                if let Some(nl) = body.iter().position(|&b| b == b'\n') {
                    if body[nl..].iter().any(|b| b";{}=".contains(b)) {
                        self.open_strings.push((
                            Span::new(file, start, start + 1 + nl),
                            Span::new(file, start + len - 1, start + len),
                        ));
                    }
                }
                let (v, err) = unescape(body);
                if let Some(e) = err {
                    self.error(Code::Lexical, e, span, "in this string");
                }
                Tok::Str(v)
            }
            3 => {
                self.begin_default();
                Tok::DtsV1
            }
            4 => Tok::Plugin,
            5 => {
                self.begin_default();
                Tok::MemReserve
            }
            6 => {
                self.begin_default();
                Tok::Bits
            }
            7 => {
                self.state = State::PropNodeName;
                Tok::DelProp
            }
            8 => {
                self.state = State::PropNodeName;
                Tok::DelNode
            }
            9 => {
                self.state = State::PropNodeName;
                Tok::OmitNoRef
            }
            10 => Tok::Label(String::from_utf8_lossy(&text[..len - 1]).into_owned()),
            11 => match literal_value(text) {
                Ok(v) => Tok::Literal(v),
                Err(e) => {
                    let t = String::from_utf8_lossy(text).into_owned();
                    self.error(Code::Lexical, format!("{e} `{t}`"), span, "this literal");
                    Tok::Literal(0)
                }
            },
            12 => {
                let (v, err) = unescape(&text[1..len - 1]);
                if let Some(e) = err {
                    self.error(Code::Lexical, e, span, "in this literal");
                }
                if v.is_empty() {
                    self.error(
                        Code::Lexical,
                        "empty character literal",
                        span,
                        "needs one character",
                    );
                    Tok::CharLit(0)
                } else {
                    if v.len() > 1 {
                        self.error(
                            Code::Lexical,
                            format!("character literal has {} characters instead of 1", v.len()),
                            span,
                            "one character only",
                        );
                    }
                    Tok::CharLit(u64::from(v[0]))
                }
            }
            13 => Tok::LabelRef(String::from_utf8_lossy(&text[1..]).into_owned()),
            14 => Tok::PathRef(String::from_utf8_lossy(&text[2..len - 1]).into_owned()),
            15 => {
                let v = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| u8::from_str_radix(t, 16).ok())
                    .unwrap_or(0);
                Tok::Byte(v)
            }
            16 => {
                self.begin_default();
                Tok::Char(b']')
            }
            17 => {
                self.begin_default();
                let t = if text[0] == b'\\' { &text[1..] } else { text };
                Tok::Name(String::from_utf8_lossy(t).into_owned())
            }
            18 => Tok::Incbin,
            19..=21 => return (len, Scanned::Skip),
            22 => Tok::Shl,
            23 => Tok::Shr,
            24 => Tok::Le,
            25 => Tok::Ge,
            26 => Tok::EqEq,
            27 => Tok::Ne,
            28 => Tok::AndAnd,
            29 => Tok::OrOr,
            _ => {
                let c = s[0];
                if c == b'[' {
                    self.state = State::ByteString;
                } else if c == b'{' || c == b';' {
                    self.state = State::PropNodeName;
                }
                if c == b'/' && s.get(1) == Some(&b'*') {
                    self.error(
                        Code::Lexical,
                        "unterminated comment",
                        Span::new(file, start, start + 2),
                        "this comment is never closed",
                    );
                    return (s.len(), Scanned::Skip);
                }
                if c == b'"' {
                    self.error(
                        Code::Lexical,
                        "unterminated string",
                        span,
                        "this string is never closed",
                    );
                }
                Tok::Char(c)
            }
        };
        (len, Scanned::Tok(tok))
    }
}

enum Scanned {
    Skip,
    Include(usize, usize),
    Tok(Tok),
}

/// Lexes a whole in-memory text (no includes resolved relative to disk beyond `name`'s
/// directory). Used by tests and tools.
pub fn tokenize(name: &str, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    let mut files = Vec::new();
    let id = sources.add(name, text.to_string());
    let mut lx = Lexer::new(&mut sources, &mut diags, &mut files, id, Vec::new());
    let mut out = Vec::new();
    loop {
        let t = lx.next_token();
        let eof = t.tok == Tok::Eof;
        out.push(t);
        if eof {
            break;
        }
    }
    (out, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let (t, d) = tokenize("t.dts", src);
        assert!(d.is_empty(), "{src:?}: {d:?}");
        t.into_iter().map(|t| t.tok).collect()
    }

    fn name(s: &str) -> Tok {
        Tok::Name(s.into())
    }

    #[test]
    fn token_case_table() {
        use Tok::*;
        let cases: Vec<(&str, Vec<Tok>)> = vec![
            ("/dts-v1/;", vec![DtsV1, Char(b';'), Eof]),
            (
                "/dts-v1/; /plugin/;",
                vec![DtsV1, Char(b';'), Plugin, Char(b';'), Eof],
            ),
            // after `{` names may hold `,._+*#?@-` and digits
            (
                "{ #address-cells",
                vec![Char(b'{'), name("#address-cells"), Eof],
            ),
            (
                "{ i2c@40002000 {",
                vec![Char(b'{'), name("i2c@40002000"), Char(b'{'), Eof],
            ),
            ("{ 0digit", vec![Char(b'{'), name("0digit"), Eof]),
            ("{ \\escaped", vec![Char(b'{'), name("escaped"), Eof]),
            // a label wins over a name by one character (the colon)
            (
                "{ lbl: node",
                vec![Char(b'{'), Label("lbl".into()), name("node"), Eof],
            ),
            // outside names, numbers are literals (V1 state after /dts-v1/)
            (
                "/dts-v1/ 0x10 010 10 7ULL",
                vec![DtsV1, Literal(16), Literal(8), Literal(10), Literal(7), Eof],
            ),
            (
                "/dts-v1/ 'a' '\\n' '\\''",
                vec![DtsV1, CharLit(97), CharLit(10), CharLit(39), Eof],
            ),
            (
                "\"a\\tb\\x41\\101\\0\"",
                vec![Str(b"a\tbAA\0".to_vec()), Eof],
            ),
            (
                "&lbl &{/soc/i2c@1}",
                vec![LabelRef("lbl".into()), PathRef("/soc/i2c@1".into()), Eof],
            ),
            (
                "/dts-v1/ [00 ab CD]",
                vec![
                    DtsV1,
                    Char(b'['),
                    Byte(0),
                    Byte(0xab),
                    Byte(0xcd),
                    Char(b']'),
                    Eof,
                ],
            ),
            (
                "/dts-v1/ [0001abcd]",
                vec![
                    DtsV1,
                    Char(b'['),
                    Byte(0),
                    Byte(1),
                    Byte(0xab),
                    Byte(0xcd),
                    Char(b']'),
                    Eof,
                ],
            ),
            (
                "/dts-v1/ << >> <= >= == != && ||",
                vec![DtsV1, Shl, Shr, Le, Ge, EqEq, Ne, AndAnd, OrOr, Eof],
            ),
            (
                "/bits/ /delete-node/ x",
                vec![Bits, DelNode, name("x"), Eof],
            ),
            (
                "/delete-property/ p /omit-if-no-ref/ n",
                vec![DelProp, name("p"), OmitNoRef, name("n"), Eof],
            ),
            ("/memreserve/ /incbin/", vec![MemReserve, Incbin, Eof]),
            ("/* c */ // line\n;", vec![Char(b';'), Eof]),
            ("/* a */ /* b */;", vec![Char(b';'), Eof]),
            ("# 1 \"x.dts\"\n;", vec![Char(b';'), Eof]),
            ("#line 5 \"x.dts\" 1 3\n;", vec![Char(b';'), Eof]),
            // `#` not at a line start, or without digits, is part of a name
            ("{ #gpio-cells", vec![Char(b'{'), name("#gpio-cells"), Eof]),
        ];
        for (src, want) in cases {
            assert_eq!(toks(src), want, "{src:?}");
        }
    }

    #[test]
    fn lexical_errors_are_reported() {
        for (src, msg) in [
            ("/dts-v1/ 09", "bad integer literal"),
            ("/dts-v1/ 0x1ffffffffffffffff", "out of range"),
            ("/dts-v1/ ''", "empty character literal"),
            ("/dts-v1/ 'ab'", "2 characters"),
            ("\"\\x\"", "no following hex digits"),
            ("/* open", "unterminated comment"),
            ("\"open", "unterminated string"),
        ] {
            let (_, d) = tokenize("t.dts", src);
            assert!(d.iter().any(|d| d.message.contains(msg)), "{src:?}: {d:?}");
        }
    }

    #[test]
    fn line_markers_remap_locations() {
        let mut sources = SourceMap::new();
        let id = sources.add("out.dts", "# 10 \"board.dts\"\nfoo\nbar\n".to_string());
        let mut diags = Vec::new();
        let mut files = Vec::new();
        let mut lx = Lexer::new(&mut sources, &mut diags, &mut files, id, Vec::new());
        while lx.next_token().tok != Tok::Eof {}
        let loc = sources.locate(Span::new(id, 21, 22)).expect("located");
        assert_eq!((loc.file.as_str(), loc.line, loc.col), ("board.dts", 11, 1));
    }
}
