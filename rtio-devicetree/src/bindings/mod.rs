//! Bindings: a small schema per `compatible`.
//!
//! A binding says which properties a node has (type, required, default), whether the node
//! provides a bus or must sit on one, and which iodev kind it becomes (with its
//! capabilities). Built-in bindings ship in `builtin.toml` in this directory; users add files
//! in the same format with [`Bindings::load_file`] or [`Bindings::load_dir`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};

/// The built-in binding file.
pub const BUILTIN: &str = include_str!("builtin.toml");

/// A property type in a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropType {
    /// One 32-bit cell.
    U32,
    /// One 64-bit value (`/bits/ 64 <x>` or two cells).
    U64,
    /// One string.
    Str,
    /// One or more strings.
    StrList,
    /// 32-bit cells.
    Array,
    /// Bytes.
    Bytes,
    /// Empty (present = true).
    Bool,
    /// One phandle.
    Phandle,
    /// Phandles with specifier cells.
    PhandleArray,
}

impl PropType {
    fn parse(s: &str) -> Option<PropType> {
        Some(match s {
            "u32" | "int" => PropType::U32,
            "u64" => PropType::U64,
            "string" => PropType::Str,
            "string-array" => PropType::StrList,
            "array" => PropType::Array,
            "uint8-array" => PropType::Bytes,
            "boolean" => PropType::Bool,
            "phandle" => PropType::Phandle,
            "phandle-array" | "phandles" => PropType::PhandleArray,
            _ => return None,
        })
    }

    /// The name used in binding files and messages.
    pub fn name(self) -> &'static str {
        match self {
            PropType::U32 => "u32",
            PropType::U64 => "u64",
            PropType::Str => "string",
            PropType::StrList => "string-array",
            PropType::Array => "array",
            PropType::Bytes => "uint8-array",
            PropType::Bool => "boolean",
            PropType::Phandle => "phandle",
            PropType::PhandleArray => "phandle-array",
        }
    }
}

/// A default value from a binding.
#[derive(Clone, Debug, PartialEq)]
pub enum Default {
    /// An integer.
    Int(u64),
    /// A string.
    Str(String),
    /// A list of integers.
    Ints(Vec<u64>),
}

/// One property in a binding.
#[derive(Clone, Debug)]
pub struct PropSpec {
    /// Property name.
    pub name: String,
    /// Expected type.
    pub ty: PropType,
    /// Must be present.
    pub required: bool,
    /// Value used when absent.
    pub default: Option<Default>,
    /// The Rust type of the generated constant, for a `u32` property whose API takes a
    /// narrower or wider integer (`rust = "u16"` for a display's `width`, `"usize"` for a
    /// memory's `size`); the value is checked to fit.
    pub rust: Option<RustInt>,
}

/// The Rust integer type a `u32` property's constant is generated as (`rust = "..."`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RustInt {
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `usize` (checked against 32 bits, the narrowest `usize` rtio's targets have)
    Usize,
}

impl RustInt {
    fn parse(s: &str) -> Option<RustInt> {
        Some(match s {
            "u8" => RustInt::U8,
            "u16" => RustInt::U16,
            "u32" => RustInt::U32,
            "usize" => RustInt::Usize,
            _ => return None,
        })
    }

    /// The type's name in Rust.
    pub fn name(self) -> &'static str {
        match self {
            RustInt::U8 => "u8",
            RustInt::U16 => "u16",
            RustInt::U32 => "u32",
            RustInt::Usize => "usize",
        }
    }

    /// The largest value the type holds (on every target rtio supports).
    pub fn max(self) -> u64 {
        match self {
            RustInt::U8 => u64::from(u8::MAX),
            RustInt::U16 => u64::from(u16::MAX),
            RustInt::U32 | RustInt::Usize => u64::from(u32::MAX),
        }
    }
}

/// A bus a node provides or sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bus {
    /// I2C.
    I2c,
    /// SPI.
    Spi,
}

impl Bus {
    fn parse(s: &str) -> Option<Bus> {
        match s {
            "i2c" => Some(Bus::I2c),
            "spi" => Some(Bus::Spi),
            _ => None,
        }
    }

