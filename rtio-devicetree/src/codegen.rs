//! Rust code generation: one module per enabled node, plus `labels`, `aliases` and `chosen`.
//!
//! Codegen is infallible: every mistake a user can make was reported by the passes. The
//! output is plain items (no inner attributes), so it can be `include!`d into a module:
//!
//! ```text
//! pub mod soc {                      // /soc
//!     pub mod i2c_40002000 {         // /soc/i2c@40002000
//!         pub const PATH: &str = "/soc/i2c@40002000";
//!         pub const REG_ADDRESS: u64 = 0x40002000;
//!         pub mod tmp105_48 {        // an iodev: kind marker + capabilities
//!             pub struct Kind;
//!             impl ::rtio::caps::Kind for Kind { const NAME: &'static str = "tmp105@48"; }
//!             impl ::rtio::caps::Read for Kind {}
//!             impl ::rtio::caps::I2c for Kind {}
//!             pub const BUS_ADDRESS: u8 = 0x48;
//!         }
//!     }
//! }
//! pub mod labels { pub use super::soc::i2c_40002000 as i2c0; }
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::bindings::{Binding, Bus, Default as BDefault, PropType};
use crate::model::{Cell, NodeId, Piece, Tree, Value};
use crate::passes::{binding_of, compatibles, enabled, reg_entries};
use crate::pipeline::Checked;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// A snake_case identifier for a node, label or alias name.
pub fn snake_ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    let mut s = if s.is_empty() { "node".to_string() } else { s };
    if s.as_bytes()[0].is_ascii_digit() {
        s.insert_str(0, "n_");
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// A SCREAMING_SNAKE_CASE constant name for a property.
pub fn const_ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_uppercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    let mut s = if s.is_empty() { "PROP".to_string() } else { s };
    if s.as_bytes()[0].is_ascii_digit() {
        s.insert_str(0, "P_");
    }
    s
}

/// Constant names every node module may define itself.
const RESERVED_CONSTS: &[&str] = &[
    "PATH",
    "NAME",
    "COMPATIBLE",
    "PHANDLE",
    "REG",
    "REG_ADDRESS",
    "REG_SIZE",
    "BUS_ADDRESS",
    "CHIP_SELECT",
    "IODEV_KIND",
    "STATUS",
];

fn unique(base: String, used: &mut HashSet<String>) -> String {
    if !RESERVED_CONSTS.contains(&base.as_str()) && used.insert(base.clone()) {
        return base;
    }
    for i in 2.. {
        let c = format!("{base}_{i}");
        if used.insert(c.clone()) {
            return c;
        }
    }
    base
}

fn lit_str(s: &str) -> String {
    format!("{s:?}")
}

fn lit_bytes(b: &[u8]) -> String {
    let mut s = String::from("&[");
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "0x{x:02x}");
    }
    s.push(']');
    s
}

fn hex(v: u64) -> String {
    format!("0x{v:x}")
}

/// Raw big-endian bytes of a value (for mixed values).
fn raw_bytes(v: &Value) -> Vec<u8> {
    let mut d = Vec::new();
    for p in v.data_pieces() {
        match p {
            Piece::Str { bytes, .. } => {
                d.extend_from_slice(bytes);
                d.push(0);
            }
            Piece::Cells { bits, cells, .. } => {
                let w = usize::from(*bits / 8).max(1);
                for c in cells {
                    let x = match c {
                        Cell::Num { value, .. } => *value,
                        Cell::Phandle { value, .. } => u64::from(*value),
                        Cell::Label(_) => continue,
                    };
                    d.extend_from_slice(&x.to_be_bytes()[8 - w..]);
                }
            }
            Piece::Bytes { bytes, .. } => d.extend_from_slice(bytes),
            Piece::Raw { bytes, .. } => d.extend_from_slice(bytes),
            Piece::Path { resolved, target } => {
                d.extend_from_slice(resolved.as_deref().unwrap_or(&target.target).as_bytes());
                d.push(0);
            }
            Piece::Label(_) => {}
        }
    }
    d
}

