//! Build script: puts `memory.x` on the linker path and turns the board's devicetree into
//! typed Rust (`$OUT_DIR/devicetree.rs`) with rtio-devicetree, driver instances included.
use std::path::PathBuf;

/// `Mmio` of the node's first `reg` entry. SAFETY (of the generated `unsafe` blocks): the
/// devicetree's `reg` of each of these nodes is that peripheral's register block.
const REGS: &str = "unsafe { crate::mmio::Mmio::at(REG_ADDRESS) }";

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Err(e) = std::fs::copy("memory.x", out.join("memory.x")) {
        println!("cargo::error=cannot copy memory.x to OUT_DIR: {e}");
        return;
    }
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rerun-if-changed=memory.x");
    println!("cargo::rerun-if-changed=build.rs");
    let i2c_device = "crate::drivers::i2c::I2cDevice::new(&super::DRIVER, BUS_ADDRESS)";
    let ssi_device = "crate::drivers::ssi::SsiDevice::new(&super::DRIVER, \
                      crate::drivers::ssi::Target::from_chip_select(CHIP_SELECT))";
    // Diagnostics are printed by the builder (file:line:col, the source line, a hint) and
    // the build fails with `cargo::error=` lines.
    let _ = rtio_devicetree::Builder::new("boards/lm3s6965evb.dts")
        .bindings_dir("boards/bindings")
        // Which driver serves which compatible: the generated module of every node with one
        // of these gets `DRIVER`, and a device node `IODEV` and `DEV: Dev<Kind>` too.
        .driver(
            "ti,stellaris-i2c",
            "crate::drivers::i2c::I2cBus",
            format!("crate::drivers::i2c::I2cBus::new({REGS}, INTERRUPTS[0], $children)"),
        )
        .driver("ti,tmp105", "crate::drivers::i2c::I2cDevice", i2c_device)
        .driver("atmel,24c32", "crate::drivers::i2c::I2cDevice", i2c_device)
        .driver(
            "arm,pl022",
            "crate::drivers::ssi::SsiBus",
            format!(
                "crate::drivers::ssi::SsiBus::new({REGS}, INTERRUPTS[0], |t| DRIVER.resume(t))"
            ),
        )
        .driver(
            "solomon,ssd0323",
            "crate::drivers::ssi::SsiDevice",
            ssi_device,
        )
        .driver("mmc-spi-slot", "crate::drivers::ssi::SsiDevice", ssi_device)
        .driver(
            "arm,pl011",
            "crate::drivers::uart::Uart",
            format!("crate::drivers::uart::Uart::new({REGS}, &IODEV)"),
        )
        .driver(
            "ti,stellaris-adc",
            "crate::drivers::adc::Adc",
            format!("crate::drivers::adc::Adc::new({REGS}, &IODEV)"),
        )
        .driver(
            "ti,lm3s6965evb-gamepad",
            "crate::drivers::gamepad::Gamepad",
            "crate::drivers::gamepad::Gamepad::new(\
             unsafe { crate::mmio::Mmio::at(crate::dt::labels::gpioe::REG_ADDRESS) }, \
             unsafe { crate::mmio::Mmio::at(crate::dt::labels::gpiof::REG_ADDRESS) }, &IODEV)",
        )
        // Timer 0 is the runtime's clock, timer 1 the ADC's trigger: one compatible, two
        // roles, so a driver per node (not iodevs: `DRIVER` only).
        .node_driver(
            "timer0",
            "crate::drivers::gptm::GptmClock",
            format!("crate::drivers::gptm::GptmClock::new({REGS}, 1000)"),
        )
        .node_driver(
            "timer1",
            "crate::drivers::gptm::AdcTrigger",
            format!("crate::drivers::gptm::AdcTrigger::new({REGS})"),
        )
        // The devices the programs use: each must have a driver (else the build fails).
        .used("temp")
        .used("eeprom")
        .used("absent")
        .used("oled")
        .used("sd")
        .used("uart0")
        .used("adc0")
        .used("keys")
        .generate();
}
