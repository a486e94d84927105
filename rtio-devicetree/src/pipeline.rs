//! The whole front half: read -> lex/parse (or TOML) -> dtc checks -> semantic checks.

use std::path::{Path, PathBuf};

use crate::bindings::Bindings;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::model::Tree;
use crate::passes::{self, Ctx};
use crate::source::SourceMap;

/// Where to find includes and bindings.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Extra directories searched by `/include/` (after the including file's directory).
    pub include_dirs: Vec<PathBuf>,
    /// Directories of user binding files (`*.toml`).
    pub bindings_dirs: Vec<PathBuf>,
    /// Individual user binding files.
    pub binding_files: Vec<PathBuf>,
    /// Only run dtc's checks (what `rtio-dt` needs for canonical output), not bindings.
    pub dtc_only: bool,
    /// Nodes the caller uses: the nodes behind generated bindings and chains, named by
    /// label (`temp`), full path or alias. For these, every check that needs a binding is
    /// an error: an unknown `compatible` (with the nearest known one), a parent bus
    /// controller without a binding, a `reg` the generator cannot decode; a name that
    /// matches no node, or a disabled node, is an error too. Elsewhere those checks warn.
    pub used: Vec<String>,
    /// Every warning is an error: dtc's warning-level checks (`reg` shape, unit addresses)
    /// and the checks that could not be made for want of a binding.
    pub strict: bool,
    /// Which Rust driver serves which compatible ([`crate::drivers`]): the generator emits a
    /// driver instance, iodev and typed handle for every enabled node one serves, and those
    /// nodes are used.
    pub drivers: Vec<crate::drivers::Driver>,
}

/// A parsed and checked devicetree.
#[derive(Debug)]
pub struct Checked {
    /// The tree, with references resolved and phandles assigned.
    pub tree: Tree,
    /// Every file read.
    pub sources: SourceMap,
    /// Paths of every file read (input, includes, binding files and directories).
    pub files_read: Vec<PathBuf>,
    /// The bindings the tree was checked against.
    pub bindings: Bindings,
    /// Warnings (the input was accepted); render with [`Checked::render_warnings`].
    pub warnings: Vec<Diagnostic>,
    /// The driver declarations the code generator instantiates ([`Options::drivers`]).
    pub drivers: Vec<crate::drivers::Driver>,
}

impl Checked {
    /// The node a user-facing name denotes (a label such as `temp` or `&temp`, a full path,
    /// or an alias), as [`Options::used`] resolves it: for the code generator and the macros
    /// to find the node behind a handle they generate.
    pub fn node(&self, name: &str) -> Option<crate::model::NodeId> {
        passes::used_nodes_bound::resolve(&self.tree, name)
    }

    /// The warnings rendered like errors, or an empty string.
    pub fn render_warnings(&self) -> String {
        self.warnings
            .iter()
            .map(|d| d.render(&self.sources))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One short `cargo::warning=file:line:col: warning[CODE]: message` line per warning.
    pub fn cargo_warning_lines(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|d| format!("cargo::warning={}", d.short(&self.sources)))
            .collect()
    }

    /// Every rendered line of every warning (location, source line, underline, hint) as
    /// `cargo::warning=LINE`, for build.rs: cargo shows these without `-vv`.
    pub fn cargo_rendered_warning_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, d) in self.warnings.iter().enumerate() {
            if i > 0 {
                out.push("cargo::warning=".to_string());
            }
            for line in d.render(&self.sources).lines() {
                out.push(format!("cargo::warning={line}"));
            }
        }
        out
    }
}

/// The errors of a rejected input (its warnings are shown once it is accepted).
fn fail(mut list: Vec<Diagnostic>, sources: SourceMap, files_read: Vec<PathBuf>) -> Diagnostics {
    list.retain(|d| d.severity == Severity::Error);
    Diagnostics {
        list,
        sources,
        files_read,
    }
}

