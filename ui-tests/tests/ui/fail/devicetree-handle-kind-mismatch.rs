// A generated handle carries its own node's kind: the EEPROM's handle is not the sensor's.
use rtio::Dev;

mod dt {
    rtio_macros::devicetree!("boards/devices.dts", drivers {
        "ti,tmp105" => ui_tests::Immediate = ui_tests::Immediate,
        "atmel,24c32" => ui_tests::Immediate = ui_tests::Immediate,
    });
}

const SENSOR: Dev<dt::labels::temp::Kind> = dt::labels::eeprom::DEV;

fn main() {
    let _ = SENSOR;
}
