//! A crates.io driver (`tmp1x2`, async) running unchanged over rtio and a simulated sensor.
//! `cargo run -p rtio-examples --example driver_crate`
use rtio_examples::driver_crate;

fn main() -> Result<(), rtio::Error> {
    let r = driver_crate::run(&[21.5, -3.25, 99.0])?;
    println!("tmp1x2 read {:?} °C", r.readings);
    println!(
        "T_HIGH register after set_high_temperature_threshold(50.0): {:#06x}",
        r.t_high_register
    );
    println!(
        "{} bus transfers; pool {}/{} free",
        r.transfers, r.pool_free.0, r.pool_free.1
    );
    Ok(())
}
