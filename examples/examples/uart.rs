//! Example 6: UART read with timeout and cancellation.
//! `cargo run -p rtio-examples --example uart`
use rtio_examples::uart;

fn main() -> Result<(), rtio::Error> {
    let r = uart::run()?;
    println!(
        "full message:   {:?}  data {:?}",
        r.complete.0,
        String::from_utf8_lossy(&r.complete.1)
    );
    println!(
        "short message:  {:?}  after {:?}",
        r.timed_out.0, r.timeout_after
    );
    println!("nobody sends:   {:?}", r.canceled.0);
    println!(
        "transmitted {:?} in {:?}",
        String::from_utf8_lossy(&r.transmitted),
        r.write_time
    );
    println!(
        "stream: {:?} in {} buffers, then {:?}; pool {}/{} free",
        String::from_utf8_lossy(&r.line),
        r.line_shots,
        r.stream_end,
        r.pool_free.0,
        r.pool_free.1
    );
    println!(
        "embedded-io: sent {:?}, got {:?}",
        String::from_utf8_lossy(&r.io_sent),
        String::from_utf8_lossy(&r.io_reply)
    );
    Ok(())
}
