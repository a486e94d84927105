//! Canonical DTS output, byte for byte what `dtc -I dts -O dts` (1.6.x) prints.
//!
//! A property value is first encoded the way dtc stores it: the raw big-endian bytes plus a
//! list of *markers* (type changes, labels, references) at byte offsets. The printer then
//! walks the markers exactly like dtc's `write_propval`, so the same quirks come out: cells
//! in `<0x..>` hex, bytes in `[..]`, a space after a phandle reference position, and so on.

use std::fmt::Write as _;

use crate::model::{Cell, NodeId, Piece, Property, Tree, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    U8,
    U16,
    U32,
    U64,
    Str,
}

#[derive(Clone, Debug)]
enum MarkKind<'a> {
    Type(Ty),
    Label(&'a str),
    Ref,
}

#[derive(Clone, Debug)]
struct Marker<'a> {
    offset: usize,
    kind: MarkKind<'a>,
}

/// Encodes a value as dtc's bytes and markers.
fn encode(value: &Value) -> (Vec<u8>, Vec<Marker<'_>>) {
    let mut d = Vec::new();
    let mut m = Vec::new();
    for piece in &value.pieces {
        match piece {
            Piece::Str { bytes, .. } => {
                m.push(Marker {
                    offset: d.len(),
                    kind: MarkKind::Type(Ty::Str),
                });
                d.extend_from_slice(bytes);
                d.push(0);
            }
            Piece::Cells { bits, cells, .. } => {
                let ty = match bits {
                    8 => Ty::U8,
                    16 => Ty::U16,
                    64 => Ty::U64,
                    _ => Ty::U32,
                };
                m.push(Marker {
                    offset: d.len(),
                    kind: MarkKind::Type(ty),
                });
                let width = usize::from(*bits / 8).max(1);
                for c in cells {
                    match c {
                        Cell::Num { value, .. } => {
                            d.extend_from_slice(&value.to_be_bytes()[8 - width..]);
                        }
                        Cell::Phandle { value, .. } => {
                            if *bits == 32 {
                                m.push(Marker {
                                    offset: d.len(),
                                    kind: MarkKind::Ref,
                                });
                            }
                            d.extend_from_slice(&u64::from(*value).to_be_bytes()[8 - width..]);
                        }
                        Cell::Label(l) => m.push(Marker {
                            offset: d.len(),
                            kind: MarkKind::Label(&l.name),
                        }),
                    }
                }
            }
            Piece::Bytes { bytes, labels, .. } => {
                let base = d.len();
                m.push(Marker {
                    offset: base,
                    kind: MarkKind::Type(Ty::U8),
                });
                let mut li = labels.iter().peekable();
                for (i, b) in bytes.iter().enumerate() {
                    while let Some((off, l)) = li.peek() {
                        if *off == i {
                            m.push(Marker {
                                offset: base + i,
                                kind: MarkKind::Label(&l.name),
                            });
                            li.next();
                        } else {
                            break;
                        }
                    }
                    d.push(*b);
                }
                for (_, l) in li {
                    m.push(Marker {
                        offset: d.len(),
                        kind: MarkKind::Label(&l.name),
                    });
                }
            }
            Piece::Path { target, resolved } => {
                m.push(Marker {
                    offset: d.len(),
                    kind: MarkKind::Type(Ty::Str),
                });
                m.push(Marker {
                    offset: d.len(),
                    kind: MarkKind::Ref,
                });
                let p = resolved.as_deref().unwrap_or(&target.target);
                d.extend_from_slice(p.as_bytes());
                d.push(0);
            }
            Piece::Raw { bytes, .. } => d.extend_from_slice(bytes),
            Piece::Label(l) => m.push(Marker {
                offset: d.len(),
                kind: MarkKind::Label(&l.name),
            }),
        }
    }
    (d, m)
}

fn is_type(m: &Marker<'_>) -> bool {
    matches!(m.kind, MarkKind::Type(_))
}

