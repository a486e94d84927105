//! Example 7: the same register read written three ways over the same queues (S14).
//!
//! * blocking: build the chain and `wait()` for it (the thread parks);
//! * polling: `submit(0)` and poll `try_consume()`, doing other work between polls;
//! * `async`: `run()?.await` inside an `async fn`, driven by a tiny executor that parks the
//!   thread until a completion wakes it ([`rtio_examples::support::run`]).
//!
//! Run: `cargo run -p rtio-examples --example three_ways`
//! Test: `cargo test -p rtio-examples --example three_ways`.

use rtio::{Buffer, Context, Dev, Error, Rtio, Storage};
use rtio_examples::support::{claim, run as block_on};
use rtio_sim::{Bus, Tmp105};

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// °C read blocking.
    pub blocking: f32,
    /// °C read by polling, and how many polls came back empty.
    pub polling: (f32, u64),
    /// °C read with `async`, and how many times the executor polled the future.
    pub async_: (f32, u32),
}

fn raw_of(b: Buffer) -> Result<[u8; 2], Error> {
    match b {
        Buffer::Mut(b) if b.len() == 2 => Ok([b[0], b[1]]),
        _ => Err(Error::InvalidArgument),
    }
}

/// Blocking.
///
/// # Errors
/// The chain's error.
pub fn blocking(ctx: &Context, dev: Dev<rtio_sim::I2cKind>) -> Result<f32, Error> {
    let [w, mut r] = ctx
        .chain::<2>()?
        .tiny_write(dev, &[0x00])
        .read(dev, rtio_examples::support::static_buf::<2>())
        .wait_checked()?; // Err names the entry that failed first (S17)
    w.result()?;
    r.result()?;
    Ok(Tmp105::decode(raw_of(r.take_buffer())?))
}

/// Polling: returns the temperature and the number of empty polls.
///
/// # Errors
/// The chain's error.
pub fn polling(ctx: &Context, dev: Dev<rtio_sim::I2cKind>) -> Result<(f32, u64), Error> {
    let _ = ctx
        .chain::<2>()?
        .tiny_write(dev, &[0x00])
        .read(dev, rtio_examples::support::static_buf::<2>())
        .userdata(2)
        .submit()?;
    let mut empty = 0;
    let mut got = 0;
    let mut raw = [0; 2];
    while got < 2 {
        match ctx.try_consume() {
            Some(mut c) => {
                got += 1;
                c.result()?;
                if c.userdata() == 2 {
                    raw = raw_of(c.take_buffer())?;
                }
            }
            None => {
                empty += 1; // other work would go here
                std::hint::spin_loop();
            }
        }
    }
    Ok((Tmp105::decode(raw), empty))
}

/// `async`.
///
/// # Errors
/// The chain's error.
pub async fn read_async(ctx: &Context, dev: Dev<rtio_sim::I2cKind>) -> Result<f32, Error> {
    let [w, mut r] = ctx
        .chain::<2>()?
        .tiny_write(dev, &[0x00])
        .read(dev, rtio_examples::support::static_buf::<2>())
        .run()?
        .await;
    w.result()?;
    r.result()?;
    Ok(Tmp105::decode(raw_of(r.take_buffer())?))
}

/// Runs all three against one simulated TMP105.
///
/// # Errors
/// Any chain's error.
pub fn run(celsius: f32) -> Result<Report, Error> {
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;
    let bus = Bus::i2c("i2c0", 400_000);
    let tmp = bus.attach_i2c(0x48, Tmp105::new(celsius));
    let dev = tmp.dev();
    let b = blocking(&ctx, dev)?;
    let p = polling(&ctx, dev)?;
    let (a, polls) = block_on(read_async(&ctx, dev));
    Ok(Report {
        blocking: b,
        polling: p,
        async_: (a?, polls),
    })
}

// The printing: `cargo run -p rtio-examples --example three_ways`.
fn main() -> Result<(), rtio::Error> {
    let r = run(19.25)?;
    println!("blocking: {} °C", r.blocking);
    println!("polling:  {} °C ({} empty polls)", r.polling.0, r.polling.1);
    println!(
        "async:    {} °C ({} polls of the future)",
        r.async_.0, r.async_.1
    );
    Ok(())
}

// The assertions: `cargo test -p rtio-examples --example three_ways`.
/// Example 7: blocking, polling and async read the same value.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_polling_and_async_agree() {
        let r = run(19.25).unwrap();
        assert_eq!(r.blocking, 19.25);
        assert_eq!(r.polling.0, 19.25);
        assert_eq!(r.async_.0, 19.25);
        // How often polling found nothing, and how often the future was polled, depend on the
        // host's scheduling; the future is polled at least once and never spins.
        assert!(r.async_.1 >= 1 && r.async_.1 < 1000, "{:?}", r.async_);
    }
}
