// The devicetree file must exist.
mod dt {
    rtio_macros::devicetree!("boards/missing.dts");
}

fn main() {}
