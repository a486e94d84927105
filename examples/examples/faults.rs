//! Example 8: fault handling, with every buffer coming back (S2, S3, S4, S7, S8).
//!
//! 1. A NACK in the middle of a chain: the failing entry carries `Nack`, the rest of the
//!    chain `Canceled` without running, and each read buffer comes back in its completion.
//!    The cause is reported as such (S17): `rtio::first_failure` names entry 1 and its
//!    `Nack`, not the `Canceled` after it; the same chain through `wait_checked` (what
//!    `chain!(..) => wait` calls) is an `Err` saying so.
//! 2. A device that hangs: a LINK_TIMEOUT bounds the read; the simulated device's cancel
//!    hook aborts the transfer, the read completes `TimedOut`, and the bus works again.
//! 3. Cancelling a stream: the multishot read stops re-arming; its last completion says
//!    `Canceled`, and every pool block is free again.
//!
//! At the end the context acquires its whole submission queue: no entry was lost.
//!
//! Run: `cargo run -p rtio-examples --example faults`
//! Test: `cargo test -p rtio-examples --example faults`.

use rtio::{Buffer, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_examples::support::{claim, static_buf};
use rtio_sim::{At24c, Bus, Fault, Header, Imu, Tmp105};

/// The kind of buffer a completion handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back {
    /// No buffer (the entry had none).
    None,
    /// A read buffer came back, with its length.
    Mut(usize),
    /// A write buffer came back.
    Ref(usize),
    /// A pool buffer came back, with its data length.
    Pool(usize),
}

/// One completion as observed: (userdata, result, buffer handed back, more-flag).
pub type Seen = (usize, Result<usize, Error>, Back, bool);

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The NACK-in-the-middle chain.
    pub nack_chain: Vec<Seen>,
    /// Its cause (S17): the entry that failed first (index in the chain) and its own error.
    pub nack_cause: Option<(usize, Error)>,
    /// The same chain waited for with `wait_checked`: its error, as printed.
    pub nack_checked: String,
    /// What the I2C bus saw of it: (device, bytes, result) per transfer. The cancelled
    /// third entry never reached the bus.
    pub nack_bus: Vec<(u8, usize, Result<usize, Error>)>,
    /// The hung read bounded by LINK_TIMEOUT.
    pub hang: Vec<Seen>,
    /// Its cause (S17).
    pub hang_cause: Option<(usize, Error)>,
    /// How long the hang took to resolve.
    pub hang_resolved_after: std::time::Duration,
    /// A read on the same bus afterwards.
    pub after_hang: Vec<Seen>,
    /// The cancelled stream's completions.
    pub stream: Vec<Seen>,
    /// Pool blocks free at the end, and in total.
    pub pool_free: (usize, usize),
    /// Whether the whole submission queue could be acquired at the end.
    pub full_sq_acquired: bool,
}

fn seen(mut c: rtio::Completion) -> Seen {
    let back = match c.take_buffer() {
        Buffer::Mut(b) => Back::Mut(b.len()),
        Buffer::Ref(b) => Back::Ref(b.len()),
        Buffer::Pool(p) => Back::Pool(p.len()),
        _ => Back::None,
    };
    (c.userdata(), c.result(), back, c.more())
}

/// SQ size of the example's context.
pub const SQ: usize = 8;

