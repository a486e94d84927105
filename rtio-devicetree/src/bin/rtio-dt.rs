//! `rtio-dt FILE`: check a devicetree (dtc's checks and the binding checks the generator
//! relies on) and print it as canonical DTS, the bytes `dtc -I dts -O dts FILE` prints.
//! `rtio-dt --rust FILE` prints the generated Rust instead; `--dtc-only` skips the binding
//! checks (accepts exactly what dtc accepts). `rtio-dt --help` lists every option.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use rtio_devicetree::pipeline::{self, Options};

const HELP: &str = "\
rtio-dt: check a devicetree and print it as canonical DTS (the bytes `dtc -I dts -O dts`
prints) or as the Rust that rtio-devicetree generates.

Usage: rtio-dt [OPTIONS] FILE

FILE is devicetree source (`.dts`, after the C preprocessor if it uses #include), or the same
tree in TOML (`.toml`); `-` reads DTS from stdin. Diagnostics go to stderr; the output goes
to stdout.

Options:
      --rust             print the generated Rust module tree instead of DTS
      --dtc-only         run only dtc's checks: accept exactly what dtc accepts
      --strict           make every warning an error (dtc's warning-level checks, such as a
                         `reg` that does not fit #address-cells/#size-cells, and checks that
                         could not be made for want of a binding)
  -u, --use NODE         NODE (label, /full/path or alias) is used from Rust: every check
                         that needs a binding is an error for it (repeatable)
  -i DIR                 search DIR for /include/ files (repeatable)
  -b DIR                 load binding files (*.toml) from DIR (repeatable)
  -h, --help             print this help and exit
  -V, --version          print the version and exit

Exit status: 0 accepted (warnings may be printed), 1 rejected (errors printed),
2 bad command line.

Examples:
  rtio-dt board.dts > board.canonical.dts
  cpp -nostdinc -I include -undef -x assembler-with-cpp board.dts | rtio-dt -
  rtio-dt --rust -b boards/bindings --use temp boards/app.dts
";

fn usage(msg: &str) -> ExitCode {
    eprintln!("rtio-dt: {msg}");
    eprintln!(
        "usage: rtio-dt [--rust | --dtc-only] [--strict] [-u NODE]... [-i DIR]... [-b DIR]... FILE"
    );
    eprintln!("try `rtio-dt --help` for more information");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut rust = false;
    let mut dtc_only = false;
    let mut file = None;
    let mut opts = Options::default();
    let mut args = std::env::args_os().skip(1);
    let mut only_files = false;
    while let Some(a) = args.next() {
        let s = if only_files { None } else { a.to_str() };
        match s {
            Some("--") => only_files = true,
            Some("--rust") => rust = true,
            Some("--dtc-only") => dtc_only = true,
            Some("--strict") => opts.strict = true,
            Some(o @ ("-i" | "-b" | "-u" | "--use")) => {
                let Some(v) = args.next() else {
                    return usage(&format!("`{o}` needs a value"));
                };
                match o {
                    "-i" => opts.include_dirs.push(PathBuf::from(v)),
                    "-b" => opts.bindings_dirs.push(PathBuf::from(v)),
                    _ => opts.used.push(v.to_string_lossy().into_owned()),
                }
            }
            Some("-h" | "--help") => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            Some("-V" | "--version") => {
                println!("rtio-dt {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            Some(o) if o.starts_with('-') && o.len() > 1 => {
                return usage(&format!("unknown option `{o}`"));
            }
            _ if file.is_none() => file = Some(PathBuf::from(a)),
            _ => return usage("only one FILE can be given"),
        }
    }
    let Some(file) = file else {
        return usage("no FILE given");
    };
    if dtc_only && (rust || opts.strict || !opts.used.is_empty()) {
        return usage("`--dtc-only` cannot be combined with `--rust`, `--strict` or `--use`");
    }
    opts.dtc_only = dtc_only;
    let loaded = if file.as_os_str() == "-" {
        let mut text = Vec::new();
        if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut text) {
            eprintln!("rtio-dt: cannot read stdin: {e}");
            return ExitCode::from(1);
        }
        pipeline::load_str("<stdin>", &String::from_utf8_lossy(&text), &opts)
    } else {
        pipeline::load_file(&file, &opts)
    };
    match loaded {
        Ok(checked) => {
            if !checked.warnings.is_empty() {
                eprintln!("{}", checked.render_warnings());
            }
            let so = std::io::BufWriter::new(std::io::stdout().lock());
            let mut sink = rtio_devicetree::builder::IoSink::new(so);
            let r = if rust {
                rtio_devicetree::codegen::generate_to(&checked, &mut sink)
            } else {
                rtio_devicetree::canonical::write_dts(&checked.tree, &mut sink)
            };
            if r.is_err() || sink.inner.flush().is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprint!("{}", d.render());
            ExitCode::from(1)
        }
    }
}
