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
///
/// ```no_run
/// // build.rs, in `fn main()`. On a mistake this prints the diagnostics and fails the
/// // build; the `Err` carries them too, for a build script that wants to do more.
/// let _ = rtio_devicetree::Builder::new("boards/app.dts")
///     .bindings_dir("boards/bindings")
///     .used("temp") // generated bindings / chains use this node: bind it or fail
///     .generate();
/// ```
///
/// # How the build fails
///
/// [`Builder::generate`] prints one `cargo::rerun-if-changed=` per file read (also when it
/// fails), then every line of every diagnostic, rendered as `rtio-dt` and the
/// `devicetree!` macro render them (the `file:line:col` location, the source line, the `^^^`
/// underline with its label, a second location where there is one, the `= help:` hint),
/// as one cargo instruction per line: `cargo::error=LINE` for errors, `cargo::warning=LINE`
/// for warnings. Cargo prints these lines without `-vv`, prefixed by the package name:
///
/// ```text
/// error: app@0.1.0: error[DT0303]: I2C address 0x148 of `/i2c@40020000/tmp105@48` is out of range
/// error: app@0.1.0:   --> boards/app.dts:12:10
/// error: app@0.1.0:    |
/// error: app@0.1.0: 12 |         reg = <0x148>;
/// error: app@0.1.0:    |               ^^^^^^^ must be at most 0x7f
/// error: app@0.1.0:    |
/// error: app@0.1.0:    = help: 7-bit addresses are 0x00..=0x7f; for a 10-bit address set bit 31 (I2C_TEN_BIT_ADDRESS)
/// error: app@0.1.0: devicetree has 1 error
/// error: build script logged errors
/// ```
///
/// A `cargo::error=` line makes cargo fail the build after the build script returns, so
/// `build.rs` needs no `unwrap()` (and should not panic: a panic prints a backtrace in place
/// of the diagnostics). Nothing is written to `$OUT_DIR` on failure, so the crate is not
/// compiled against a stale tree. Warnings (an unknown compatible that looks like a typo, a
/// device whose bus controller has no binding, dtc's warning-level checks) do not fail the
/// build unless [`Builder::strict`] is set or the node is [`Builder::used`]; cargo shows
/// build-script warnings of local packages only (not of dependencies from a registry).
#[derive(Clone, Debug)]
#[must_use = "a Builder generates nothing until `.generate()` is called"]
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

    /// Declares that the program uses `node` (a label such as `temp`, a full path or an
    /// alias): through a generated binding or in a chain. For such a node every check that
    /// needs a binding is an error instead of a warning: an unknown `compatible` (named with
    /// the nearest known one), a bus controller whose compatible has no binding, a `reg`
    /// the generator cannot decode; a name that matches no node, or a disabled node, is an
    /// error too. See [`Options::used`].
    pub fn used(mut self, node: impl Into<String>) -> Builder {
        self.opts.used.push(node.into());
        self
    }

    /// Declares that the Rust driver `ty`, built by the constant expression `init`, serves
    /// every enabled node whose `compatible` lists `compatible`: the generated module of each
    /// such node gets `pub static DRIVER: ty = init;`, and if its binding has an iodev kind,
    /// `pub static IODEV: rtio::Iodev` and `pub const DEV: rtio::Dev<Kind>`, a handle of that
    /// node's kind only. `init` sees the node's constants (`BUS_ADDRESS`, `REG_ADDRESS`,
    /// `INTERRUPTS`, ...), `DRIVER`, `IODEV`, the bus controller's `super::DRIVER` and
    /// `$children`; see [`crate::drivers`] for the names and the errors.
    ///
    /// ```no_run
    /// let _ = rtio_devicetree::Builder::new("boards/app.dts")
    ///     .driver(
    ///         "ti,tmp105",
    ///         "crate::drivers::i2c::I2cDevice",
    ///         "crate::drivers::i2c::I2cDevice::new(&super::DRIVER, BUS_ADDRESS)",
    ///     )
    ///     .generate();
    /// ```
    pub fn driver(
        mut self,
        compatible: impl Into<String>,
        ty: impl Into<String>,
        init: impl Into<String>,
    ) -> Builder {
        self.opts
            .drivers
            .push(crate::drivers::Driver::new(compatible, ty, init));
        self
    }

    /// Declares the driver of one node (a label, full path or alias) that is not an iodev:
    /// its module gets `pub static DRIVER: ty = init;` only. Takes precedence over a
    /// [`Builder::driver`] for the node's compatible; see [`crate::drivers::Driver::for_node`].
    ///
    /// ```no_run
    /// let _ = rtio_devicetree::Builder::new("boards/app.dts")
    ///     .node_driver(
    ///         "timer0",
    ///         "crate::drivers::gptm::GptmClock",
    ///         "crate::drivers::gptm::GptmClock::new(crate::board::regs(REG_ADDRESS), 1000)",
    ///     )
    ///     .generate();
    /// ```
    pub fn node_driver(
        mut self,
        node: impl Into<String>,
        ty: impl Into<String>,
        init: impl Into<String>,
    ) -> Builder {
        self.opts
            .drivers
            .push(crate::drivers::Driver::for_node(node, ty, init));
        self
    }

    /// Makes every warning an error (dtc's warning-level checks such as a `reg` that does not
    /// fit `#address-cells`/`#size-cells`, and checks that could not be made for want of a
    /// binding). See [`Options::strict`].
    pub fn strict(mut self, strict: bool) -> Builder {
        self.opts.strict = strict;
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
    /// file read and every warning in full as `cargo::warning=` lines. Returns the path
    /// written.
    ///
    /// # Errors
    /// The diagnostics, or an I/O problem writing the output. They are already printed, in
    /// full, as `cargo::error=` lines (see [How the build fails](Builder#how-the-build-fails)),
    /// so cargo fails the build whether or not the caller looks at the `Err`.
    pub fn generate(self) -> Result<PathBuf, Diagnostics> {
        let (lines, result) = self.generate_quiet();
        for l in lines {
            println!("{l}");
        }
        result
    }

    /// [`Builder::generate`] without printing: the `cargo::` lines it would print, in
    /// order, and its result.
    pub fn generate_quiet(self) -> (Vec<String>, Result<PathBuf, Diagnostics>) {
        let mut lines = Vec::new();
        let mut opts = self.opts.clone();
        opts.dtc_only = false;
        let result = pipeline::load_file(&self.input, &opts);
        let files = match &result {
            Ok(c) => c.files_read.clone(),
            Err(d) => d.files_read.clone(),
        };
        for f in &files {
            lines.push(format!("cargo::rerun-if-changed={}", f.display()));
        }
        let checked = match result {
            Ok(c) => {
                lines.extend(c.cargo_rendered_warning_lines());
                c
            }
            Err(d) => {
                lines.extend(d.cargo_rendered_lines());
                return (lines, Err(d));
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
                    lines.extend(d.cargo_rendered_lines());
                    return (lines, Err(d));
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
            lines.extend(d.cargo_rendered_lines());
            return (lines, Err(d));
        }
        (lines, Ok(out))
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