/// Runs the three fault scenarios.
///
/// # Errors
/// Acquire/submit/cancel errors (not the injected faults: those are the observations).
pub fn run() -> Result<Report, Error> {
    static POOL_STORAGE: PoolStorage<8, 256> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<SQ, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_clock(&rtio::time::STD_CLOCK)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;

    let i2c = Bus::i2c("i2c0", 400_000);
    let tmp = i2c.attach_i2c(0x48, Tmp105::new(21.0));
    let eeprom = i2c.attach_i2c(0x50, At24c::new(4096, 32));

    // 1. NACK on the second transfer of the chain.
    i2c.record();
    tmp.faults().at(tmp.faults().transfers() + 1, Fault::Nack);
    let _ = ctx
        .chain::<3>()?
        .tiny_write(tmp.dev(), &[0x00])
        .userdata(1)
        .read(tmp.dev(), static_buf::<2>())
        .userdata(2)
        .read(tmp.dev(), static_buf::<2>())
        .userdata(3)
        .submit()?;
    let done = (0..3)
        .map(|_| ctx.consume())
        .collect::<Result<Vec<_>, _>>()?;
    let nack_cause = rtio::first_failure(&done);
    let nack_chain = done.into_iter().map(seen).collect();
    let nack_bus = i2c
        .trace()
        .iter()
        .map(|t| (t.device, t.bytes, t.result))
        .collect();
    tmp.faults().at(tmp.faults().transfers() + 1, Fault::Nack);
    let nack_checked = match ctx
        .chain::<3>()?
        .tiny_write(tmp.dev(), &[0x00])
        .read(tmp.dev(), static_buf::<2>())
        .read(tmp.dev(), static_buf::<2>())
        .wait_checked()
    {
        Ok(_) => "Ok".to_string(),
        Err(e) => e.to_string(), // the completions, buffers included, go with `e`
    };

    // 2. The EEPROM never answers; LINK_TIMEOUT recovers.
    eeprom.faults().next(Fault::Hang);
    let t0 = std::time::Instant::now();
    let _ = ctx
        .chain::<2>()?
        .read(eeprom.dev(), static_buf::<4>())
        .userdata(4)
        .link_timeout(Duration::from_millis(20))
        .userdata(5)
        .submit()?;
    let done = (0..2)
        .map(|_| ctx.consume())
        .collect::<Result<Vec<_>, _>>()?;
    let hang_cause = rtio::first_failure(&done);
    let hang = done.into_iter().map(seen).collect();
    let hang_resolved_after = t0.elapsed();
    let _ = ctx
        .acquire()?
        .read(eeprom.dev(), static_buf::<4>())
        .userdata(6)
        .submit()?;
    let after_hang = vec![seen(ctx.consume()?)];

    // 3. A stream, cancelled after three buffers.
    let imu = Imu::still().device("imu", 3200, 64, 16);
    let h = ctx
        .acquire()?
        .read_multishot(imu.dev(), Header::SIZE + 12, Header::SIZE + 16 * 12)
        .userdata(7)
        .submit()?;
    let mut stream = Vec::new();
    loop {
        let s = seen(ctx.consume()?);
        let more = s.3;
        stream.push(s);
        if stream.len() == 3 {
            ctx.cancel(h.head())?;
        }
        if !more {
            break;
        }
    }
    imu.stop();

    let pool_free = (POOL.free_blocks(), POOL.blocks());
    let full_sq_acquired = ctx.chain::<SQ>().is_ok(); // dropped unprepared: returned (S10)
    Ok(Report {
        nack_chain,
        nack_cause,
        nack_checked,
        nack_bus,
        hang,
        hang_cause,
        hang_resolved_after,
        after_hang,
        stream,
        pool_free,
        full_sq_acquired,
    })
}

// The printing: `cargo run -p rtio-examples --example faults`.
fn main() -> Result<(), rtio::Error> {
    let r = run()?;
    println!("NACK mid-chain (userdata, result, buffer back, more):");
    for s in &r.nack_chain {
        println!("  {s:?}");
    }
    print_cause(r.nack_cause);
    println!("  the same chain with wait_checked: {}", r.nack_checked);
    println!("  the bus saw (device, bytes, result): {:?}", r.nack_bus);
    println!(
        "hung device + LINK_TIMEOUT (resolved after {:?}):",
        r.hang_resolved_after
    );
    for s in &r.hang {
        println!("  {s:?}");
    }
    print_cause(r.hang_cause);
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

/// S17: the cause of a failed chain, not the `Canceled` it left behind.
fn print_cause(cause: Option<(usize, Error)>) {
    match cause {
        Some((entry, e)) => println!("  cause: entry {entry} failed first: {e}"),
        None => println!("  cause: none, every entry succeeded"),
    }
}

// The assertions: `cargo test -p rtio-examples --example faults`.
/// Example 8: exactly which completions arrive under faults, and every buffer comes back.
#[cfg(test)]
mod tests {
    use super::*;
    use rtio::Error;

    #[test]
    fn faults_give_exact_completions_and_every_buffer_back() {
        let r = run().unwrap();
        assert_eq!(
            r.nack_chain,
            vec![
                (1, Ok(1), Back::None, false),
                (2, Err(Error::Nack), Back::Mut(2), false),
                (3, Err(Error::Canceled), Back::Mut(2), false),
            ]
        );
        assert_eq!(
            r.nack_cause,
            Some((1, Error::Nack)),
            "the NACK, not the Canceled"
        );
        assert_eq!(
            r.nack_checked,
            "entry 1 of 3 failed: device did not acknowledge (NACK)"
        );
        assert_eq!(r.hang_cause, Some((0, Error::TimedOut)));
        assert_eq!(
            r.nack_bus,
            vec![(0x48, 1, Ok(1)), (0x48, 2, Err(Error::Nack))],
            "the cancelled entry never reached the bus"
        );
        assert_eq!(
            r.hang,
            vec![
                (4, Err(Error::TimedOut), Back::Mut(4), false),
                (5, Err(Error::TimedOut), Back::None, false),
            ]
        );
        assert!(r.hang_resolved_after >= std::time::Duration::from_millis(20));
        assert_eq!(r.after_hang, vec![(6, Ok(4), Back::Mut(4), false)]);
        let (last, shots) = r.stream.split_last().unwrap();
        assert!(shots.len() >= 3);
        for s in shots {
            assert_eq!(s.0, 7);
            assert!(s.3, "every shot but the last says more");
            assert!(
                matches!(s.2, Back::Pool(n) if n > 16)
                    && s.1
                        == Ok(match s.2 {
                            Back::Pool(n) => n,
                            _ => 0,
                        })
            );
        }
        assert_eq!(*last, (7, Err(Error::Canceled), Back::None, false));
        assert_eq!(r.pool_free.0, r.pool_free.1);
        assert!(r.full_sq_acquired);
    }
}