    /// `i2c` or `spi`.
    pub fn name(self) -> &'static str {
        match self {
            Bus::I2c => "i2c",
            Bus::Spi => "spi",
        }
    }

    /// `I2C` or `SPI`, for messages.
    pub fn display(self) -> &'static str {
        match self {
            Bus::I2c => "I2C",
            Bus::Spi => "SPI",
        }
    }
}

/// A capability an iodev kind has (a trait in `rtio::caps`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// `rtio::caps::Read`
    Read,
    /// `rtio::caps::Write`
    Write,
    /// `rtio::caps::Transceive`
    Transceive,
    /// `rtio::caps::Stream`
    Stream,
}

impl Cap {
    fn parse(s: &str) -> Option<Cap> {
        Some(match s {
            "read" => Cap::Read,
            "write" => Cap::Write,
            "transceive" => Cap::Transceive,
            "stream" => Cap::Stream,
            _ => return None,
        })
    }

    /// The trait name in `rtio::caps`.
    pub fn trait_name(self) -> &'static str {
        match self {
            Cap::Read => "Read",
            Cap::Write => "Write",
            Cap::Transceive => "Transceive",
            Cap::Stream => "Stream",
        }
    }
}

/// What iodev a node becomes.
#[derive(Clone, Debug)]
pub struct Iodev {
    /// Kind name, e.g. `sensor`.
    pub kind: String,
    /// Capabilities.
    pub caps: Vec<Cap>,
}

/// The schema for one `compatible` string.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The compatible string it matches.
    pub compatible: String,
    /// One-line description.
    pub description: String,
    /// Bus the node provides to its children.
    pub provides_bus: Option<Bus>,
    /// Bus the node must sit on.
    pub on_bus: Option<Bus>,
    /// For SPI controllers: chip selects when neither `cs-gpios` nor `num-cs` is given.
    pub chip_selects: Option<u32>,
    /// The iodev kind, if the node is a device.
    pub iodev: Option<Iodev>,
    /// Properties.
    pub properties: Vec<PropSpec>,
    /// Where the binding was defined.
    pub span: Span,
}

impl Binding {
    /// The spec for property `name`.
    pub fn prop(&self, name: &str) -> Option<&PropSpec> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// All known bindings, by compatible string.
#[derive(Debug, Clone, std::default::Default)]
pub struct Bindings {
    map: HashMap<String, Binding>,
}

type Entry<'i> = toml::Spanned<DeValue<'i>>;

fn span_of(file: FileId, r: std::ops::Range<usize>) -> Span {
    Span::new(file, r.start, r.end)
}

fn int_of(v: &DeValue<'_>) -> Option<u64> {
    let i = v.as_integer()?;
    let s = i.as_str().replace('_', "");
    u64::from_str_radix(&s, i.radix()).ok()
}

impl Bindings {
    /// Only the built-in bindings.
    ///
    /// # Panics
    /// Never: the built-in file is checked by the test suite.
    pub fn builtin() -> Bindings {
        let mut b = Bindings::default();
        let mut sources = SourceMap::new();
        let id = sources.add("<builtin bindings>", BUILTIN.to_string());
        let mut diags = Vec::new();
        b.load_text(id, BUILTIN, &mut diags);
        debug_assert!(diags.is_empty(), "{diags:?}");
        b
    }

