// The program uses the EEPROM, but no driver is declared for its compatible: no handle can
// be generated, and the error names the node, its compatible and how to declare one.
mod dt {
    rtio_macros::devicetree!("boards/devices.dts", drivers {
        "ti,tmp105" => ui_tests::Immediate = ui_tests::Immediate,
    }, used [temp, eeprom]);
}

fn main() {}