fn isprint(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

fn isstring(c: u8) -> bool {
    isprint(c) || c == 0 || b"\x07\x08\t\n\x0b\x0c\r".contains(&c)
}

fn guess_type(d: &[u8], marks: &[Marker<'_>]) -> Ty {
    let len = d.len();
    let nnotstring = d.iter().filter(|&&c| !isstring(c)).count();
    let nnul = d.iter().filter(|&&c| c == 0).count();
    let mut nnotstringlbl = 0;
    let mut nnotcelllbl = 0;
    for m in marks {
        if let MarkKind::Label(_) = m.kind {
            if m.offset > 0 && d.get(m.offset - 1) != Some(&0) {
                nnotstringlbl += 1;
            }
            if m.offset % 4 != 0 {
                nnotcelllbl += 1;
            }
        }
    }
    if d.last() == Some(&0) && nnotstring == 0 && nnul <= len - nnul && nnotstringlbl == 0 {
        Ty::Str
    } else if len.is_multiple_of(4) && nnotcelllbl == 0 {
        Ty::U32
    } else {
        Ty::U8
    }
}

fn write_string(out: &mut String, s: &[u8]) {
    if s.is_empty() {
        return;
    }
    let body = &s[..s.len() - 1];
    out.push('"');
    for &c in body {
        match c {
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0 => out.push_str("\\0"),
            c if isprint(c) => out.push(c as char),
            // dtc passes a (signed) char to printf: bytes >= 0x80 print sign-extended
            c if c >= 0x80 => {
                let _ = write!(out, "\\x{:02x}", 0xffff_ff00u32 | u32::from(c));
            }
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('"');
}

fn write_ints(out: &mut String, p: &[u8], width: usize) {
    let n = p.len() / width;
    for (i, ch) in p.chunks(width).enumerate() {
        if ch.len() < width {
            break;
        }
        let mut v: u64 = 0;
        for b in ch {
            v = (v << 8) | u64::from(*b);
        }
        if width == 1 {
            let _ = write!(out, "{v:02x}");
        } else {
            let _ = write!(out, "0x{v:02x}");
        }
        if i + 1 < n {
            out.push(' ');
        }
    }
}

fn write_propval(out: &mut String, value: &Value) {
    let (d, marks) = encode(value);
    let len = d.len();
    if len == 0 {
        out.push_str(";\n");
        return;
    }
    out.push_str(" =");
    let dummy;
    let marks: &[Marker<'_>] = if marks.iter().any(is_type) {
        &marks
    } else {
        let mut v = vec![Marker {
            offset: 0,
            kind: MarkKind::Type(guess_type(&d, &marks)),
        }];
        v.extend(marks.iter().cloned());
        dummy = v;
        &dummy
    };
    let mut emit: Option<Ty> = None;
    for (i, m) in marks.iter().enumerate() {
        let next_off = marks.get(i + 1).map(|n| n.offset).unwrap_or(len);
        let chunk_len = next_off.saturating_sub(m.offset);
        let type_len = marks[i + 1..]
            .iter()
            .find(|n| is_type(n))
            .map(|n| n.offset - m.offset)
            .unwrap_or(0);
        let data_len = if type_len == 0 {
            len - m.offset
        } else {
            type_len
        };
        let p = d.get(m.offset..m.offset + chunk_len).unwrap_or(&[]);
        match m.kind {
            MarkKind::Type(t) => {
                emit = Some(t);
                out.push(' ');
                out.push_str(match t {
                    Ty::U8 => "[",
                    Ty::U16 => "/bits/ 16 <",
                    Ty::U32 => "<",
                    Ty::U64 => "/bits/ 64 <",
                    Ty::Str => "",
                });
            }
            MarkKind::Label(l) => {
                out.push(' ');
                out.push_str(l);
                out.push(':');
            }
            MarkKind::Ref => {
                if m.offset != 0 {
                    out.push(' ');
                }
            }
        }
        let Some(t) = emit else {
            continue;
        };
        match t {
            Ty::U16 => write_ints(out, p, 2),
            Ty::U32 => write_ints(out, p, 4),
            Ty::U64 => write_ints(out, p, 8),
            Ty::Str => write_string(out, p),
            Ty::U8 => write_ints(out, p, 1),
        }
        if chunk_len == data_len {
            let pos = m.offset + chunk_len;
            out.push_str(match t {
                Ty::U8 => "]",
                Ty::Str => "",
                _ => ">",
            });
            if pos != len {
                out.push(',');
            }
            emit = None;
        }
    }
    out.push_str(";\n");
}

fn prefix(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push('\t');
    }
}

fn write_prop(out: &mut String, prop: &Property, level: usize) {
    prefix(out, level);
    for l in prop.labels.iter().filter(|l| !l.deleted) {
        out.push_str(&l.name);
        out.push_str(": ");
    }
    out.push_str(&prop.name);
    write_propval(out, &prop.value);
}

struct Sink<'a> {
    w: Option<&'a mut dyn std::fmt::Write>,
    failed: bool,
}

impl Sink<'_> {
    fn maybe_flush(&mut self, out: &mut String) {
        if out.len() > 1 << 16 {
            self.flush(out);
        }
    }

    fn flush(&mut self, out: &mut String) {
        if let Some(w) = self.w.as_mut() {
            if w.write_str(out).is_err() {
                self.failed = true;
            }
            out.clear();
        }
    }
}

fn write_node(out: &mut String, sink: &mut Sink<'_>, tree: &Tree, id: NodeId, level: usize) {
    let n = tree.node(id);
    prefix(out, level);
    for l in n.live_labels() {
        out.push_str(&l.name);
        out.push_str(": ");
    }
    if n.name.is_empty() {
        out.push_str("/ {\n");
    } else {
        out.push_str(&n.name);
        out.push_str(" {\n");
    }
    for p in n.live_props() {
        write_prop(out, p, level + 1);
    }
    if n.auto_phandle {
        prefix(out, level + 1);
        let _ = writeln!(out, "phandle = <0x{:02x}>;", n.phandle);
    }
    sink.maybe_flush(out);
    for c in tree.children(id) {
        out.push('\n');
        write_node(out, sink, tree, c, level + 1);
    }
    prefix(out, level);
    out.push_str("};\n");
}

/// Prints a checked tree as `dtc -I dts -O dts` does.
pub fn to_dts(tree: &Tree) -> String {
    let mut out = String::with_capacity(1 << 16);
    let mut sink = Sink {
        w: None,
        failed: false,
    };
    write_all(&mut out, &mut sink, tree);
    out
}

/// Like [`to_dts`], streaming into `w` a chunk at a time.
///
/// # Errors
/// If the writer reports an error.
pub fn write_dts(tree: &Tree, w: &mut dyn std::fmt::Write) -> std::fmt::Result {
    let mut out = String::with_capacity((1 << 16) + 4096);
    let mut sink = Sink {
        w: Some(w),
        failed: false,
    };
    write_all(&mut out, &mut sink, tree);
    sink.flush(&mut out);
    if sink.failed {
        Err(std::fmt::Error)
    } else {
        Ok(())
    }
}

fn write_all(out: &mut String, sink: &mut Sink<'_>, tree: &Tree) {
    out.push_str("/dts-v1/;\n\n");
    for r in &tree.memreserves {
        for l in r.labels.iter().filter(|l| !l.deleted) {
            out.push_str(&l.name);
            out.push_str(": ");
        }
        let _ = writeln!(out, "/memreserve/\t0x{:016x} 0x{:016x};", r.address, r.size);
    }
    write_node(out, sink, tree, tree.root, 0);
}
