//! How a property is written in the user's input syntax, for hints: a DTS board gets
//! `reg = <0x48>;`, a TOML board gets `reg = 0x48`.

/// The front end a tree came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Syntax {
    /// Devicetree source (`.dts`).
    #[default]
    Dts,
    /// The TOML form (`.toml`, see [`crate::toml_front`]).
    Toml,
}

/// An example value for a hint.
#[derive(Clone, Copy, Debug)]
pub enum Example<'a> {
    /// 32-bit cells: `<1 2>` / `[1, 2]` (one cell: `1`).
    Cells(&'a [u64]),
    /// One 64-bit value: `/bits/ 64 <x>` / `{ bits = 64, cells = [x] }`.
    Bits64(u64),
    /// One string.
    Str(&'a str),
    /// A string list.
    Strs(&'a [&'a str]),
    /// Bytes: `[01 02]` / `{ bytes = [0x01, 0x02] }`.
    Bytes(&'a [u8]),
    /// An empty (boolean) property.
    Bool,
    /// Phandles to labels, each with specifier cells: `<&gpio 3 0>`.
    Phandles(&'a str, &'a [u64]),
}

fn toml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// Small and round numbers in decimal (`3`, `100000`), others in hex (`0x48`).
fn hex(v: u64) -> String {
    if v < 10 || v.is_multiple_of(1000) {
        v.to_string()
    } else {
        format!("0x{v:x}")
    }
}

impl Syntax {
    /// `name = value` as the user writes it (without backticks).
    pub fn property(self, name: &str, value: Example<'_>) -> String {
        let list = |v: &[u64]| v.iter().map(|x| hex(*x)).collect::<Vec<_>>();
        match (self, value) {
            (Syntax::Dts, Example::Bool) => format!("{name};"),
            (Syntax::Dts, Example::Cells(c)) => format!("{name} = <{}>;", list(c).join(" ")),
            (Syntax::Dts, Example::Bits64(v)) => format!("{name} = /bits/ 64 <0x{v:x}>;"),
            (Syntax::Dts, Example::Str(s)) => format!("{name} = {s:?};"),
            (Syntax::Dts, Example::Strs(l)) => {
                let l: Vec<String> = l.iter().map(|s| format!("{s:?}")).collect();
                format!("{name} = {};", l.join(", "))
            }
            (Syntax::Dts, Example::Bytes(b)) => {
                let l: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
                format!("{name} = [{}];", l.join(" "))
            }
            (Syntax::Dts, Example::Phandles(label, cells)) => {
                let mut s = format!("{name} = <&{label}");
                for c in list(cells) {
                    s.push(' ');
                    s.push_str(&c);
                }
                s.push_str(">;");
                s
            }
            (Syntax::Toml, v) => {
                let k = toml_key(name);
                match v {
                    Example::Bool => format!("{k} = true"),
                    Example::Cells([x]) => format!("{k} = {}", hex(*x)),
                    Example::Cells(c) => format!("{k} = [{}]", list(c).join(", ")),
                    Example::Bits64(v) => format!("{k} = {{ bits = 64, cells = [0x{v:x}] }}"),
                    Example::Str(s) => format!("{k} = {s:?}"),
                    Example::Strs(l) => {
                        let l: Vec<String> = l.iter().map(|s| format!("{s:?}")).collect();
                        format!("{k} = [{}]", l.join(", "))
                    }
                    Example::Bytes(b) => {
                        let l: Vec<String> = b.iter().map(|x| format!("0x{x:02x}")).collect();
                        format!("{k} = {{ bytes = [{}] }}", l.join(", "))
                    }
                    Example::Phandles(label, cells) => {
                        let mut s = format!("{k} = [{{ ref = {label:?} }}");
                        for c in list(cells) {
                            s.push_str(", ");
                            s.push_str(&c);
                        }
                        s.push(']');
                        s
                    }
                }
            }
        }
    }

    /// How a label is put on a node: `name: node@addr { .. };` / `"@label" = "name"`.
    pub fn label_on_node(self, label: &str) -> String {
        match self {
            Syntax::Dts => format!("{label}: name@addr {{ .. }};"),
            Syntax::Toml => format!("\"@label\" = {label:?}"),
        }
    }

    /// How a node's body is extended or overridden after its first definition.
    pub fn extend_node(self) -> &'static str {
        match self {
            Syntax::Dts => "extend the node with `&label { .. }`",
            Syntax::Toml => "give the key once per table",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_case_table() {
        use Example::*;
        let cases: &[(Example<'_>, &str, &str)] = &[
            (Cells(&[0x48]), "reg = <0x48>;", "reg = 0x48"),
            (
                Cells(&[0x4000_0000, 0x1000]),
                "reg = <0x40000000 0x1000>;",
                "reg = [0x40000000, 0x1000]",
            ),
            (
                Bits64(1 << 32),
                "reg = /bits/ 64 <0x100000000>;",
                "reg = { bits = 64, cells = [0x100000000] }",
            ),
            (Str("okay"), "reg = \"okay\";", "reg = \"okay\""),
            (
                Strs(&["a", "b"]),
                "reg = \"a\", \"b\";",
                "reg = [\"a\", \"b\"]",
            ),
            (
                Bytes(&[1, 0xab]),
                "reg = [01 ab];",
                "reg = { bytes = [0x01, 0xab] }",
            ),
            (Bool, "reg;", "reg = true"),
            (
                Phandles("gpio", &[3, 0]),
                "reg = <&gpio 3 0>;",
                "reg = [{ ref = \"gpio\" }, 3, 0]",
            ),
        ];
        for (ex, dts, toml) in cases {
            assert_eq!(Syntax::Dts.property("reg", *ex), *dts);
            assert_eq!(Syntax::Toml.property("reg", *ex), *toml);
        }
        assert_eq!(
            Syntax::Toml.property("clock-frequency", Cells(&[100000])),
            "clock-frequency = 100000"
        );
        assert_eq!(
            Syntax::Toml.property("#address-cells", Cells(&[1])),
            "\"#address-cells\" = 1"
        );
    }
}
