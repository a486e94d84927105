//! Example 8: fault handling with every buffer coming back.
//! `cargo run -p rtio-examples --example faults`
use rtio_examples::faults;

fn main() -> Result<(), rtio::Error> {
    let r = faults::run()?;
    println!("NACK mid-chain (userdata, result, buffer back, more):");
    for s in &r.nack_chain {
        println!("  {s:?}");
    }
    println!("  the bus saw (device, bytes, result): {:?}", r.nack_bus);
    println!(
        "hung device + LINK_TIMEOUT (resolved after {:?}):",
        r.hang_resolved_after
    );
    for s in &r.hang {
        println!("  {s:?}");
    }
    println!("next read on the same bus: {:?}", r.after_hang);
    println!("stream cancelled after three buffers:");
    for s in &r.stream {
        println!("  {s:?}");
    }
    println!(
        "pool {}/{} free; whole SQ acquirable again: {}",
        r.pool_free.0, r.pool_free.1, r.full_sq_acquired
    );
    Ok(())
}
