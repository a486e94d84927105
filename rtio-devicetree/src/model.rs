//! The one spanned devicetree both front ends produce.
//!
//! Nodes live in an arena ([`Tree::nodes`]) and are addressed by [`NodeId`]. Deletion marks
//! nodes, properties and labels as deleted instead of removing them, exactly as dtc does:
//! a later definition of the same name revives the old entry in its old position, which is
//! what makes the canonical output match dtc byte for byte. Every name, label and value
//! piece carries the [`Span`] it was written at.

use crate::source::Span;

/// Index of a node in [`Tree::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A label (`name:`) on a node, property, value or memory reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The label, without the colon.
    pub name: String,
    /// Where it was written.
    pub span: Span,
    /// Set by `/delete-node/`; a later identical label revives it.
    pub deleted: bool,
}

/// Whether a reference names a label or a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// `&label`
    Label,
    /// `&{/path}`
    Path,
}

/// A reference to a node: `&label` or `&{/path}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    /// Label or path.
    pub kind: RefKind,
    /// The label, or the path starting with `/`.
    pub target: String,
    /// Where it was written.
    pub span: Span,
}

impl Ref {
    /// The text dtc uses for the reference: the label, or the path.
    pub fn as_str(&self) -> &str {
        &self.target
    }
}

/// One element inside `<...>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// A number (already truncated to the element width).
    Num {
        /// The value.
        value: u64,
        /// Where it was written.
        span: Span,
    },
    /// `&label` in a cell list: the phandle of the target node.
    Phandle {
        /// The referenced node (boxed: keeps `Cell` small).
        target: Box<Ref>,
        /// Filled in by the references pass (0 until then).
        value: u32,
    },
    /// A label between elements (boxed: keeps `Cell` small).
    Label(Box<Label>),
}

/// One typed piece of a property value, as written between commas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A string; the bytes exclude the terminating NUL.
    Str {
        /// String bytes (may contain NUL from `\0` escapes).
        bytes: Vec<u8>,
        /// Where it was written.
        span: Span,
    },
    /// `<...>` or `/bits/ N <...>`.
    Cells {
        /// Element width: 8, 16, 32 or 64.
        bits: u8,
        /// The elements.
        cells: Vec<Cell>,
        /// Where it was written.
        span: Span,
    },
    /// `[..]`.
    Bytes {
        /// The bytes.
        bytes: Box<[u8]>,
        /// Labels inside the brackets, with the byte offset they stand at.
        labels: Box<[(usize, Label)]>,
        /// Where it was written.
        span: Span,
    },
    /// `&label` or `&{/path}` outside `<>`: the target's full path as a string.
    Path {
        /// The referenced node (boxed: keeps `Piece` small).
        target: Box<Ref>,
        /// Filled in by the references pass.
        resolved: Option<String>,
    },
    /// Raw bytes with no type information (from `/incbin/` or a generated property).
    Raw {
        /// The bytes.
        bytes: Vec<u8>,
        /// Where it came from.
        span: Span,
    },
    /// A label between pieces.
    Label(Label),
}

impl Piece {
    /// The span of the piece.
    pub fn span(&self) -> Span {
        match self {
            Piece::Str { span, .. }
            | Piece::Cells { span, .. }
            | Piece::Bytes { span, .. }
            | Piece::Raw { span, .. } => *span,
            Piece::Path { target, .. } => target.span,
            Piece::Label(l) => l.span,
        }
    }
}

/// Storage for the pieces of a value: the first one inline, no allocation.
pub type Pieces = smallvec::SmallVec<[Piece; 1]>;

/// A property value: the pieces in order. Empty for a boolean property.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Value {
    /// The pieces (one inline: most values are a single piece).
    pub pieces: Pieces,
}

impl Value {
    /// The value pieces, ignoring labels.
    pub fn data_pieces(&self) -> impl Iterator<Item = &Piece> {
        self.pieces.iter().filter(|p| !matches!(p, Piece::Label(_)))
    }

    /// Whether this is an empty (boolean) value.
    pub fn is_empty(&self) -> bool {
        self.data_pieces().all(|p| match p {
            Piece::Cells { cells, .. } => !cells.iter().any(|c| !matches!(c, Cell::Label(_))),
            Piece::Bytes { bytes, .. } => bytes.is_empty(),
            Piece::Raw { bytes, .. } => bytes.is_empty(),
            _ => false,
        })
    }

