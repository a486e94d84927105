//! The simulated board, declared once in `examples/boards/host.dts` and turned into Rust
//! at compile time by `rtio_macros::devicetree!`: bus speeds, addresses, chip selects,
//! display geometry, a typed kind per device that `chain!` and the builders check, and for
//! each device an `attach` that puts its simulated model on the bus at the node's address
//! and returns the node's typed handle.

/// Items generated from `boards/host.dts` (a module per node, `labels`, `aliases`).
#[allow(missing_debug_implementations, clippy::all)]
pub mod dt {
    // The simulated models that serve each compatible: every node they serve gets
    // `attach(bus, model) -> (device, Dev<Kind>)`, which attaches the model at the node's own
    // address or chip select and returns the node's typed handle.
    rtio_macros::devicetree!("boards/host.dts", drivers {
        "ti,tmp105" => fn attach<T: rtio_sim::I2cTarget>(bus: &'static rtio_sim::Bus, model: T)
            -> &'static rtio_sim::I2cDevice<T> { bus.attach_i2c(BUS_ADDRESS, model) },
        "atmel,24c32" => fn attach<T: rtio_sim::I2cTarget>(bus: &'static rtio_sim::Bus, model: T)
            -> &'static rtio_sim::I2cDevice<T> { bus.attach_i2c(BUS_ADDRESS, model) },
        "solomon,ssd0323" => fn attach<T: rtio_sim::SpiTarget>(bus: &'static rtio_sim::Bus, model: T)
            -> &'static rtio_sim::SpiDevice<T> { bus.attach_spi(CHIP_SELECT, model) },
        "mmc-spi-slot" => fn attach<T: rtio_sim::SpiTarget>(bus: &'static rtio_sim::Bus, model: T)
            -> &'static rtio_sim::SpiDevice<T> { bus.attach_spi(CHIP_SELECT, model) },
    });
}

pub use dt::labels;
