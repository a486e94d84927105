//! Uses the module tree rtio-devicetree generated from boards/app.dts.
#![forbid(unsafe_code)]

mod dt {
    include!(concat!(env!("OUT_DIR"), "/devicetree.rs"));
}

/// The generated code for every corpus board (compile check only).
mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus_mods.rs"));
}

use rtio::caps;

fn name<K: caps::Kind>() -> &'static str {
    K::NAME
}

/// Only I2C devices that can be read get here (checked at compile time).
fn i2c_reader<K: caps::Read + caps::I2c>(addr: u8) -> String {
    format!("{} at 0x{addr:02x}", name::<K>())
}

/// Only writable SPI devices get here.
fn spi_writer<K: caps::Write + caps::Spi>(cs: u8) -> String {
    format!("{} on cs {cs}", name::<K>())
}

fn streamer<K: caps::Stream>() -> &'static str {
    name::<K>()
}

fn main() {
    use dt::labels::{i2c0, lux, oled, temp};
    println!("{}", i2c_reader::<temp::Kind>(temp::BUS_ADDRESS));
    println!("{}", i2c_reader::<lux::Kind>(lux::BUS_ADDRESS));
    println!("{}", spi_writer::<oled::Kind>(oled::CHIP_SELECT));
    println!("stream: {}", streamer::<lux::Kind>());
    println!(
        "lux gain {} integration {} ms",
        lux::GAIN,
        lux::INTEGRATION_TIME_MS
    );
    println!(
        "i2c0 {} at 0x{:x} size 0x{:x} clock {}",
        i2c0::PATH,
        i2c0::REG_ADDRESS,
        i2c0::REG_SIZE,
        i2c0::CLOCK_FREQUENCY
    );
    println!("alias display -> {}", dt::aliases::display::PATH);
    println!("chosen sensor -> {}", dt::chosen::rtio_sensor::PATH);
    println!(
        "oled max {} Hz, {}x{}",
        oled::SPI_MAX_FREQUENCY,
        oled::WIDTH,
        oled::HEIGHT
    );
    println!(
        "corpus eeprom {}",
        i2c_reader::<corpus::lm3s6965evb::labels::eeprom::Kind>(
            corpus::lm3s6965evb::labels::eeprom::BUS_ADDRESS
        )
    );
}
