//! Example 1: chained blocking register read. `cargo run -p rtio-examples --example register_read`
use rtio_examples::register_read;

fn main() -> Result<(), rtio::Error> {
    let r = register_read::run(23.5)?;
    println!(
        "TMP105 temperature register: {:02X?} = {} °C",
        r.raw, r.celsius
    );
    for (ud, res) in &r.completions {
        println!("  completion userdata={ud} result={res:?}");
    }
    println!(
        "chain took {:?} (bus time at 100 kHz: {:?})",
        r.elapsed, r.bus_time
    );
    Ok(())
}