/// Reads, parses and checks `path` (DTS, or TOML if it ends in `.toml`).
///
/// # Errors
/// Every problem found, with the sources to render them.
pub fn load_file(path: &Path, opts: &Options) -> Result<Checked, Diagnostics> {
    let mut sources = SourceMap::new();
    let files_read = vec![path.to_path_buf()];
    let text = match std::fs::read(path) {
        // no copy for valid UTF-8 (the common case)
        Ok(b) => String::from_utf8(b)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(e) => {
            let d = Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", path.display()))
                .help(
                    "check the path (relative paths are relative to the package root in build.rs)",
                );
            return Err(fail(vec![d], sources, files_read));
        }
    };
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    let id = sources.add(path, text);
    check(sources, id, is_toml, files_read, opts)
}

/// Parses and checks in-memory text named `name` (includes resolve relative to `name`).
///
/// # Errors
/// Every problem found, with the sources to render them.
pub fn load_str(name: &str, text: &str, opts: &Options) -> Result<Checked, Diagnostics> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text.to_string());
    check(sources, id, name.ends_with(".toml"), Vec::new(), opts)
}

fn check(
    mut sources: SourceMap,
    id: crate::source::FileId,
    is_toml: bool,
    mut files_read: Vec<PathBuf>,
    opts: &Options,
) -> Result<Checked, Diagnostics> {
    let mut diags = Vec::new();
    let tree = if is_toml {
        let text = sources.text(id).to_string();
        crate::toml_front::parse(id, &text, &mut diags)
    } else {
        crate::parser::parse(
            &mut sources,
            &mut diags,
            &mut files_read,
            id,
            opts.include_dirs.clone(),
        )
    };
    let has_errors = |d: &[Diagnostic]| d.iter().any(|x| x.severity == Severity::Error);
    let Some(mut tree) = tree else {
        return Err(fail(diags, sources, files_read));
    };
    if has_errors(&diags) {
        return Err(fail(diags, sources, files_read));
    }
    if !passes::run_dtc_checks(&mut tree, &mut diags) {
        return Err(fail(diags, sources, files_read));
    }
    let mut bindings = Bindings::builtin();
    if !opts.dtc_only {
        for d in &opts.bindings_dirs {
            bindings.load_dir(d, &mut sources, &mut files_read, &mut diags);
        }
        for f in &opts.binding_files {
            bindings.load_file(f, &mut sources, &mut files_read, &mut diags);
        }
        if has_errors(&diags) {
            return Err(fail(diags, sources, files_read));
        }
        // a node with a driver of its own is used: it must exist and be enabled
        let mut names = opts.used.clone();
        names.extend(opts.drivers.iter().filter_map(|d| d.node.clone()));
        let mut used = passes::used_nodes_bound::run(&tree, &names, &mut diags);
        let named: Vec<(String, crate::model::NodeId)> = opts
            .used
            .iter()
            .filter_map(|n| Some((n.clone(), passes::used_nodes_bound::resolve(&tree, n)?)))
            .filter(|(_, id)| used.contains(id))
            .collect();
        crate::drivers::check(&tree, &bindings, &opts.drivers, &named, &mut diags);
        used.extend(crate::drivers::driven_nodes(&tree, &opts.drivers));
        let ctx = Ctx {
            sources: &sources,
            bindings: &bindings,
            used: &used,
            strict: opts.strict,
        };
        passes::run_semantic_checks(&tree, &ctx, &mut diags);
        passes::run_warning_checks(&tree, &mut diags);
        if opts.strict {
            for d in &mut diags {
                d.severity = Severity::Error;
            }
        }
        if has_errors(&diags) {
            return Err(fail(diags, sources, files_read));
        }
    }
    let warnings = diags;
    Ok(Checked {
        tree,
        sources,
        files_read,
        bindings,
        warnings,
        drivers: if opts.dtc_only {
            Vec::new()
        } else {
            opts.drivers.clone()
        },
    })
}
