//! Example 8: fault handling, with every buffer coming back (S2, S3, S4, S7, S8).
//!
//! 1. A NACK in the middle of a chain: the failing entry carries `Nack`, the rest of the
//!    chain `Canceled` without running, and each read buffer comes back in its completion.
//! 2. A device that hangs: a LINK_TIMEOUT bounds the read; the simulated device's cancel
//!    hook aborts the transfer, the read completes `TimedOut`, and the bus works again.
//! 3. Cancelling a stream: the multishot read stops re-arming; its last completion says
//!    `Canceled`, and every pool block is free again.
//!
//! At the end the context acquires its whole submission queue: no entry was lost.

use crate::support::{claim, static_buf};
use rtio::{Buffer, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
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
    /// What the I2C bus saw of it: (device, bytes, result) per transfer. The cancelled
    /// third entry never reached the bus.
    pub nack_bus: Vec<(u8, usize, Result<usize, Error>)>,
    /// The hung read bounded by LINK_TIMEOUT.
    pub hang: Vec<Seen>,
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
    let nack_chain = (0..3)
        .map(|_| ctx.consume().map(seen))
        .collect::<Result<_, _>>()?;
    let nack_bus = i2c
        .trace()
        .iter()
        .map(|t| (t.device, t.bytes, t.result))
        .collect();

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
    let hang = (0..2)
        .map(|_| ctx.consume().map(seen))
        .collect::<Result<_, _>>()?;
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
        nack_bus,
        hang,
        hang_resolved_after,
        after_hang,
        stream,
        pool_free,
        full_sq_acquired,
    })
}
