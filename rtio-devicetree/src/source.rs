//! Source files, byte spans and the line/column mapping used when rendering diagnostics.
//!
//! Every byte of input the front ends read lives in a [`SourceMap`]. Spans are byte ranges
//! into one file; line and column are computed only when a diagnostic is rendered. Files run
//! through the C preprocessor carry `# 12 "board.dts"` markers: those are recorded as line
//! remaps so that rendered positions name the original file and line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the bytes are in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span of `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: clamp_u32(start),
            end: clamp_u32(end.max(start)),
        }
    }

    /// The smallest span covering `self` and `other` (if in the same file; else `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

fn clamp_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A `# LINE "FILE"` marker: from real line `from_line` (0-based) on, positions are reported
/// as `file` line `line` (1-based) onwards.
#[derive(Clone, Debug)]
struct LineRemap {
    from_line: u32,
    file: String,
    line: u32,
}

/// One input file and its text.
#[derive(Debug)]
pub struct SourceFile {
    path: PathBuf,
    text: Arc<str>,
    line_starts: Vec<u32>,
    remaps: Vec<LineRemap>,
}

impl SourceFile {
    /// The path the file was read from (or the name it was given).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The full text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A shared handle to the text.
    pub fn shared_text(&self) -> Arc<str> {
        Arc::clone(&self.text)
    }

    fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

/// A resolved position: what a diagnostic prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location<'a> {
    /// File name as the user knows it (after `# line` remapping).
    pub file: String,
    /// 1-based line (after remapping).
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// The text of the real line holding the start of the span (no newline).
    pub line_text: &'a str,
    /// Byte offset of the span start within `line_text`.
    pub line_offset: usize,
}

/// All files read during one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(clamp_u32(i + 1));
            }
        }
        let id = FileId(clamp_u32(self.files.len()));
        self.files.push(SourceFile {
            path: path.into(),
            text: Arc::from(text),
            line_starts,
            remaps: Vec::new(),
        });
        id
    }

    /// The file with id `id`, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The text of file `id` (empty if unknown).
    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map(|f| &*f.text).unwrap_or("")
    }

    /// The source text a span covers (empty if out of bounds).
    pub fn snippet(&self, span: Span) -> &str {
        self.text(span.file)
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// All files, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// Records a `# LINE "FILE"` marker found at byte `offset` of `id`: the line after the
    /// marker is line `line` of `file`.
    pub fn add_line_marker(&mut self, id: FileId, offset: usize, file: String, line: u32) {
        if let Some(f) = self.files.get_mut(id.0 as usize) {
            let real = f.line_index(clamp_u32(offset));
            f.remaps.push(LineRemap {
                from_line: clamp_u32(real + 1),
                file,
                line,
            });
        }
    }

    /// Line, column and line text of the start of `span`.
    pub fn locate(&self, span: Span) -> Option<Location<'_>> {
        let f = self.get(span.file)?;
        let start = span.start.min(clamp_u32(f.text.len()));
        let li = f.line_index(start);
        let ls = *f.line_starts.get(li)? as usize;
        let le = f
            .line_starts
            .get(li + 1)
            .map(|&e| e as usize)
            .unwrap_or(f.text.len());
        let raw = f.text.get(ls..le).unwrap_or("");
        let line_text = raw.trim_end_matches(['\n', '\r']);
        let mut off = (start as usize).saturating_sub(ls).min(line_text.len());
        while !line_text.is_char_boundary(off) {
            off -= 1;
        }
        let col = line_text
            .get(..off)
            .map(|s| s.chars().count())
            .unwrap_or(off) as u32
            + 1;
        let (file, line) = match f.remaps.iter().rev().find(|r| r.from_line as usize <= li) {
            Some(r) => (
                r.file.clone(),
                r.line.saturating_add(clamp_u32(li) - r.from_line),
            ),
            None => (f.path.display().to_string(), clamp_u32(li) + 1),
        };
        Some(Location {
            file,
            line,
            col,
            line_text,
            line_offset: off,
        })
    }
}
