//! `rtio-dt FILE`: check a devicetree (dtc's checks and the binding checks the generator
//! relies on) and print it as canonical DTS, the bytes `dtc -I dts -O dts FILE` prints.
//! `rtio-dt --rust FILE` prints the generated Rust instead; `--dtc-only` skips the binding
//! checks (accepts exactly what dtc accepts).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use rtio_devicetree::pipeline::{self, Options};

fn usage() -> ExitCode {
    eprintln!("usage: rtio-dt [--rust | --dtc-only] [-i INCLUDE_DIR]... [-b BINDINGS_DIR]... FILE");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut rust = false;
    let mut dtc_only = false;
    let mut file = None;
    let mut opts = Options::default();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--rust") => rust = true,
            Some("--dtc-only") => dtc_only = true,
            Some("-i") => match args.next() {
                Some(d) => opts.include_dirs.push(PathBuf::from(d)),
                None => return usage(),
            },
            Some("-b") => match args.next() {
                Some(d) => opts.bindings_dirs.push(PathBuf::from(d)),
                None => return usage(),
            },
            Some("-h" | "--help") => {
                let _ = usage();
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() => file = Some(PathBuf::from(a)),
            _ => return usage(),
        }
    }
    let Some(file) = file else { return usage() };
    opts.dtc_only = dtc_only && !rust;
    match pipeline::load_file(&file, &opts) {
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
