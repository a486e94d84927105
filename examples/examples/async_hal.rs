//! Example 10: any async HAL as an iodev. `cargo run -p rtio-examples --example async_hal`
use rtio_examples::async_hal;

fn main() -> Result<(), rtio::Error> {
    let r = async_hal::run(21.25)?;
    println!("TMP105 through an async-HAL-served iodev: {} °C", r.celsius);
    for (ud, res) in &r.order {
        println!("  queued behind a read: userdata={ud} result={res:?} (2 = high priority)");
    }
    println!("  cancelled while queued: {:?}", r.canceled);
    Ok(())
}
