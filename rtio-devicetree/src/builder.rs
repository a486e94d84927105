//! The entry points for build scripts and proc-macros.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::pipeline::{self, Options};

/// Generated Rust and the files it was generated from.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The module tree, as Rust source (items only, no inner attributes: `include!`-able).
    pub code: String,
    /// Every file read (input, `/include/`s, `/incbin/`s, binding files), plus each bindings
    /// directory that was listed: track each one (a proc-macro can `include_bytes!` the
    /// files; directories only matter to cargo's `rerun-if-changed`).
    pub files_read: Vec<PathBuf>,
}

/// Parses, checks and generates Rust for `path` with default options (built-in bindings,
/// includes relative to the file).
///
/// This is the pure function the `devicetree!` proc-macro calls: it reads files but writes
/// nothing and prints nothing.
///
/// # Errors
/// [`Diagnostics`] with every problem found; `render()` them for the user, and still track
/// `files_read` so a fix triggers a rebuild.
pub fn generate_from_file(path: impl AsRef<Path>) -> Result<Generated, Diagnostics> {
    generate_with(path.as_ref(), &Options::default())
}

/// Like [`generate_from_file`], with include and binding directories.
///
/// # Errors
/// As [`generate_from_file`].
pub fn generate_with(path: &Path, opts: &Options) -> Result<Generated, Diagnostics> {
    let mut opts = opts.clone();
    opts.dtc_only = false;
    let checked = pipeline::load_file(path, &opts)?;
    Ok(Generated {
        code: crate::codegen::generate(&checked),
        files_read: checked.files_read.clone(),
    })
}

/// Parses, checks and generates Rust for in-memory text (tests, tools).
///
/// # Errors
/// As [`generate_from_file`].
pub fn generate_from_str(name: &str, text: &str) -> Result<Generated, Diagnostics> {
    let checked = pipeline::load_str(name, text, &Options::default())?;
    Ok(Generated {
        code: crate::codegen::generate(&checked),
        files_read: checked.files_read.clone(),
    })
}

/// Build-script driver: `Builder::new("boards/app.dts").generate()` writes
/// `$OUT_DIR/devicetree.rs` and prints the `cargo::` lines.
#[derive(Clone, Debug)]
pub struct Builder {
    input: PathBuf,
    opts: Options,
    out_file: Option<PathBuf>,
}

impl Builder {
    /// A builder for the devicetree at `input` (DTS, or TOML by `.toml` extension), relative
    /// to the package root when run from build.rs.
    pub fn new(input: impl Into<PathBuf>) -> Builder {
        Builder {
            input: input.into(),
            opts: Options::default(),
            out_file: None,
        }
    }

    /// Adds a directory of user binding files (`*.toml`).
    pub fn bindings_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.opts.bindings_dirs.push(dir.into());
        self
    }

    /// Adds one user binding file.
    pub fn binding_file(mut self, file: impl Into<PathBuf>) -> Builder {
        self.opts.binding_files.push(file.into());
        self
    }

    /// Adds a directory searched by `/include/`.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.opts.include_dirs.push(dir.into());
        self
    }

    /// Writes to `file` instead of `$OUT_DIR/devicetree.rs`.
    pub fn out_file(mut self, file: impl Into<PathBuf>) -> Builder {
        self.out_file = Some(file.into());
        self
    }

    /// Generates the code without writing or printing anything.
    ///
    /// # Errors
    /// As [`generate_from_file`].
    pub fn generate_string(&self) -> Result<Generated, Diagnostics> {
        generate_with(&self.input, &self.opts)
    }

    /// Generates, writes the output file, and prints `cargo::rerun-if-changed=` for every
    /// file read. On failure prints the rendered diagnostics to stderr and one
    /// `cargo::error=` line per error, and returns them. Returns the path written.
    ///
    /// # Errors
    /// The diagnostics (already printed), or an I/O problem writing the output.
    pub fn generate(self) -> Result<PathBuf, Diagnostics> {
        let mut opts = self.opts.clone();
        opts.dtc_only = false;
        let result = pipeline::load_file(&self.input, &opts);
        let files = match &result {
            Ok(c) => c.files_read.clone(),
            Err(d) => d.files_read.clone(),
        };
        for f in &files {
            println!("cargo::rerun-if-changed={}", f.display());
        }
        let checked = match result {
            Ok(c) => {
                for l in c.cargo_warning_lines() {
                    println!("{l}");
                }
                c
            }
            Err(d) => {
                report(&d);
                return Err(d);
            }
        };
        let out = match self.out_file.clone() {
            Some(f) => f,
            None => match std::env::var_os("OUT_DIR") {
                Some(d) => PathBuf::from(d).join("devicetree.rs"),
                None => {
                    let d = Diagnostics {
                        list: vec![Diagnostic::error(Code::Io, "OUT_DIR is not set")
                            .help("call `generate()` from build.rs, or set `out_file`")],
                        ..Diagnostics::default()
                    };
                    report(&d);
                    return Err(d);
                }
            },
        };
        if let Err(e) = write_generated(&checked, &out) {
            let d = Diagnostics {
                list: vec![Diagnostic::error(
                    Code::Io,
                    format!("cannot write `{}`: {e}", out.display()),
                )
                .help("check that the output directory exists and is writable")],
                ..Diagnostics::default()
            };
            report(&d);
            return Err(d);
        }
        Ok(out)
    }
}

/// Adapts an [`std::io::Write`] for the streaming writers
/// ([`crate::codegen::generate_to`], [`crate::canonical::write_dts`]), keeping the first I/O
/// error.
#[derive(Debug)]
pub struct IoSink<W: std::io::Write> {
    /// The underlying writer.
    pub inner: W,
    /// The first error the writer returned.
    pub error: Option<std::io::Error>,
}

impl<W: std::io::Write> IoSink<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> IoSink<W> {
        IoSink { inner, error: None }
    }
}

impl<W: std::io::Write> std::fmt::Write for IoSink<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.error.is_some() {
            return Err(std::fmt::Error);
        }
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}

fn write_generated(checked: &crate::pipeline::Checked, out: &Path) -> std::io::Result<()> {
    let f = std::fs::File::create(out)?;
    let mut sink = IoSink::new(std::io::BufWriter::new(f));
    if crate::codegen::generate_to(checked, &mut sink).is_err() {
        return Err(sink
            .error
            .unwrap_or_else(|| std::io::Error::other("formatting failed")));
    }
    sink.inner.flush()
}

fn report(d: &Diagnostics) {
    eprint!("{}", d.render());
    for l in d.cargo_lines() {
        println!("{l}");
    }
}
