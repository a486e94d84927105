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
//! A child node is a table inside its parent's: a dotted header names the path from the
//! root, each node name quoted where it has `@`, `,` or `#`. A table's own keys come before
//! its child tables (TOML puts every key after a `[header]` into that table); a child can
//! also be an inline table. A bus controller with two devices:
//!
//! ```toml
//! "#address-cells" = 1          # quoted: unquoted, `#` starts a TOML comment (warned)
//! "#size-cells" = 1
//!
//! [aliases]
//! sensor = { path = "temp" }    # `sensor = &temp;`
//!
//! ["gpio@40004000"]
//! "@label" = "gpioa"
//! reg = [0x40004000, 0x1000]
//! gpio-controller = true
//! "#gpio-cells" = 2
//!
//! ["i2c@40002000"]
//! "@label" = "i2c0"
//! compatible = "ti,stellaris-i2c"
//! reg = [0x40002000, 0x1000]
//! "#address-cells" = 1
//! "#size-cells" = 0
//!
//! ["i2c@40002000"."tmp105@48"]
//! "@labels" = ["temp", "sensor0"]
//! compatible = "ti,tmp105"
//! reg = 0x48
//! alert-gpios = [{ ref = "gpioa" }, 2, 0]   # <&gpioa 2 0>
//!
//! ["i2c@40002000"."eeprom@50"]
//! compatible = "atmel,24c02"
//! reg = 0x50
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
            let found = text
                .get(span.start as usize..span.end as usize)
                .unwrap_or("");
            diags.push(
                Diagnostic::error(Code::Toml, format!("invalid TOML: {}", e.message().trim()))
                    .at(span, "here")
                    .help(syntax_hint(e.message(), found)),
            );
            return None;
        }
    };
    commented_out_cells(file, text, diags);
    let warned = diags.len();
    let mut tree = Tree::new(Span::new(file, 0, 0));
    tree.syntax = crate::syntax::Syntax::Toml;
    let root = tree.root;
    let mut f = Front {
        file,
        depth: 0,
        diags,
    };
    f.node(&mut tree, root, doc.get_ref());
    (diags.len() == warned).then_some(tree)
}

/// A hint for a TOML syntax error, in TOML terms (a user coming from DTS writes DTS habits).
fn syntax_hint(message: &str, found: &str) -> String {
    let found = found.trim();
    if message.contains("unquoted key") {
        "quote keys that contain `@`, `,`, `#` or `.`: `[\"i2c@40020000\"]`, `\"#address-cells\" = 1`, `\"rtio,sensor\" = ..`".to_string()
    } else if found.starts_with('<') || found.starts_with('&') {
        "a TOML value, not DTS: cells are `reg = 0x48` or `reg = [0x40002000, 0x1000]`, a phandle is `[{ ref = \"label\" }, 1]`, a path is `{ path = \"label\" }`".to_string()
    } else if found.contains(';') {
        "TOML lines do not end with `;`".to_string()
    } else if message.contains("basic string") || message.contains("literal string") {
        "close the string with its quote on the same line (only `\"\"\"`-quoted TOML strings span lines)".to_string()
    } else if message.contains("duplicate key") {
        "a node (table) or property (key) is given twice: in TOML each appears once, so merge them"
            .to_string()
    } else {
        "tables are nodes (`[\"i2c@40020000\"]`, a child `[\"i2c@40020000\".\"tmp105@48\"]`), other keys are properties; see the TOML devicetree format in rtio-devicetree's `toml_front` docs".to_string()
    }
}

/// `#address-cells = 1` unquoted is a TOML comment, so the property silently vanishes: warn
/// about every comment that reads like a `#...-cells` (or other `#name`) property.
fn commented_out_cells(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lead = line.len() - line.trim_start().len();
        let rest = &line[lead..];
        if let Some(body) = rest.strip_prefix('#') {
            let name_len = body
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || b",._+?-".contains(b))
                .count();
            let after = body[name_len..].trim_start();
            if name_len > 0
                && body.as_bytes()[0].is_ascii_alphabetic()
                && after.starts_with('=')
                && !after.starts_with("==")
            {
                let name = &body[..name_len];
                let start = offset + lead;
                let d = Diagnostic::warning(
                    Code::Toml,
                    format!("`#{name}` is a TOML comment here, not a property"),
                )
                .at(
                    Span::new(file, start, start + 1 + name_len),
                    "`#` starts a comment in TOML",
                )
                .help(format!("quote the key: `\"#{name}\" = ..`"));
                diags.push(d);
            }
        }
        offset += line.len();
    }
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

    #[test]
    fn syntax_errors_get_toml_hints_not_dts_hints() {
        for (toml, hint) in [
            ("[i2c@40020000]\nreg = 1", "quote keys that contain `@`"),
            ("reg = <0x48>", "cells are `reg = 0x48`"),
            ("reg = &clk", "a phandle is `[{ ref = \"label\" }, 1]`"),
            ("x = 1;", "TOML lines do not end with `;`"),
            ("[a]\nx = 1\n[a]\ny = 2", "in TOML each appears once"),
            ("[a\nb = 1", "tables are nodes"),
            (
                "p = \"open\nq = 1",
                "close the string with its quote on the same line",
            ),
        ] {
            let e = dts(toml).expect_err(toml);
            let help = e
                .lines()
                .find(|l| l.contains("= help:"))
                .unwrap_or_else(|| panic!("{toml}: no hint:\n{e}"));
            assert!(help.contains(hint), "{toml}: {help}");
            assert!(
                !help.contains("<0x") && !help.contains(">;"),
                "{toml}: {help}"
            );
        }
    }

    #[test]
    fn an_unquoted_cells_key_is_a_comment_and_warns() {
        let opts = Options::default();
        let c = load_str(
            "t.toml",
            "#address-cells = 1\n  #size-cells=0\n# a comment = fine\n## heading\n\"#gpio-cells\" = 2\n",
            &opts,
        )
        .expect("warnings only");
        let w: Vec<&str> = c.warnings.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            w,
            [
                "`#address-cells` is a TOML comment here, not a property",
                "`#size-cells` is a TOML comment here, not a property"
            ]
        );
        assert!(c
            .render_warnings()
            .contains("quote the key: `\"#address-cells\" = ..`"));
        let strict = Options {
            strict: true,
            ..Options::default()
        };
        assert!(load_str("t.toml", "#size-cells = 0\n", &strict).is_err());
    }

    #[test]
    fn the_module_doc_board_is_accepted_as_documented() {
        let doc: String = include_str!("toml_front.rs")
            .lines()
            .skip_while(|l| *l != "//! ```toml")
            .skip(1)
            .take_while(|l| *l != "//! ```")
            .map(|l| format!("{}\n", l.strip_prefix("//! ").unwrap_or("")))
            .collect();
        let opts = Options {
            strict: true,
            ..Options::default()
        };
        let c = load_str("board.toml", &doc, &opts).unwrap_or_else(|e| panic!("{}", e.render()));
        let out = crate::canonical::to_dts(&c.tree);
        for want in [
            "sensor = \"/i2c@40002000/tmp105@48\";",
            "gpioa: gpio@40004000 {",
            "temp: sensor0: tmp105@48 {",
            "alert-gpios = <0x01 0x02 0x00>;",
            "eeprom@50 {",
        ] {
            assert!(out.contains(want), "missing `{want}`:\n{out}");
        }
    }
}
