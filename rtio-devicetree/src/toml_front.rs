//! TOML front end: the same tree, written as TOML, for projects that do not want DTS.
//!
//! The document is the root node. A key whose value is a table is a child node (the key is
//! the node name, unit address included); every other key is a property. Labels are given
//! with the key `"@label"` (a string) or `"@labels"` (an array) — `@` cannot start a
//! property name, so these never clash with real properties.
//!
//! | TOML value                         | devicetree value          |
//! |------------------------------------|---------------------------|
//! | `true`                             | empty (boolean) property  |
//! | `false`                            | property left out         |
//! | `"text"` / `["a", "b"]`            | string / string list      |
//! | `5` / `[1, 2, 3]`                  | `<0x05>` / `<1 2 3>`      |
//! | `{ ref = "clk" }` inside an array  | `<&clk>` phandle cell     |
//! | `{ path = "uart0" }`               | `&uart0` (path string)    |
//! | `{ bytes = [1, 2] }`               | `[01 02]`                 |
//! | `{ bits = 64, cells = [1] }`       | `/bits/ 64 <1>`           |
//!
//! ```toml
//! compatible = "rtio,board"
//! "#address-cells" = 1
//! "#size-cells" = 1
//! ["i2c@40002000"]
//! "@label" = "i2c0"
//! compatible = "ti,stellaris-i2c"
//! reg = [0x40002000, 0x1000]
//! ```

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Cell, Label, NodeId, Piece, Property, Ref, RefKind, Tree, Value};
use crate::source::{FileId, Span};

const VALUE_KEYS: &[&str] = &["ref", "path", "bytes", "bits", "cells"];

fn sp(file: FileId, r: std::ops::Range<usize>) -> Span {
    Span::new(file, r.start, r.end)
}

fn int(v: &DeValue<'_>) -> Option<i128> {
    let i = v.as_integer()?;
    let s = i.as_str().replace('_', "");
    i128::from_str_radix(&s, i.radix()).ok()
}

struct Front<'d> {
    file: FileId,
    depth: usize,
    diags: &'d mut Vec<Diagnostic>,
}

