//! Example 2: I2C sensor -> SPI block device without blocking.
//! `cargo run -p rtio-examples --example device_to_device`
use rtio_examples::device_to_device;

fn main() -> Result<(), rtio::Error> {
    let r = device_to_device::run(36.5)?;
    for (ud, res) in &r.completions {
        println!("completion userdata={ud} result={res:?}");
    }
    println!(
        "block {} now starts {:02X?} = {} °C; the main loop counted {} times in {:?}",
        device_to_device::BLOCK,
        r.block_head,
        r.celsius,
        r.loop_count,
        r.elapsed
    );
    Ok(())
}
