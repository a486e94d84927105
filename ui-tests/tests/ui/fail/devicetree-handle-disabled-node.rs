// A handle for a disabled node: the node is used, so the devicetree is rejected at the
// macro, naming the node and where it is disabled.
mod dt {
    rtio_macros::devicetree!("boards/devices.dts", drivers {
        "ti,tmp105" => ui_tests::Immediate = ui_tests::Immediate,
    }, used [temp, off]);
}

fn main() {}