impl Front<'_> {
    fn err(&mut self, span: Span, msg: impl Into<String>, label: &str, help: &str) {
        self.diags.push(
            Diagnostic::error(Code::Toml, msg)
                .at(span, label.to_string())
                .help(help.to_string()),
        );
    }

    fn is_value_table(t: &DeTable<'_>) -> bool {
        !t.is_empty() && t.keys().all(|k| VALUE_KEYS.contains(&k.get_ref().as_ref()))
    }

    fn node(&mut self, tree: &mut Tree, id: NodeId, table: &DeTable<'_>) {
        for (k, v) in table.iter() {
            let key: &str = k.get_ref();
            let kspan = sp(self.file, k.span());
            if key == "@label" || key == "@labels" {
                let names: Vec<(String, Span)> = match v.get_ref() {
                    DeValue::String(s) => vec![(s.to_string(), sp(self.file, v.span()))],
                    DeValue::Array(a) => a
                        .iter()
                        .filter_map(|x| {
                            x.get_ref()
                                .as_str()
                                .map(|s| (s.to_string(), sp(self.file, x.span())))
                        })
                        .collect(),
                    _ => {
                        self.err(
                            sp(self.file, v.span()),
                            "labels must be strings",
                            "here",
                            "write `\"@label\" = \"name\"`",
                        );
                        continue;
                    }
                };
                for (name, span) in names {
                    let ok = name.bytes().enumerate().all(|(i, c)| {
                        c == b'_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
                    });
                    if !ok || name.is_empty() {
                        self.err(
                            span,
                            format!("invalid label `{name}`"),
                            "not a label",
                            "labels are letters, digits and `_`, not starting with a digit",
                        );
                        continue;
                    }
                    let l = Label {
                        name,
                        span,
                        deleted: false,
                    };
                    let n = tree.node_mut(id);
                    if !n.labels.iter().any(|x| x.name == l.name) {
                        n.labels.push(l);
                    }
                }
                continue;
            }
            if let DeValue::Table(t) = v.get_ref() {
                if !Self::is_value_table(t) {
                    if self.depth >= crate::parser::MAX_NODE_DEPTH {
                        self.err(
                            kspan,
                            "nodes nested too deeply",
                            "this table",
                            "flatten the tree",
                        );
                        continue;
                    }
                    let child = tree.alloc(key.to_string(), kspan);
                    tree.add_child(id, child);
                    self.depth += 1;
                    self.node(tree, child, t);
                    self.depth -= 1;
                    continue;
                }
            }
            if let DeValue::Boolean(false) = v.get_ref() {
                continue;
            }
            if let Some(value) = self.value(v) {
                tree.node_mut(id).props.push(Property {
                    name: std::sync::Arc::from(key),
                    name_span: kspan,
                    labels: Vec::new(),
                    value,
                    deleted: false,
                });
            }
        }
    }

    fn cell(&mut self, v: &Spanned<DeValue<'_>>, bits: u8) -> Option<Cell> {
        let span = sp(self.file, v.span());
        match v.get_ref() {
            DeValue::Integer(_) => {
                let i = int(v.get_ref())?;
                let max: i128 = if bits == 64 {
                    u64::MAX as i128
                } else {
                    (1i128 << bits) - 1
                };
                if i < 0 || i > max {
                    self.err(
                        span,
                        format!("{i} does not fit in a {bits}-bit cell"),
                        "out of range",
                        "use `{ bits = 64, cells = [..] }` for wider values",
                    );
                    return None;
                }
                Some(Cell::Num {
                    value: i as u64,
                    span,
                })
            }
            DeValue::Table(t) if t.len() == 1 && t.get("ref").is_some() => {
                let r = t.get("ref")?;
                let Some(name) = r.get_ref().as_str() else {
                    self.err(
                        span,
                        "`ref` must be a label string",
                        "here",
                        "write `{ ref = \"label\" }`",
                    );
                    return None;
                };
                let kind = if name.starts_with('/') {
                    RefKind::Path
                } else {
                    RefKind::Label
                };
                Some(Cell::Phandle {
                    target: Box::new(Ref {
                        kind,
                        target: name.to_string(),
                        span: sp(self.file, r.span()),
                    }),
                    value: 0,
                })
            }
            _ => {
                self.err(
                    span,
                    "expected an integer or `{ ref = \"label\" }`",
                    "not a cell",
                    "cells are integers or phandle references",
                );
                None
            }
        }
    }

    fn value(&mut self, v: &Spanned<DeValue<'_>>) -> Option<Value> {
        let span = sp(self.file, v.span());
        let piece = match v.get_ref() {
            DeValue::Boolean(true) => return Some(Value::default()),
            DeValue::String(s) => Piece::Str {
                bytes: s.as_bytes().to_vec(),
                span,
            },
            DeValue::Integer(_) => Piece::Cells {
                bits: 32,
                cells: vec![self.cell(v, 32)?],
                span,
            },
            DeValue::Array(a) => {
                if a.iter().all(|x| x.get_ref().is_str()) && !a.is_empty() {
                    let pieces = a
                        .iter()
                        .filter_map(|x| {
                            x.get_ref().as_str().map(|s| Piece::Str {
                                bytes: s.as_bytes().to_vec(),
                                span: sp(self.file, x.span()),
                            })
                        })
                        .collect();
                    return Some(Value { pieces });
                }
                let mut cells = Vec::new();
                for x in a.iter() {
                    cells.push(self.cell(x, 32)?);
                }
                Piece::Cells {
                    bits: 32,
                    cells,
                    span,
                }
            }
            DeValue::Table(t) => {
                if let Some(p) = t.get("path") {
                    let Some(name) = p.get_ref().as_str() else {
                        self.err(
                            span,
                            "`path` must be a string",
                            "here",
                            "write `{ path = \"label\" }`",
                        );
                        return None;
                    };
                    let kind = if name.starts_with('/') {
                        RefKind::Path
                    } else {
                        RefKind::Label
                    };
                    Piece::Path {
                        target: Box::new(Ref {
                            kind,
                            target: name.to_string(),
                            span: sp(self.file, p.span()),
                        }),
                        resolved: None,
                    }
                } else if let Some(b) = t.get("bytes") {
                    let mut bytes = Vec::new();
                    for x in b
                        .get_ref()
                        .as_array()
                        .map(|a| a.iter().collect::<Vec<_>>())
                        .unwrap_or_default()
                    {
                        match int(x.get_ref()) {
                            Some(i) if (0..=255).contains(&i) => bytes.push(i as u8),
                            _ => {
                                self.err(
                                    sp(self.file, x.span()),
                                    "bytes must be integers 0..=255",
                                    "not a byte",
                                    "write `{ bytes = [0x01, 0x02] }`",
                                );
                                return None;
                            }
                        }
                    }
                    Piece::Bytes {
                        bytes: bytes.into_boxed_slice(),
                        labels: Box::new([]),
                        span,
                    }
                } else if let Some(c) = t.get("cells") {
                    let bits = match t.get("bits").map(|b| int(b.get_ref())) {
                        None => 32,
                        Some(Some(b @ (8 | 16 | 32 | 64))) => b as u8,
                        Some(_) => {
                            self.err(
                                span,
                                "`bits` must be 8, 16, 32 or 64",
                                "here",
                                "write `{ bits = 64, cells = [..] }`",
                            );
                            return None;
                        }
                    };
                    let mut cells = Vec::new();
                    for x in c
                        .get_ref()
                        .as_array()
                        .map(|a| a.iter().collect::<Vec<_>>())
                        .unwrap_or_default()
                    {
                        let cell = self.cell(x, bits)?;
                        if bits != 32 && matches!(cell, Cell::Phandle { .. }) {
                            self.err(
                                sp(self.file, x.span()),
                                "references are only allowed in 32-bit cells",
                                "here",
                                "drop `bits` for phandle lists",
                            );
                            return None;
                        }
                        cells.push(cell);
                    }
                    Piece::Cells { bits, cells, span }
                } else if t.get("ref").is_some() {
                    Piece::Cells {
                        bits: 32,
                        cells: vec![self.cell(v, 32)?],
                        span,
                    }
                } else {
                    self.err(
                        span,
                        "unexpected table",
                        "here",
                        "value tables use `ref`, `path`, `bytes` or `bits`+`cells`",
                    );
                    return None;
                }
            }
            other => {
                self.err(
                    span,
                    format!("a TOML {} cannot be a devicetree value", other.type_str()),
                    "unsupported",
                    "use strings, integers, arrays, booleans or value tables",
                );
                return None;
            }
        };
        Some(Value {
            pieces: smallvec::smallvec![piece],
        })
    }
}