    /// The binding for a node's compatible list: the first entry that has one.
    pub fn lookup<'a>(&self, compatible: &[&'a str]) -> Option<(&'a str, &Binding)> {
        compatible
            .iter()
            .find_map(|c| self.map.get(*c).map(|b| (*c, b)))
    }

    /// Every known compatible string (for "did you mean" hints).
    pub fn compatibles(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The binding for one compatible string.
    pub fn get(&self, compatible: &str) -> Option<&Binding> {
        self.map.get(compatible)
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Loads every `*.toml` file in `dir` (sorted by name).
    ///
    /// # Errors
    /// Problems are pushed to `diags`; unreadable directories are reported too.
    pub fn load_dir(
        &mut self,
        dir: &Path,
        sources: &mut SourceMap,
        files_read: &mut Vec<PathBuf>,
        diags: &mut Vec<Diagnostic>,
    ) {
        files_read.push(dir.to_path_buf());
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        Code::Io,
                        format!("cannot read bindings directory `{}`: {e}", dir.display()),
                    )
                    .help("check the path given to `bindings_dir`"),
                );
                return;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for f in files {
            self.load_file(&f, sources, files_read, diags);
        }
    }

    /// Loads one binding file.
    ///
    /// # Errors
    /// Problems are pushed to `diags`.
    pub fn load_file(
        &mut self,
        path: &Path,
        sources: &mut SourceMap,
        files_read: &mut Vec<PathBuf>,
        diags: &mut Vec<Diagnostic>,
    ) {
        files_read.push(path.to_path_buf());
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let id = sources.add(path, text);
                let text = sources.text(id).to_string();
                self.load_text(id, &text, diags);
            }
            Err(e) => diags.push(
                Diagnostic::error(
                    Code::Io,
                    format!("cannot read binding file `{}`: {e}", path.display()),
                )
                .help("check the path"),
            ),
        }
    }

    /// Loads bindings from TOML text already in the source map as `file`.
    pub fn load_text(&mut self, file: FileId, text: &str, diags: &mut Vec<Diagnostic>) {
        let doc = match DeTable::parse(text) {
            Ok(d) => d,
            Err(e) => {
                let span = e.span().map(|r| span_of(file, r)).unwrap_or_default();
                diags.push(
                    Diagnostic::error(Code::Binding, format!("invalid TOML: {}", e.message()))
                        .at(span, "here")
                        .help("binding files are TOML: see the format in the crate docs"),
                );
                return;
            }
        };
        let root = doc.get_ref();
        let Some(list) = root.get("binding") else {
            return;
        };
        let Some(arr) = list.get_ref().as_array() else {
            diags.push(
                Diagnostic::error(Code::Binding, "`binding` must be an array of tables")
                    .at(span_of(file, list.span()), "here")
                    .help("write each binding as a `[[binding]]` section"),
            );
            return;
        };
        for item in arr.iter() {
            if let Some(b) = parse_binding(file, item, diags) {
                if b.iodev
                    .as_ref()
                    .is_some_and(|i| i.caps.contains(&Cap::Stream))
                    && !b
                        .iodev
                        .as_ref()
                        .is_some_and(|i| i.caps.contains(&Cap::Read))
                {
                    diags.push(
                        Diagnostic::error(Code::Binding, "capability `stream` requires `read`")
                            .at(b.span, "in this binding")
                            .help("add \"read\" to `caps`"),
                    );
                    continue;
                }
                self.map.insert(b.compatible.clone(), b);
            }
        }
    }
}

fn bad(file: FileId, e: &Entry<'_>, msg: &str, help: &str) -> Diagnostic {
    let label = if msg.starts_with("unknown capability") {
        "not a capability"
    } else if msg.starts_with("unknown property type") {
        "not a property type"
    } else if msg.contains("must be \"i2c\" or \"spi\"") {
        "not a bus rtio knows"
    } else if msg.starts_with("default does not match") {
        "wrong kind of default"
    } else {
        "here"
    };
    Diagnostic::error(Code::Binding, msg.to_string())
        .at(span_of(file, e.span()), label)
        .help(help.to_string())
}