    /// The value as one string, if it is exactly one string piece.
    pub fn as_str(&self) -> Option<&str> {
        let mut it = self.data_pieces();
        match (it.next(), it.next()) {
            (Some(Piece::Str { bytes, .. }), None) => std::str::from_utf8(bytes).ok(),
            (
                Some(Piece::Path {
                    resolved: Some(p), ..
                }),
                None,
            ) => Some(p),
            _ => None,
        }
    }

    /// The value as a list of strings, if every piece is a string.
    pub fn as_strings(&self) -> Option<Vec<&str>> {
        self.data_pieces()
            .map(|p| match p {
                Piece::Str { bytes, .. } => std::str::from_utf8(bytes).ok(),
                Piece::Path {
                    resolved: Some(p), ..
                } => Some(p.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The value as 32-bit cells, if every piece is a 32-bit cell list.
    pub fn as_cells(&self) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for p in self.data_pieces() {
            match p {
                Piece::Cells {
                    bits: 32, cells, ..
                } => {
                    for c in cells {
                        match c {
                            Cell::Num { value, .. } => out.push(*value as u32),
                            Cell::Phandle { value, .. } => out.push(*value),
                            Cell::Label(_) => {}
                        }
                    }
                }
                _ => return None,
            }
        }
        Some(out)
    }

    /// The span from the first to the last piece (or `fallback` if empty).
    pub fn span_or(&self, fallback: Span) -> Span {
        match (self.pieces.first(), self.pieces.last()) {
            (Some(a), Some(b)) => a.span().to(b.span()),
            _ => fallback,
        }
    }
}

/// A property.
#[derive(Clone, Debug)]
pub struct Property {
    /// The name (interned: one allocation per distinct name per tree).
    pub name: std::sync::Arc<str>,
    /// Where the name was written.
    pub name_span: Span,
    /// Labels, in dtc's order (most recently added first).
    pub labels: Vec<Label>,
    /// The value.
    pub value: Value,
    /// Set by `/delete-property/`.
    pub deleted: bool,
}

/// A node.
#[derive(Clone, Debug)]
pub struct Node {
    /// Full name including any unit address (`i2c@40020000`); empty for the root.
    pub name: String,
    /// Where the name (or `/`, or the reference) was written.
    pub name_span: Span,
    /// Labels, in dtc's order (most recently added first).
    pub labels: Vec<Label>,
    /// Properties in order.
    pub props: Vec<Property>,
    /// Children in order.
    pub children: Vec<NodeId>,
    /// The parent (none for the root).
    pub parent: Option<NodeId>,
    /// Set by `/delete-node/`.
    pub deleted: bool,
    /// Marked `/omit-if-no-ref/`.
    pub omit_if_no_ref: bool,
    /// Some phandle or path reference points here.
    pub referenced: bool,
    /// Assigned or explicit phandle (0 = none).
    pub phandle: u32,
    /// The phandle was assigned by the references pass and the node had no `phandle`
    /// property: dtc appends `phandle = <N>;` after the other properties, and so does the
    /// canonical printer (kept as a flag, not a property, to save memory on large trees).
    pub auto_phandle: bool,
}

impl Node {
    fn new(name: String, name_span: Span) -> Node {
        Node {
            name,
            name_span,
            labels: Vec::new(),
            props: Vec::new(),
            children: Vec::new(),
            parent: None,
            deleted: false,
            omit_if_no_ref: false,
            referenced: false,
            phandle: 0,
            auto_phandle: false,
        }
    }

    /// The name before `@`.
    pub fn base_name(&self) -> &str {
        self.name.split('@').next().unwrap_or("")
    }

    /// The unit address after `@` (empty if none).
    pub fn unit_address(&self) -> &str {
        self.name.split_once('@').map(|(_, u)| u).unwrap_or("")
    }

    /// The live (not deleted) property named `name`.
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| !p.deleted && &*p.name == name)
    }

    /// Live properties.
    pub fn live_props(&self) -> impl Iterator<Item = &Property> {
        self.props.iter().filter(|p| !p.deleted)
    }

    /// Live labels.
    pub fn live_labels(&self) -> impl Iterator<Item = &Label> {
        self.labels.iter().filter(|l| !l.deleted)
    }
}

/// A `/memreserve/` entry.
#[derive(Clone, Debug)]
pub struct MemReserve {
    /// Labels.
    pub labels: Vec<Label>,
    /// Start address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Where it was written.
    pub span: Span,
}

/// A whole devicetree.
#[derive(Clone, Debug)]
pub struct Tree {
    /// Node arena; unreachable entries are leftovers of merges.
    pub nodes: Vec<Node>,
    /// The root node.
    pub root: NodeId,
    /// Memory reservations in source order.
    pub memreserves: Vec<MemReserve>,
    /// `/plugin/` was given.
    pub plugin: bool,
    /// The front end the tree was written in (hints quote this syntax).
    pub syntax: crate::syntax::Syntax,
    next_fragment: u32,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new(Span::default())
    }
}