fn nums(v: &Value, bits: u8) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    for p in v.data_pieces() {
        match p {
            Piece::Cells { bits: b, cells, .. } if *b == bits => {
                for c in cells {
                    match c {
                        Cell::Num { value, .. } => out.push(*value),
                        Cell::Phandle { value, .. } => out.push(u64::from(*value)),
                        Cell::Label(_) => {}
                    }
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn join_nums(v: &[u64]) -> String {
    v.iter().map(|x| hex(*x)).collect::<Vec<_>>().join(", ")
}

/// (type, expression) for a property value, by binding type if known.
fn typed_value(v: &Value, ty: Option<PropType>) -> (String, String) {
    match ty {
        Some(PropType::Bool) => return ("bool".into(), "true".into()),
        Some(PropType::U32) | Some(PropType::Phandle) => {
            if let Some(c) = v.as_cells() {
                if let [x] = c.as_slice() {
                    return ("u32".into(), hex(u64::from(*x)));
                }
            }
        }
        Some(PropType::U64) => {
            if let Some(c) = v.as_cells() {
                if let [hi, lo] = c.as_slice() {
                    return ("u64".into(), hex((u64::from(*hi) << 32) | u64::from(*lo)));
                }
            }
            if let Some(n) = nums(v, 64) {
                if let [x] = n.as_slice() {
                    return ("u64".into(), hex(*x));
                }
            }
        }
        Some(PropType::Str) => {
            if let Some(s) = v.as_str() {
                return ("&str".into(), lit_str(s));
            }
        }
        Some(PropType::StrList) => {
            if let Some(l) = v.as_strings() {
                let items: Vec<String> = l.iter().map(|s| lit_str(s)).collect();
                return ("&[&str]".into(), format!("&[{}]", items.join(", ")));
            }
        }
        Some(PropType::Array) | Some(PropType::PhandleArray) => {
            if let Some(c) = v.as_cells() {
                let c: Vec<u64> = c.into_iter().map(u64::from).collect();
                return ("&[u32]".into(), format!("&[{}]", join_nums(&c)));
            }
        }
        Some(PropType::Bytes) => return ("&[u8]".into(), lit_bytes(&raw_bytes(v))),
        None => {}
    }
    infer_value(v)
}

fn infer_value(v: &Value) -> (String, String) {
    if v.is_empty() {
        return ("bool".into(), "true".into());
    }
    if let Some(s) = v.as_str() {
        return ("&str".into(), lit_str(s));
    }
    if let Some(l) = v.as_strings() {
        let items: Vec<String> = l.iter().map(|s| lit_str(s)).collect();
        return ("&[&str]".into(), format!("&[{}]", items.join(", ")));
    }
    for (bits, ty) in [(32u8, "u32"), (64, "u64"), (16, "u16"), (8, "u8")] {
        if let Some(n) = nums(v, bits) {
            if n.len() == 1 && bits != 8 {
                return (ty.into(), hex(n[0]));
            }
            return (format!("&[{ty}]"), format!("&[{}]", join_nums(&n)));
        }
    }
    ("&[u8]".into(), lit_bytes(&raw_bytes(v)))
}

fn default_value(d: &BDefault, ty: PropType) -> (String, String) {
    match (d, ty) {
        (BDefault::Int(i), PropType::U64) => ("u64".into(), hex(*i)),
        (BDefault::Int(i), _) => ("u32".into(), hex(*i & 0xffff_ffff)),
        (BDefault::Str(s), _) => ("&str".into(), lit_str(s)),
        (BDefault::Ints(v), _) => ("&[u32]".into(), format!("&[{}]", join_nums(v))),
    }
}

const FLUSH_AT: usize = 1 << 16;

struct Gen<'a> {
    tree: &'a Tree,
    checked: &'a Checked,
    out: String,
    sink: Option<&'a mut dyn std::fmt::Write>,
    failed: bool,
    /// Rust path (from the generated root) of the nodes in `needed` that got a module.
    paths: HashMap<NodeId, String>,
    /// Nodes that `labels`, `aliases` or `chosen` re-export.
    needed: HashSet<NodeId>,
}

impl Gen<'_> {
    fn line(&mut self, depth: usize, s: &str) {
        self.linef(depth, format_args!("{s}"));
    }

    fn linef(&mut self, depth: usize, args: std::fmt::Arguments<'_>) {
        let start = self.out.len();
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        let text_start = self.out.len();
        let _ = self.out.write_fmt(args);
        // doc comments only at the root: nested modules are `#[allow(missing_docs)]`
        if depth > 0 && self.out[text_start..].starts_with("///") {
            self.out.truncate(start);
            return;
        }
        // root-level constants: the including module may be private and use only some
        if depth == 0 && self.out[text_start..].starts_with("pub const ") {
            self.out.insert_str(start, "#[allow(dead_code)]\n");
        }
        self.out.push('\n');
        if self.out.len() > FLUSH_AT {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(sink) = self.sink.as_mut() {
            if sink.write_str(&self.out).is_err() {
                self.failed = true;
            }
            self.out.clear();
        }
    }

    /// Doc comments only on root-level items; modules carry `#[allow(missing_docs)]`.
    fn doc(&mut self, depth: usize, s: &str) {
        if depth == 0 {
            self.line(depth, s);
        }
    }

    fn docf(&mut self, depth: usize, args: std::fmt::Arguments<'_>) {
        if depth == 0 {
            self.linef(depth, args);
        }
    }

    fn binding(&self, id: NodeId) -> Option<&Binding> {
        binding_of(self.tree, id, &self.checked.bindings)
    }

    fn node_items(&mut self, id: NodeId, depth: usize, rust_path: &str) {
        let tree = self.tree;
        let n = tree.node(id);
        let mut used: HashSet<String> = HashSet::new();
        let path = tree.path(id);
        self.doc(depth, "/// Full path of this node.");
        self.line(
            depth,
            &format!("pub const PATH: &str = {};", lit_str(&path)),
        );
        self.doc(depth, "/// Node name, with unit address.");
        let name = if n.name.is_empty() {
            "/"
        } else {
            n.name.as_str()
        };
        self.linef(
            depth,
            format_args!("pub const NAME: &str = {};", lit_str(name)),
        );
        let compat = compatibles(tree, id);
        if !compat.is_empty() {
            let items: Vec<String> = compat.iter().map(|s| lit_str(s)).collect();
            self.doc(depth, "/// The `compatible` list.");
            self.line(
                depth,
                &format!("pub const COMPATIBLE: &[&str] = &[{}];", items.join(", ")),
            );
        }
        if n.phandle != 0 {
            self.doc(depth, "/// The node's phandle.");
            self.line(
                depth,
                &format!("pub const PHANDLE: u32 = {};", hex(u64::from(n.phandle))),
            );
        }
        if let Some(reg) = reg_entries(tree, id) {
            let items: Vec<String> = reg
                .iter()
                .map(|(a, s)| format!("({}, {})", hex(*a), hex(*s)))
                .collect();
            self.line(
                depth,
                "/// `reg` as (address, size) pairs, decoded with the parent's cell counts.",
            );
            self.line(
                depth,
                &format!("pub const REG: &[(u64, u64)] = &[{}];", items.join(", ")),
            );
            if let Some((a, s)) = reg.first() {
                self.doc(depth, "/// Address of the first `reg` entry.");
                self.linef(
                    depth,
                    format_args!("pub const REG_ADDRESS: u64 = {};", hex(*a)),
                );
                self.doc(depth, "/// Size of the first `reg` entry.");
                self.linef(
                    depth,
                    format_args!("pub const REG_SIZE: u64 = {};", hex(*s)),
                );
            }
        }
        let binding = self.binding(id).cloned();
        let mut seen_props: HashSet<&str> = HashSet::new();
        for p in n.live_props() {
            if matches!(
                &*p.name,
                "compatible" | "reg" | "phandle" | "linux,phandle" | "status" | "name"
            ) {
                continue;
            }
            seen_props.insert(&p.name);
            let spec = binding.as_ref().and_then(|b| b.prop(&p.name));
            let (mut t, e) = typed_value(&p.value, spec.map(|s| s.ty));
            if let Some(r) = spec.and_then(|s| s.rust) {
                if t == "u32" {
                    t = r.name().to_string();
                }
            }
            let c = unique(const_ident(&p.name), &mut used);
            self.line(
                depth,
                &format!("/// Property `{}`.", p.name.replace('`', "'")),
            );
            self.linef(depth, format_args!("pub const {c}: {t} = {e};"));
        }
        if let Some(b) = &binding {
            for spec in &b.properties {
                if seen_props.contains(spec.name.as_str()) || spec.name == "reg" {
                    continue;
                }
                let te = match (&spec.default, spec.ty) {
                    (Some(d), ty) => {
                        let (t, e) = default_value(d, ty);
                        match spec.rust {
                            Some(r) if t == "u32" => Some((r.name().to_string(), e)),
                            _ => Some((t, e)),
                        }
                    }
                    (None, PropType::Bool) => Some(("bool".to_string(), "false".to_string())),
                    _ => None,
                };
                if let Some((t, e)) = te {
                    let c = unique(const_ident(&spec.name), &mut used);
                    self.line(
                        depth,
                        &format!("/// Property `{}` (binding default).", spec.name),
                    );
                    self.linef(depth, format_args!("pub const {c}: {t} = {e};"));
                }
            }
            if let Some(io) = &b.iodev {
                let parent_bus = n
                    .parent
                    .and_then(|p| self.binding(p))
                    .and_then(|pb| pb.provides_bus)
                    .filter(|bus| b.on_bus == Some(*bus));
                self.line(
                    depth,
                    &format!("/// The iodev kind of this node (`{}`).", io.kind),
                );
                self.line(depth, "pub struct Kind;");
                self.line(
                    depth,
                    &format!(
                        "impl ::rtio::caps::Kind for Kind {{ const NAME: &'static str = {}; }}",
                        lit_str(name)
                    ),
                );
                for cap in &io.caps {
                    self.line(
                        depth,
                        &format!("impl ::rtio::caps::{} for Kind {{}}", cap.trait_name()),
                    );
                }
                self.doc(depth, "/// Binding iodev kind name.");
                self.line(
                    depth,
                    &format!("pub const IODEV_KIND: &str = {};", lit_str(&io.kind)),
                );
                let first = reg_entries(tree, id).and_then(|r| r.first().map(|x| x.0));
                match parent_bus {
                    Some(Bus::I2c) => {
                        self.line(depth, "impl ::rtio::caps::I2c for Kind {}");
                        if let Some(a) = first {
                            let a = a & 0x3ff;
                            // 7-bit addresses as `u8`, as the bus APIs take them; a
                            // 10-bit one (I2C_TEN_BIT_ADDRESS) does not fit and stays `u16`
                            let ty = if a <= 0x7f { "u8" } else { "u16" };
                            self.doc(depth, "/// Address on the I2C bus.");
                            self.linef(
                                depth,
                                format_args!("pub const BUS_ADDRESS: {ty} = {};", hex(a)),
                            );
                        }
                    }
                    Some(Bus::Spi) => {
                        self.line(depth, "impl ::rtio::caps::Spi for Kind {}");
                        if let Some(cs) = first {
                            // `u8`, as the bus APIs take it (chip selects are checked
                            // against the controller's count, which is far below 256)
                            let ty = if cs <= 0xff { "u8" } else { "u32" };
                            self.doc(depth, "/// Chip select on the SPI bus.");
                            self.linef(depth, format_args!("pub const CHIP_SELECT: {ty} = {cs};"));
                        }
                    }
                    None => {}
                }
            }
        }
        // children, named first: a bus controller's driver lists its children's drivers
        let mut mods: HashSet<String> = HashSet::new();
        if n.parent.is_none() {
            for r in ["labels", "aliases", "chosen"] {
                mods.insert(r.to_string());
            }
        }
        let kids: Vec<(NodeId, String)> = tree
            .children(id)
            .filter(|&c| enabled(tree, c))
            .filter(|&c| {
                let cn = tree.node(c);
                !(n.parent.is_none() && (cn.name == "aliases" || cn.name == "chosen"))
            })
            .map(|c| (c, unique(snake_ident(&tree.node(c).name), &mut mods)))
            .collect();
        self.driver_items(id, depth, binding.as_ref(), &kids);
        for (c, m) in kids {
            let child_path = if rust_path.is_empty() {
                m.clone()
            } else {
                format!("{rust_path}::{m}")
            };
            if self.needed.contains(&c) {
                self.paths.insert(c, child_path.clone());
            }
            self.docf(depth, format_args!("/// Node `{}`.", tree.path(c)));
            self.line(depth, "#[allow(dead_code, missing_docs)]");
            self.linef(depth, format_args!("pub mod {m} {{"));
            self.node_items(c, depth + 1, &child_path);
            self.line(depth, "}");
        }
    }

    /// `DRIVER`, `IODEV` and `DEV` for a node a declared driver serves ([`crate::drivers`]).
    fn driver_items(
        &mut self,
        id: NodeId,
        depth: usize,
        binding: Option<&Binding>,
        kids: &[(NodeId, String)],
    ) {
        let tree = self.tree;
        let drivers = &self.checked.drivers;
        let Some(d) = crate::drivers::driver_of(tree, id, drivers) else {
            return;
        };
        let children: Vec<String> = kids
            .iter()
            .filter(|(c, _)| crate::drivers::driver_of(tree, *c, drivers).is_some())
            .map(|(_, m)| format!("&{m}::DRIVER"))
            .collect();
        let init = d
            .init
            .replace("$children", &format!("&[{}]", children.join(", ")));
        let ty = d.ty.clone();
        let compat = d.node.clone().unwrap_or_else(|| d.compatible.clone());
        if let Some(a) = d.attach.clone() {
            if binding.and_then(|b| b.iodev.as_ref()).is_none() {
                return;
            }
            self.docf(
                depth,
                format_args!("/// Attaches this node's model (declared for `{compat}`)."),
            );
            self.linef(
                depth,
                format_args!(
                    "pub fn {}<{}>({}) -> ({ty}, ::rtio::Dev<Kind>) {{",
                    a.name, a.generics, a.params
                ),
            );
            self.linef(depth + 1, format_args!("let device: {ty} = {{ {init} }};"));
            self.line(
                depth + 1,
                "let dev = ::rtio::Dev::new_unchecked(device.iodev());",
            );
            self.line(depth + 1, "(device, dev)");
            self.line(depth, "}");
            return;
        }
        self.doc(
            depth,
            &format!("/// The driver instance (declared for `{compat}`)."),
        );
        self.linef(depth, format_args!("pub static DRIVER: {ty} = {init};"));
        if d.node.is_none() && binding.and_then(|b| b.iodev.as_ref()).is_some() {
            self.doc(depth, "/// The node's iodev, served by [`DRIVER`].");
            self.line(
                depth,
                "pub static IODEV: ::rtio::Iodev = ::rtio::Iodev::new(&DRIVER);",
            );
            self.doc(
                depth,
                "/// The typed handle: this node's iodev, this node's kind.",
            );
            self.line(
                depth,
                "pub const DEV: ::rtio::Dev<Kind> = ::rtio::Dev::new_unchecked(&IODEV);",
            );
        }
    }

    fn labels(&mut self) {
        let tree = self.tree;
        let mut used = HashSet::new();
        self.line(0, "/// Every labelled, enabled node, by label.");
        self.line(0, "#[allow(missing_docs, unused_imports, dead_code)]");
        self.line(0, "pub mod labels {");
        for id in tree.walk() {
            let Some(p) = self.paths.get(&id).cloned() else {
                continue;
            };
            let ls: Vec<&str> = tree
                .node(id)
                .live_labels()
                .map(|l| l.name.as_str())
                .collect();
            for l in ls.into_iter().rev() {
                let ident = unique(snake_ident(l), &mut used);
                self.linef(1, format_args!("pub use super::{p} as {ident};"));
            }
        }
        self.line(0, "}");
    }

    /// Labelled nodes and every node a `/aliases` or `/chosen` string points at.
    fn needed_nodes(&self) -> HashSet<NodeId> {
        let tree = self.tree;
        let mut set: HashSet<NodeId> = tree
            .walk()
            .into_iter()
            .filter(|&id| tree.node(id).live_labels().next().is_some())
            .collect();
        for special in ["aliases", "chosen"] {
            if let Some(sp) = tree
                .children(tree.root)
                .find(|&c| tree.node(c).name == special)
            {
                for p in tree.node(sp).live_props() {
                    if let Some(t) = p.value.as_str().and_then(|s| self.node_by_path_str(s)) {
                        set.insert(t);
                    }
                }
            }
        }
        set
    }

    fn node_by_path_str(&self, s: &str) -> Option<NodeId> {
        let tree = self.tree;
        let s = s.split(':').next().unwrap_or(s);
        if s.starts_with('/') {
            return tree.find_path(s);
        }
        // an alias name
        let aliases = tree
            .children(tree.root)
            .find(|&c| tree.node(c).name == "aliases")?;
        let p = tree.node(aliases).prop(s)?.value.as_str()?.to_string();
        if p.starts_with('/') {
            tree.find_path(&p)
        } else {
            None
        }
    }

    fn special(&mut self, node: &str, doc: &str) {
        let tree = self.tree;
        let found = tree
            .children(tree.root)
            .find(|&c| tree.node(c).name == node);
        self.linef(0, format_args!("/// {doc}"));
        self.line(0, "#[allow(missing_docs, unused_imports, dead_code)]");
        self.linef(0, format_args!("pub mod {node} {{"));
        if let Some(id) = found.filter(|&id| enabled(tree, id)) {
            let mut used = HashSet::new();
            let mut consts = HashSet::new();
            for p in tree.node(id).live_props() {
                if &*p.name == "phandle" || &*p.name == "name" {
                    continue;
                }
                if let Some(s) = p.value.as_str() {
                    if let Some(target) = self.node_by_path_str(s) {
                        if let Some(rp) = self.paths.get(&target).cloned() {
                            let ident = unique(snake_ident(&p.name), &mut used);
                            self.linef(1, format_args!("pub use super::{rp} as {ident};"));
                        }
                    }
                }
                let (t, e) = infer_value(&p.value);
                let c = unique(const_ident(&p.name), &mut consts);
                self.linef(
                    1,
                    format_args!("/// Property `{}`.", p.name.replace('`', "'")),
                );
                self.linef(1, format_args!("pub const {c}: {t} = {e};"));
            }
        }
        self.line(0, "}");
    }
}

/// Generates the Rust module tree for a checked devicetree.
pub fn generate(checked: &Checked) -> String {
    let mut g = Gen {
        tree: &checked.tree,
        checked,
        out: String::with_capacity(1 << 16),
        sink: None,
        failed: false,
        paths: HashMap::new(),
        needed: HashSet::new(),
    };
    g.run();
    g.out
}

/// Generates the Rust module tree into `sink`, a chunk at a time (memory stays flat).
///
/// # Errors
/// If the sink reports an error.
pub fn generate_to(checked: &Checked, sink: &mut dyn std::fmt::Write) -> std::fmt::Result {
    let mut g = Gen {
        tree: &checked.tree,
        checked,
        out: String::with_capacity(FLUSH_AT + 4096),
        sink: Some(sink),
        failed: false,
        paths: HashMap::new(),
        needed: HashSet::new(),
    };
    g.run();
    g.flush();
    if g.failed {
        Err(std::fmt::Error)
    } else {
        Ok(())
    }
}

impl Gen<'_> {
    fn run(&mut self) {
        let src = self
            .checked
            .sources
            .files()
            .next()
            .map(|f| f.path().display().to_string())
            .unwrap_or_default();
        self.linef(
            0,
            format_args!("// @generated by rtio-devicetree from `{src}`. Do not edit."),
        );
        self.needed = self.needed_nodes();
        let root = self.tree.root;
        self.node_items(root, 0, "");
        self.labels();
        self.special("aliases", "Nodes named in `/aliases`, by alias.");
        self.special(
            "chosen",
            "Properties of `/chosen`; paths to nodes are re-exported as modules.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(body: &str) -> String {
        let src = format!("/dts-v1/;\n/ {{\n{body}\n}};\n");
        crate::generate_from_str("t.dts", &src)
            .unwrap_or_else(|d| panic!("{}", d.render()))
            .code
    }

    #[test]
    fn identifier_case_table() {
        for (name, snake, konst) in [
            ("i2c@40002000", "i2c_40002000", "I2C_40002000"),
            ("#address-cells", "address_cells", "ADDRESS_CELLS"),
            ("ti,tmp105", "ti_tmp105", "TI_TMP105"),
            ("1wire", "n_1wire", "P_1WIRE"),
            ("type", "type_", "TYPE"),
            ("self", "self_", "SELF"),
            ("a--b", "a_b", "A_B"),
            ("", "node", "PROP"),
        ] {
            assert_eq!(snake_ident(name), snake, "{name}");
            assert_eq!(const_ident(name), konst, "{name}");
        }
    }

    #[test]
    fn colliding_names_get_suffixes() {
        let code = gen(
            "\tp-q = <1>;\n\tp_q = <2>;\n\tpath = \"x\";\n\ta-b { };\n\ta_b { };\n\tlabels { };",
        );
        assert!(code.contains("pub mod a_b {"));
        assert!(code.contains("pub mod a_b_2 {"));
        assert!(
            code.contains("pub mod labels_2 {"),
            "a node named `labels` must not hide the labels module"
        );
        assert!(code.contains("pub const P_Q: u32 = 0x1;"));
        assert!(code.contains("pub const P_Q_2: u32 = 0x2;"));
        assert!(
            code.contains("pub const PATH_2: &str = \"x\";"),
            "a `path` property must not clash with PATH"
        );
    }

    #[test]
    fn disabled_nodes_generate_nothing() {
        let code = gen("\ton: on { };\n\toff: off { status = \"disabled\"; child { }; };\n\tokay { status = \"okay\"; };");
        assert!(code.contains("pub mod on {"));
        assert!(code.contains("pub mod okay {"));
        assert!(!code.contains("pub mod off"));
        assert!(!code.contains("pub mod child"));
        assert!(code.contains("pub use super::on as on;"));
        assert!(!code.contains("as off;"));
    }

    #[test]
    fn property_types_follow_the_binding() {
        let code = gen(
            "\tuart { compatible = \"rtio,uart\"; current-speed = <9600>; };\n\
             \tx { big = /bits/ 64 <5>; s = \"a\", \"b\"; b = [01 02]; c = <1 2>; flag; w = /bits/ 16 <7>; };",
        );
        assert!(code.contains("pub const CURRENT_SPEED: u32 = 0x2580;"));
        assert!(code.contains("pub const BIG: u64 = 0x5;"));
        assert!(code.contains("pub const S: &[&str] = &[\"a\", \"b\"];"));
        assert!(code.contains("pub const B: &[u8] = &[0x01, 0x02];"));
        assert!(code.contains("pub const C: &[u32] = &[0x1, 0x2];"));
        assert!(code.contains("pub const FLAG: bool = true;"));
        assert!(code.contains("pub const W: u16 = 0x7;"));
        assert!(code.contains("impl ::rtio::caps::Stream for Kind {}"));
    }

    const SPI_BOARD: &str = "/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\
        \tspi@4000 {\n\t\tcompatible = \"rtio,spi-controller\";\n\t\treg = <0x4000 0x100>;\n\
        \t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\
        \t\toled: display@1 {\n\t\t\tcompatible = \"solomon,ssd0323\";\n\t\t\treg = <1>;\n\
        \t\t\tspi-max-frequency = <1000000>;\n\t\t\twidth = <WIDTH>;\n\t\t};\n\t};\n};\n";

    #[test]
    fn constants_have_the_types_the_apis_take() {
        let code = crate::generate_from_str("t.dts", &SPI_BOARD.replace("WIDTH", "240"))
            .unwrap_or_else(|d| panic!("{}", d.render()))
            .code;
        assert!(code.contains("pub const CHIP_SELECT: u8 = 1;"), "{code}");
        assert!(code.contains("pub const WIDTH: u16 = 0xf0;"), "{code}");
        assert!(
            code.contains("pub const HEIGHT: u16 = 0x40;"),
            "default: {code}"
        );
    }

    #[test]
    fn a_value_too_large_for_its_rust_type_is_an_error_at_the_value() {
        let err = crate::generate_from_str("t.dts", &SPI_BOARD.replace("WIDTH", "70000"))
            .expect_err("70000 does not fit u16");
        let text = err.render();
        assert!(
            text.contains("property `width` of `/spi@4000/display@1` is 70000, too large for its Rust type `u16`"),
            "{text}"
        );
        assert!(text.contains("t.dts:14:12"), "{text}");
        assert!(text.contains("must be at most 65535"), "{text}");
    }
}