fn parse_binding(file: FileId, item: &Entry<'_>, diags: &mut Vec<Diagnostic>) -> Option<Binding> {
    let Some(t) = item.get_ref().as_table() else {
        diags.push(bad(
            file,
            item,
            "a binding must be a table",
            "use `[[binding]]`",
        ));
        return None;
    };
    let span = span_of(file, item.span());
    let get_str = |k: &str, diags: &mut Vec<Diagnostic>| -> Option<String> {
        let v = t.get(k)?;
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                diags.push(bad(
                    file,
                    v,
                    &format!("`{k}` must be a string"),
                    "quote the value",
                ));
                None
            }
        }
    };
    let Some(compatible) = get_str("compatible", diags) else {
        diags.push(
            Diagnostic::error(Code::Binding, "binding without `compatible`")
                .at(span, "this binding")
                .help("add `compatible = \"vendor,device\"`"),
        );
        return None;
    };
    let mut b = Binding {
        compatible,
        description: get_str("description", diags).unwrap_or_default(),
        provides_bus: None,
        on_bus: None,
        chip_selects: None,
        iodev: None,
        properties: Vec::new(),
        span,
    };
    for (k, field) in [("provides-bus", 0), ("on-bus", 1)] {
        if let Some(v) = t.get(k) {
            match v.get_ref().as_str().and_then(Bus::parse) {
                Some(bus) if field == 0 => b.provides_bus = Some(bus),
                Some(bus) => b.on_bus = Some(bus),
                None => diags.push(bad(
                    file,
                    v,
                    &format!("`{k}` must be \"i2c\" or \"spi\""),
                    "use \"i2c\" or \"spi\"",
                )),
            }
        }
    }
    if let Some(v) = t.get("chip-selects") {
        match int_of(v.get_ref()).and_then(|i| u32::try_from(i).ok()) {
            Some(n) => b.chip_selects = Some(n),
            None => diags.push(bad(
                file,
                v,
                "`chip-selects` must be an integer",
                "e.g. `chip-selects = 4`",
            )),
        }
    }
    if let Some(v) = t.get("iodev") {
        let Some(it) = v.get_ref().as_table() else {
            diags.push(bad(
                file,
                v,
                "`iodev` must be a table",
                "e.g. `iodev = { kind = \"sensor\", caps = [\"read\"] }`",
            ));
            return None;
        };
        let kind = it
            .get("kind")
            .and_then(|k| k.get_ref().as_str())
            .unwrap_or("device")
            .to_string();
        let mut caps = Vec::new();
        if let Some(c) = it.get("caps") {
            match c.get_ref().as_array() {
                Some(a) => {
                    for x in a.iter() {
                        match x.get_ref().as_str().and_then(Cap::parse) {
                            Some(cap) => {
                                if !caps.contains(&cap) {
                                    caps.push(cap);
                                }
                            }
                            None => diags.push(bad(
                                file,
                                x,
                                "unknown capability",
                                "capabilities are \"read\", \"write\", \"transceive\", \"stream\"",
                            )),
                        }
                    }
                }
                None => diags.push(bad(
                    file,
                    c,
                    "`caps` must be an array",
                    "e.g. `caps = [\"read\"]`",
                )),
            }
        }
        b.iodev = Some(Iodev { kind, caps });
    }
    if let Some(v) = t.get("properties") {
        let Some(pt) = v.get_ref().as_table() else {
            diags.push(bad(
                file,
                v,
                "`properties` must be a table",
                "use `[binding.properties]`",
            ));
            return None;
        };
        for (name, spec) in pt.iter() {
            if let Some(p) = parse_prop(file, name.get_ref(), spec, diags) {
                b.properties.push(p);
            }
        }
    }
    Some(b)
}

