//! Real driver crates, unchanged, over rtio: [`rtio_hal::I2cHandle`] turns each
//! embedded-hal I2C transaction into one rtio transaction.
//!
//! * `tmp1x2` (TMP102/TMP112, its async API) reads the simulated TMP105-compatible sensor
//!   and sets its high-temperature threshold;
//! * `eeprom24x` (blocking API) writes a 32-byte page to the simulated AT24C32, polls for
//!   the end of the write cycle (the part NACKs meanwhile, and the NACK reaches the driver
//!   as `NoAcknowledge`), and reads the page back.
//!
//! Run: `cargo run -p rtio-examples --example driver_crate`
//! Test: `cargo test -p rtio-examples --example driver_crate`.

use eeprom24x::Eeprom24x;
use rtio::{Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_examples::support::{claim, run as block_on};
use rtio_hal::I2cHandle;
use rtio_sim::{At24c, Bus, Tmp105};
use tmp1x2::{SlaveAddr, Tmp1x2};

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Temperatures the driver read, one per value the sensor was set to.
    pub readings: Vec<f32>,
    /// The T_HIGH register after the driver set the threshold.
    pub t_high_register: u16,
    /// Bus transfers the tmp1x2 driver caused.
    pub transfers: u64,
    /// The page the eeprom24x driver read back after writing it.
    pub page_read_back: Vec<u8>,
    /// Reads the driver tried while the EEPROM was busy (NACKed).
    pub busy_polls: u32,
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
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
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
    let transfers = bus.transfers();

    // The blocking driver: page write, ACK polling through the write cycle, read back.
    // A generous write cycle (the AT24C32's is 10 ms at most) keeps it visible to the driver
    // even when the host scheduler is slow.
    let eeprom = bus.attach_i2c(
        0x50,
        At24c::new(4096, 32).with_write_cycle(rtio::Duration::from_millis(50)),
    );
    let mut mem = Eeprom24x::new_24x32(
        I2cHandle::new(&ctx, eeprom.dev(), 0x50),
        eeprom24x::SlaveAddr::default(),
    );
    let page: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(7)).collect();
    mem.write_page(0x0040, &page).map_err(|_| Error::Bus)?;
    let mut busy_polls = 0;
    let first = loop {
        match mem.read_byte(0x0040) {
            Ok(b) => break b,
            Err(eeprom24x::Error::I2C(e)) if e == Error::Nack && busy_polls < 10_000 => {
                busy_polls += 1
            }
            Err(_) => return Err(Error::Bus),
        }
    };
    let mut page_read_back = vec![0u8; 32];
    mem.read_data(0x0040, &mut page_read_back)
        .map_err(|_| Error::Bus)?;
    debug_assert_eq!(first, page[0]);
    Ok(Report {
        readings,
        t_high_register: sensor.with(|s| s.t_high()),
        transfers,
        page_read_back,
        busy_polls,
        pool_free: (POOL.free_blocks(), POOL.blocks()),
    })
}

// The printing: `cargo run -p rtio-examples --example driver_crate`.
fn main() -> Result<(), rtio::Error> {
    let r = run(&[21.5, -3.25, 99.0])?;
    println!("tmp1x2 read {:?} °C", r.readings);
    println!(
        "T_HIGH register after set_high_temperature_threshold(50.0): {:#06x}",
        r.t_high_register
    );
    println!("{} bus transfers for tmp1x2", r.transfers);
    println!(
        "eeprom24x: page written, {} reads NACKed during the write cycle, read back {:02x?}",
        r.busy_polls,
        &r.page_read_back[..8]
    );
    println!("pool {}/{} free", r.pool_free.0, r.pool_free.1);
    Ok(())
}

// The assertions: `cargo test -p rtio-examples --example driver_crate`.
/// Real driver crates (tmp1x2 async, eeprom24x blocking) run unchanged over rtio iodevs.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmp1x2_driver_reads_and_configures_the_simulated_sensor() {
        let r = run(&[21.5, -3.25, 99.0]).unwrap();
        assert_eq!(r.readings, vec![21.5, -3.25, 99.0]);
        assert_eq!(r.t_high_register, 0x3200, "50 °C = 0x320 << 4");
        // Each read is one write+read transaction (one bus transfer), the threshold one write.
        assert_eq!(r.transfers, 4);
        // eeprom24x: the page came back, after the part NACKed through its write cycle.
        let page: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(7)).collect();
        assert_eq!(r.page_read_back, page);
        assert!(
            r.busy_polls > 0,
            "the write cycle was visible to the driver as NACKs"
        );
        assert_eq!(r.pool_free.0, r.pool_free.1);
    }
}
