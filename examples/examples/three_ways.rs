//! Example 7: one register read, blocking, polling and async.
//! `cargo run -p rtio-examples --example three_ways`
use rtio_examples::three_ways;

fn main() -> Result<(), rtio::Error> {
    let r = three_ways::run(19.25)?;
    println!("blocking: {} °C", r.blocking);
    println!("polling:  {} °C ({} empty polls)", r.polling.0, r.polling.1);
    println!(
        "async:    {} °C ({} polls of the future)",
        r.async_.0, r.async_.1
    );
    Ok(())
}