fn add_label(labels: &mut Vec<Label>, label: &Label) {
    if let Some(l) = labels.iter_mut().find(|l| l.name == label.name) {
        l.deleted = false;
        return;
    }
    labels.insert(0, label.clone());
}

impl Tree {
    /// A tree with an empty root node.
    pub fn new(root_span: Span) -> Tree {
        Tree {
            nodes: vec![Node::new(String::new(), root_span)],
            root: NodeId(0),
            memreserves: Vec::new(),
            plugin: false,
            syntax: crate::syntax::Syntax::Dts,
            next_fragment: 0,
        }
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// The node `id`, mutably.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.0 as usize]
    }

    /// Reserves room for `n` more nodes.
    pub fn reserve(&mut self, n: usize) {
        self.nodes.reserve_exact(n);
    }

    /// Adds a detached node to the arena.
    pub fn alloc(&mut self, name: String, name_span: Span) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(Node::new(name, name_span));
        id
    }

    /// Appends `child` to `parent`'s children.
    pub fn add_child(&mut self, parent: NodeId, child: NodeId) {
        self.node_mut(child).parent = Some(parent);
        self.node_mut(parent).children.push(child);
    }

    /// Adds a label to a node (dtc order: new labels go first; re-adding revives).
    pub fn add_node_label(&mut self, id: NodeId, label: &Label) {
        add_label(&mut self.node_mut(id).labels, label);
    }

    /// Live children of `id`.
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.node(id)
            .children
            .iter()
            .copied()
            .filter(|c| !self.node(*c).deleted)
    }

    /// Every live node, parents before children, in source order.
    pub fn walk(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![self.root];
        while let Some(id) = stack.pop() {
            out.push(id);
            let n = self.node(id);
            for &c in n.children.iter().rev() {
                if !self.node(c).deleted {
                    stack.push(c);
                }
            }
        }
        out
    }

    /// The full path of a node (`/` for the root).
    pub fn path(&self, id: NodeId) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let n = self.node(c);
            if n.parent.is_some() {
                parts.push(n.name.as_str());
            }
            cur = n.parent;
        }
        if parts.is_empty() {
            return "/".to_string();
        }
        let mut s = String::new();
        for p in parts.iter().rev() {
            s.push('/');
            s.push_str(p);
        }
        s
    }

    /// Merges the detached node `new` into `old` the way dtc's `merge_nodes` does.
    pub fn merge(&mut self, old: NodeId, new: NodeId) {
        self.node_mut(old).deleted = false;
        let new_labels = std::mem::take(&mut self.node_mut(new).labels);
        // dtc walks the new node's list head first, prepending each to the old list.
        for l in &new_labels {
            add_label(&mut self.node_mut(old).labels, l);
        }
        let props = std::mem::take(&mut self.node_mut(new).props);
        for np in props {
            let on = self.node_mut(old);
            if np.deleted {
                if let Some(p) = on.props.iter_mut().find(|p| p.name == np.name) {
                    delete_property(p);
                }
                continue;
            }
            if let Some(op) = on.props.iter_mut().find(|p| p.name == np.name) {
                for l in &np.labels {
                    add_label(&mut op.labels, l);
                }
                op.value = np.value;
                op.name_span = np.name_span;
                op.deleted = false;
            } else {
                on.props.push(np);
            }
        }
        let children = std::mem::take(&mut self.node_mut(new).children);
        for nc in children {
            if self.node(nc).deleted {
                let name = self.node(nc).name.clone();
                let found = self
                    .node(old)
                    .children
                    .iter()
                    .copied()
                    .find(|&c| self.node(c).name == name);
                if let Some(c) = found {
                    self.delete_node(c);
                }
                continue;
            }
            let name = &self.node(nc).name;
            let found = self
                .node(old)
                .children
                .iter()
                .copied()
                .find(|&c| self.node(c).name == *name);
            match found {
                Some(oc) => self.merge(oc, nc),
                None => self.add_child(old, nc),
            }
        }
    }

    /// Marks a node, its subtree, their properties and labels deleted.
    pub fn delete_node(&mut self, id: NodeId) {
        let mut stack = vec![id];
        while let Some(c) = stack.pop() {
            let n = self.node_mut(c);
            n.deleted = true;
            for p in n.props.iter_mut().filter(|p| !p.deleted) {
                delete_property(p);
            }
            for l in n.labels.iter_mut() {
                l.deleted = true;
            }
            let kids: Vec<NodeId> = n.children.clone();
            for k in kids {
                if !self.node(k).deleted {
                    stack.push(k);
                }
            }
        }
    }

    /// Finds a live node by label (pre-order, first match), as dtc's `get_node_by_label`.
    pub fn find_label(&self, label: &str) -> Option<NodeId> {
        let mut stack = vec![self.root];
        while let Some(id) = stack.pop() {
            let n = self.node(id);
            if n.live_labels().any(|l| l.name == label) {
                return Some(id);
            }
            stack.extend(n.children.iter().rev().filter(|&&c| !self.node(c).deleted));
        }
        None
    }

    /// Finds a live node by full path (exact names, as dtc 1.6).
    pub fn find_path(&self, path: &str) -> Option<NodeId> {
        let mut cur = self.root;
        if self.node(cur).deleted {
            return None;
        }
        let mut rest = path;
        loop {
            rest = rest.trim_start_matches('/');
            if rest.is_empty() {
                return Some(cur);
            }
            let (head, tail) = match rest.find('/') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            let next = self.children(cur).find(|&c| self.node(c).name == head)?;
            match tail {
                Some(t) => {
                    cur = next;
                    rest = t;
                    if rest.is_empty() {
                        return Some(cur);
                    }
                }
                None => return Some(next),
            }
        }
    }

    /// Resolves a reference as dtc's `get_node_by_ref`.
    pub fn find_ref(&self, r: &Ref) -> Option<NodeId> {
        if r.target == "/" {
            return Some(self.root);
        }
        match r.kind {
            RefKind::Path => self.find_path(&r.target),
            RefKind::Label => self.find_label(&r.target),
        }
    }

    /// For `/plugin/` files: wraps `new` as `fragment@N { target = <&ref>; __overlay__ {..} }`
    /// under the root (dtc's `add_orphan_node`).
    pub fn add_orphan(&mut self, new: NodeId, r: &Ref) {
        let n = self.next_fragment;
        self.next_fragment += 1;
        let frag = self.alloc(format!("fragment@{n}"), r.span);
        let value = match r.kind {
            RefKind::Path => Value {
                pieces: smallvec::smallvec![Piece::Str {
                    bytes: r.target.as_bytes().to_vec(),
                    span: r.span,
                }],
            },
            RefKind::Label => Value {
                pieces: smallvec::smallvec![Piece::Cells {
                    bits: 32,
                    cells: vec![Cell::Phandle {
                        target: Box::new(r.clone()),
                        value: 0xffff_ffff,
                    }],
                    span: r.span,
                }],
            },
        };
        let pname = match r.kind {
            RefKind::Path => "target-path",
            RefKind::Label => "target",
        };
        self.node_mut(frag).props.push(Property {
            name: std::sync::Arc::from(pname),
            name_span: r.span,
            labels: Vec::new(),
            value,
            deleted: false,
        });
        self.node_mut(new).name = "__overlay__".to_string();
        self.add_child(frag, new);
        let root = self.root;
        self.add_child(root, frag);
    }
}

fn delete_property(p: &mut Property) {
    p.deleted = true;
    for l in p.labels.iter_mut() {
        l.deleted = true;
    }
}