/// Parses a TOML devicetree.
///
/// # Errors
/// Returns `None` if the TOML is invalid or a value cannot be mapped; problems go to `diags`.
pub fn parse(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Tree> {
    let doc = match DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let span = e
                .span()
                .map(|r| sp(file, r))
                .unwrap_or(Span::new(file, 0, 0));
            diags.push(
                Diagnostic::error(Code::Toml, format!("invalid TOML: {}", e.message().trim()))
                    .at(span, "here")
                    .help("see the TOML devicetree format in the rtio-devicetree docs"),
            );
            return None;
        }
    };
    let before = diags.len();
    let mut tree = Tree::new(Span::new(file, 0, 0));
    tree.syntax = crate::syntax::Syntax::Toml;
    let root = tree.root;
    let mut f = Front {
        file,
        depth: 0,
        diags,
    };
    f.node(&mut tree, root, doc.get_ref());
    (diags.len() == before).then_some(tree)
}

#[cfg(test)]
mod tests {
    use crate::pipeline::{load_str, Options};

    fn dts(toml: &str) -> Result<String, String> {
        let opts = Options {
            dtc_only: true,
            ..Options::default()
        };
        load_str("t.toml", toml, &opts)
            .map(|c| crate::canonical::to_dts(&c.tree))
            .map_err(|d| d.render())
    }

    #[test]
    fn value_mapping_case_table() {
        let cases = [
            ("p = true", "\tp;\n"),
            ("p = false", ""),
            ("p = \"text\"", "\tp = \"text\";\n"),
            ("p = [\"a\", \"b\"]", "\tp = \"a\", \"b\";\n"),
            ("p = 5", "\tp = <0x05>;\n"),
            ("p = [1, 2, 0x30]", "\tp = <0x01 0x02 0x30>;\n"),
            ("p = { bytes = [1, 0xab] }", "\tp = [01 ab];\n"),
            (
                "p = { bits = 64, cells = [0x100000000] }",
                "\tp = /bits/ 64 <0x100000000>;\n",
            ),
            (
                "p = { bits = 16, cells = [1, 2] }",
                "\tp = /bits/ 16 <0x01 0x02>;\n",
            ),
            ("p = { bits = 8, cells = [255] }", "\tp = [ff];\n"),
        ];
        for (toml, want) in cases {
            let out = dts(toml).unwrap_or_else(|e| panic!("{toml}: {e}"));
            assert_eq!(out, format!("/dts-v1/;\n\n/ {{\n{want}}};\n"), "{toml}");
        }
    }

    #[test]
    fn nodes_labels_and_references() {
        let out = dts(
            "[a]\n\"@label\" = \"x\"\n[b]\n\"@labels\" = [\"y\", \"z\"]\nr = [{ ref = \"x\" }, 7]\npath = { path = \"y\" }\n",
        )
        .expect("valid");
        assert_eq!(
            out,
            "/dts-v1/;\n\n/ {\n\n\tx: a {\n\t\tphandle = <0x01>;\n\t};\n\n\ty: z: b {\n\t\tr = <0x01 0x07>;\n\t\tpath = \"/b\";\n\t};\n};\n"
        );
    }

    #[test]
    fn bad_values_are_errors() {
        for (toml, msg) in [
            ("p = 1.5", "a TOML float cannot be a devicetree value"),
            ("p = -1", "does not fit in a 32-bit cell"),
            ("p = 0x100000000", "does not fit in a 32-bit cell"),
            (
                "p = { bits = 12, cells = [1] }",
                "`bits` must be 8, 16, 32 or 64",
            ),
            ("p = { bytes = [256] }", "bytes must be integers 0..=255"),
            (
                "p = { bits = 64, cells = [{ ref = \"a\" }] }",
                "references are only allowed in 32-bit cells",
            ),
            ("[n]\n\"@label\" = \"1bad\"", "invalid label `1bad`"),
            (
                "p = [{ ref = \"missing\" }]",
                "reference to undefined label `missing`",
            ),
        ] {
            let e = dts(toml).expect_err(toml);
            assert!(e.contains(msg), "{toml}: {e}");
        }
    }
}
