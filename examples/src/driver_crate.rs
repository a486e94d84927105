//! A real driver crate, unchanged, over rtio: `tmp1x2` (TMP102/TMP112, async API) talks to
//! the simulated TMP105-compatible sensor through [`rtio::hal::I2cHandle`], which turns each
//! embedded-hal-async I2C transaction into one rtio transaction.

use crate::support::{claim, run as block_on};
use rtio::hal::I2cHandle;
use rtio::sim::{Bus, Tmp105};
use rtio::{Error, Mempool, PoolStorage, Rtio, Storage};
use tmp1x2::{SlaveAddr, Tmp1x2};

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Temperatures the driver read, one per value the sensor was set to.
    pub readings: Vec<f32>,
    /// The T_HIGH register after the driver set the threshold.
    pub t_high_register: u16,
    /// Bus transfers the driver caused.
    pub transfers: u64,
    /// Pool blocks free at the end, and in total.
    pub pool_free: (usize, usize),
}

/// Reads each of `temps` through the driver, and sets a high threshold of 50 °C.
///
/// # Errors
/// Driver errors are mapped to [`Error::Bus`]; context errors are returned as they are.
pub fn run(temps: &[f32]) -> Result<Report, Error> {
    static POOL_STORAGE: PoolStorage<8, 32> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL);
    let ctx = claim(&RTIO)?;
    let bus = Bus::i2c("i2c0", 400_000);
    let sensor = bus.attach_i2c(0x48, Tmp105::new(0.0));

    let (res, _) = block_on(async {
        let mut drv = Tmp1x2::new(
            I2cHandle::new(&ctx, sensor.dev(), 0x48),
            SlaveAddr::default(),
        );
        let mut readings = Vec::new();
        for &t in temps {
            sensor.with(|s| s.set_celsius(t));
            readings.push(drv.read_temperature().await.map_err(|_| Error::Bus)?);
        }
        drv.set_high_temperature_threshold(50.0)
            .await
            .map_err(|_| Error::Bus)?;
        Ok::<_, Error>(readings)
    });
    let readings = res?;
    Ok(Report {
        readings,
        t_high_register: sensor.with(|s| s.t_high()),
        transfers: bus.transfers(),
        pool_free: (POOL.free_blocks(), POOL.blocks()),
    })
}
