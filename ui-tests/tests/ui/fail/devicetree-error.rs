// A devicetree mistake is a compile error at the path, with the devicetree's file and line.
mod dt {
    rtio_macros::devicetree!("boards/bad-address.dts");
}

fn main() {}
