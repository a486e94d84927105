fn main() {
    // The integration test points this at a broken board to check the error path.
    println!("cargo::rerun-if-env-changed=RTIO_APP_BOARD");
    let board = std::env::var("RTIO_APP_BOARD").unwrap_or_else(|_| "boards/app.dts".into());
    let _ = rtio_devicetree::Builder::new(board)
        .bindings_dir("boards/bindings")
        .generate();
}
