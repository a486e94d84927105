use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // The integration test points this at a broken board to check the error path.
    println!("cargo::rerun-if-env-changed=RTIO_APP_BOARD");
    let board = std::env::var("RTIO_APP_BOARD").unwrap_or_else(|_| "boards/app.dts".into());
    // ... and this at a node the program would use, to check that it must be bound.
    println!("cargo::rerun-if-env-changed=RTIO_APP_USE");
    let default_board = board == "boards/app.dts";
    let mut builder = rtio_devicetree::Builder::new(board).bindings_dir("boards/bindings");
    if default_board {
        // the program below uses these two nodes: they must be bound
        builder = builder.used("temp").used("display");
    }
    if let Ok(node) = std::env::var("RTIO_APP_USE") {
        builder = builder.used(node);
    }
    let _ = builder.generate();

    // Compile check: the Rust generated for every corpus file that passes the checks.
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let corpus = Path::new("../dts");
    println!("cargo::rerun-if-changed={}", corpus.display());
    let mut names: Vec<PathBuf> = std::fs::read_dir(corpus)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "dts"))
        .collect();
    names.sort();
    let mut mods = String::new();
    for p in names {
        let Ok(g) = rtio_devicetree::generate_from_file(&p) else {
            continue;
        };
        let stem = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("x")
            .replace('-', "_");
        let file = out.join(format!("corpus_{stem}.rs"));
        std::fs::write(&file, g.code).expect("write");
        let _ = writeln!(
            mods,
            "pub mod {stem} {{ include!(concat!(env!(\"OUT_DIR\"), \"/corpus_{stem}.rs\")); }}"
        );
    }
    std::fs::write(out.join("corpus_mods.rs"), mods).expect("write");
}
