//! Example 10: any async HAL as an iodev.
//!
//! An rtio iodev served by an `embedded-hal-async` I2C bus on an async task
//! ([`rtio_hal::AsyncI2cIodev`]): the application uses plain rtio chains (a register read,
//! with priorities and cancellation) and never sees the HAL. On a chip with an async DMA HAL
//! (embassy's STM32, nRF, RP2040 HALs) the task runs on the application's executor and no
//! interrupt driver is written; here the "HAL" is the simulated I2C bus through its own
//! async interface ([`rtio_hal::I2cHandle`] on a second context), the task on a thread.
//!
//! Run: `cargo run -p rtio-examples --example async_hal`
//! Test: `cargo test -p rtio-examples --example async_hal`.

use rtio::{caps, Dev, Error, Iodev, Mempool, PoolStorage, Priority, Rtio, Storage};
use rtio_examples::support::{claim, static_buf};
use rtio_hal::{AsyncI2cIodev, I2cHandle};
use rtio_sim::{Bus, Tmp105};

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The temperature read through the async-served iodev.
    pub celsius: f32,
    /// (userdata, result) of a high- and a low-priority read submitted together, in
    /// completion order.
    pub order: Vec<(usize, Result<usize, Error>)>,
    /// The result of a read cancelled while queued.
    pub canceled: Result<usize, Error>,
}

struct Tmp;
impl caps::Kind for Tmp {
    const NAME: &'static str = "tmp105-async-hal";
}
impl caps::Read for Tmp {}
impl caps::Write for Tmp {}

static SENSOR: AsyncI2cIodev = AsyncI2cIodev::new(0x48);
static SENSOR_IODEV: Iodev = Iodev::new(&SENSOR);

/// Runs the example with the sensor reading `celsius`.
///
/// # Errors
/// Any error of the chains.
pub fn run(celsius: f32) -> Result<Report, Error> {
    // The task: the HAL and the loop that serves the iodev with it.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        static POOL_STORAGE: PoolStorage<4, 32> = PoolStorage::new();
        static POOL: Mempool = Mempool::new(&POOL_STORAGE);
        static STORAGE: Storage<8, 8> = Storage::new();
        static HAL_RTIO: Rtio = Rtio::new(&STORAGE)
            .with_pool(&POOL)
            .with_clock(&rtio::time::STD_CLOCK);
        // A slow bus, so the application's requests queue up behind each other.
        let tmp = Bus::i2c("async-hal-i2c0", 5_000).attach_i2c(0x48, Tmp105::new(celsius));
        let ctx = HAL_RTIO.claim().expect("the HAL's context");
        let _ = ready_tx.send(());
        rtio_examples::support::run(
            SENSOR.run(I2cHandle::new(&ctx, tmp.dev(), 0x48), &mut [0u8; 64]),
        )
    });
    let _ = ready_rx.recv();

    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;
    // No devicetree node stands behind an iodev served by a HAL task, so its kind is paired
    // with it by hand, through the one constructor that says so (`Dev::new_unchecked`).
    let dev: Dev<Tmp> = Dev::new_unchecked(&SENSOR_IODEV);

    // A register read: pointer write and read in one bus transaction.
    let [_, read] = ctx
        .chain::<2>()?
        .tiny_write(dev, &[0x00])
        .transaction()
        .read(dev, static_buf::<2>())
        .wait_checked()?; // Err names the entry that failed first (S17)
    let b = read.buffer().data().ok_or(Error::NoMemory)?;
    let celsius = Tmp105::decode([b[0], b[1]]);

    // Priorities (S12): while a first read occupies the task, a low- and a high-priority
    // read queue up; the high one is served first. A third, queued, is cancelled.
    let _ = ctx
        .acquire()?
        .read(dev, static_buf::<2>())
        .userdata(10)
        .submit()?;
    let _ = ctx
        .acquire()?
        .read(dev, static_buf::<2>())
        .priority(Priority::Low)
        .userdata(1)
        .submit()?;
    let _ = ctx
        .acquire()?
        .read(dev, static_buf::<2>())
        .priority(Priority::High)
        .userdata(2)
        .submit()?;
    let doomed = ctx
        .acquire()?
        .read(dev, static_buf::<2>())
        .userdata(3)
        .submit()?;
    ctx.cancel(doomed.head())?;
    let mut order = Vec::new();
    let mut canceled = Ok(0);
    for _ in 0..4 {
        let c = ctx.consume().unwrap();
        match c.userdata() {
            3 => canceled = c.result(),
            10 => {}
            u => order.push((u, c.result())),
        }
    }
    Ok(Report {
        celsius,
        order,
        canceled,
    })
}

// The printing: `cargo run -p rtio-examples --example async_hal`.
fn main() -> Result<(), rtio::Error> {
    let r = run(21.25)?;
    println!("TMP105 through an async-HAL-served iodev: {} °C", r.celsius);
    for (ud, res) in &r.order {
        println!("  queued behind a read: userdata={ud} result={res:?} (2 = high priority)");
    }
    println!("  cancelled while queued: {:?}", r.canceled);
    Ok(())
}

// The assertions: `cargo test -p rtio-examples --example async_hal`.
/// Example 10: rtio's queues over an async HAL: data, priority order, cancellation.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_async_hal_serves_chains_by_priority_and_cancels_queued_reads() {
        let r = run(21.25).unwrap();
        assert_eq!(r.celsius, 21.25);
        assert_eq!(
            r.order,
            vec![(2, Ok(2)), (1, Ok(2))],
            "high priority first (S12)"
        );
        assert_eq!(r.canceled, Err(rtio::Error::Canceled));
    }
}
