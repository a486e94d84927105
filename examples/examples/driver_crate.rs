//! crates.io drivers (`tmp1x2` async, `eeprom24x` blocking) unchanged over rtio and simulated devices.
//! `cargo run -p rtio-examples --example driver_crate`
use rtio_examples::driver_crate;

fn main() -> Result<(), rtio::Error> {
    let r = driver_crate::run(&[21.5, -3.25, 99.0])?;
    println!("tmp1x2 read {:?} °C", r.readings);
    println!(
        "T_HIGH register after set_high_temperature_threshold(50.0): {:#06x}",
        r.t_high_register
    );
    println!("{} bus transfers for tmp1x2", r.transfers);
    println!(
        "eeprom24x: page written, {} reads NACKed during the write cycle, read back {:02x?}",
        r.busy_polls,
        &r.page_read_back[..8]
    );
    println!("pool {}/{} free", r.pool_free.0, r.pool_free.1);
    Ok(())
}