fn parse_prop(
    file: FileId,
    name: &str,
    spec: &Entry<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<PropSpec> {
    let Some(t) = spec.get_ref().as_table() else {
        diags.push(bad(
            file,
            spec,
            "a property spec must be a table",
            "e.g. `{ type = \"u32\" }`",
        ));
        return None;
    };
    let ty = match t.get("type") {
        Some(v) => match v.get_ref().as_str().and_then(PropType::parse) {
            Some(ty) => ty,
            None => {
                diags.push(bad(
                    file,
                    v,
                    "unknown property type",
                    "types: u32, u64, string, string-array, array, uint8-array, boolean, phandle, phandle-array",
                ));
                return None;
            }
        },
        None => {
            diags.push(bad(
                file,
                spec,
                &format!("property `{name}` has no `type`"),
                "add `type = \"u32\"` (or another type)",
            ));
            return None;
        }
    };
    let required = t
        .get("required")
        .and_then(|v| v.get_ref().as_bool())
        .unwrap_or(false);
    let default = match t.get("default") {
        None => None,
        Some(v) => {
            let d = match v.get_ref() {
                DeValue::String(s) => Some(Default::Str(s.to_string())),
                DeValue::Integer(_) => int_of(v.get_ref()).map(Default::Int),
                DeValue::Array(a) => a
                    .iter()
                    .map(|x| int_of(x.get_ref()))
                    .collect::<Option<Vec<_>>>()
                    .map(Default::Ints),
                _ => None,
            };
            let fits = matches!(
                (&d, ty),
                (Some(Default::Int(_)), PropType::U32 | PropType::U64)
                    | (Some(Default::Str(_)), PropType::Str)
                    | (Some(Default::Ints(_)), PropType::Array)
            );
            if !fits {
                diags.push(bad(
                    file,
                    v,
                    &format!("default does not match type `{}`", ty.name()),
                    "integers for u32/u64, a string for string, an array for array",
                ));
                return None;
            }
            d
        }
    };
    let rust = match t.get("rust") {
        None => None,
        Some(v) => match v.get_ref().as_str().and_then(RustInt::parse) {
            Some(r) if ty == PropType::U32 => {
                if let Some(Default::Int(i)) = &default {
                    if *i > r.max() {
                        diags.push(bad(
                            file,
                            v,
                            &format!("default {i} does not fit `{}`", r.name()),
                            &format!("the largest `{}` is {}", r.name(), r.max()),
                        ));
                        return None;
                    }
                }
                Some(r)
            }
            Some(_) => {
                diags.push(bad(
                    file,
                    v,
                    "`rust` is for `u32` properties only",
                    "set `type = \"u32\"`, or remove `rust`",
                ));
                return None;
            }
            None => {
                diags.push(bad(
                    file,
                    v,
                    "unknown Rust type",
                    "`rust` is one of \"u8\", \"u16\", \"u32\", \"usize\"",
                ));
                return None;
            }
        },
    };
    Some(PropSpec {
        name: name.to_string(),
        ty,
        required,
        default,
        rust,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_bindings_load_cleanly_and_cover_the_board() {
        let mut sources = SourceMap::new();
        let id = sources.add("builtin.toml", BUILTIN.to_string());
        let mut b = Bindings::default();
        let mut diags = Vec::new();
        b.load_text(id, BUILTIN, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        for c in [
            "rtio,i2c-controller",
            "rtio,i2c-device",
            "rtio,spi-controller",
            "rtio,spi-device",
            "rtio,uart",
            "rtio,adc",
            "rtio,timer",
            "ti,tmp105",
            "atmel,24c02",
            "solomon,ssd0323",
            "mmc-spi-slot",
            "arm,pl022",
            "arm,pl011",
            "ti,stellaris-i2c",
            "ti,lm3s6965-i2c",
            "ti,stellaris-gptm",
            "ti,stellaris-adc",
        ] {
            assert!(b.get(c).is_some(), "missing built-in binding {c}");
        }
        let tmp = b.get("ti,tmp105").expect("tmp105");
        assert_eq!(tmp.on_bus, Some(Bus::I2c));
        assert_eq!(
            tmp.iodev.as_ref().map(|i| i.caps.clone()),
            Some(vec![Cap::Read, Cap::Write])
        );
        assert_eq!(
            b.get("arm,pl022").and_then(|b| b.provides_bus),
            Some(Bus::Spi)
        );
    }

    #[test]
    fn bad_binding_files_are_reported_with_spans() {
        let text = r#"
[[binding]]
compatible = "acme,x"
on-bus = "can"
iodev = { kind = "x", caps = ["read", "fly"] }
[binding.properties]
a = { type = "float" }
b = { type = "u32", default = "fast" }

[[binding]]
description = "no compatible"

[[binding]]
compatible = "acme,s"
iodev = { caps = ["stream"] }
"#;
        let mut sources = SourceMap::new();
        let id = sources.add("acme.toml", text.to_string());
        let mut b = Bindings::default();
        let mut diags = Vec::new();
        b.load_text(id, text, &mut diags);
        let msgs: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "`on-bus` must be \"i2c\" or \"spi\"",
                "unknown capability",
                "unknown property type",
                "default does not match type `u32`",
                "binding without `compatible`",
                "capability `stream` requires `read`",
            ]
        );
        assert!(diags
            .iter()
            .all(|d| d.code == Code::Binding || d.primary.is_some()));
        let r = diags[1].render(&sources);
        assert!(r.contains("--> acme.toml:5:39"), "{r}");
        assert!(b.get("acme,s").is_none());
    }

    #[test]
    fn invalid_toml_is_reported() {
        let mut sources = SourceMap::new();
        let id = sources.add("x.toml", "[[binding]\n".to_string());
        let mut diags = Vec::new();
        Bindings::default().load_text(id, "[[binding]\n", &mut diags);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.starts_with("invalid TOML"));
    }
}
