//! Regression: a pool read on a simulated bus moves exactly the requested bytes (issue 11).
//!
//! A pool buffer is whole blocks, so it can be longer than the request; the device must
//! still see only the requested length, as the bus trace does. Before the fix the device got
//! the whole block run: a 1-byte SPI read shifted 64 bytes, and `eeprom24x`'s
//! `read_byte(5)` moved the AT24C's address pointer 64 bytes on, so the next
//! `read_current_address()` returned the byte at 69 instead of 6.

use eeprom24x::{Eeprom24x, SlaveAddr};
use rtio::{Buffer, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::I2cHandle;
use rtio_sim::{At24c, Bus, SpiTarget};
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn eeprom24x_read_byte_then_current_address_reads_the_next_byte() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("over-read-i2c", 400_000);
    let data: Vec<u8> = (0..200u8).collect();
    let eeprom = bus.attach_i2c(0x50, At24c::new(4096, 32).with_contents(&data));
    bus.record();
    let ctx = RTIO.claim().unwrap();
    let mut e = Eeprom24x::new_24x32(
        I2cHandle::new(&ctx, eeprom.dev(), 0x50),
        SlaveAddr::default(),
    );
    assert_eq!(e.read_byte(5).unwrap(), 5);
    assert_eq!(
        e.read_current_address().unwrap(),
        6,
        "the pointer moved one byte, not a pool block"
    );
    // The bus trace and the device agree: 2 address bytes + 1 data byte, then 1.
    let t = bus.trace();
    assert_eq!(t.iter().map(|t| t.bytes).collect::<Vec<_>>(), [3, 1]);
    assert_eq!(POOL.free_blocks(), 8);
}

/// Counts the bytes a SPI target is clocked.
struct Counter(&'static AtomicUsize);
impl SpiTarget for Counter {
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        self.0.fetch_add(tx.len().max(rx.len()), Ordering::Relaxed);
        rx.fill(0x5A);
        Ok(())
    }
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_one_byte_spi_pool_read_shifts_one_byte() {
    static POOL_STORAGE: PoolStorage<4, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    static CLOCKED: AtomicUsize = AtomicUsize::new(0);
    let bus = Bus::spi("over-read-spi", 10_000_000);
    let dev = bus.attach_spi(0, Counter(&CLOCKED));
    bus.record();
    let ctx = RTIO.claim().unwrap();
    let [mut c] = ctx
        .acquire()
        .unwrap()
        .read_pool(dev.dev(), 1, 1)
        .wait()
        .unwrap();
    assert_eq!(c.result(), Ok(1));
    assert!(matches!(c.take_buffer(), Buffer::Pool(p) if p.as_slice() == [0x5A]));
    assert_eq!(
        CLOCKED.load(Ordering::Relaxed),
        1,
        "the device was clocked 1 byte"
    );
    assert_eq!(bus.trace()[0].bytes, 1, "as the trace says");
    // In a transaction too: a 3-byte pool read after a write.
    ctx.chain::<2>()
        .unwrap()
        .tiny_write(dev.dev(), &[0x9F])
        .transaction()
        .read_pool(dev.dev(), 3, 3)
        .wait()
        .unwrap();
    assert_eq!(CLOCKED.load(Ordering::Relaxed), 1 + 4);
    assert_eq!(bus.trace()[1].bytes, 4);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_pool_read_the_pool_cannot_fill_moves_what_it_got_and_the_trace_says_so() {
    static POOL_STORAGE: PoolStorage<2, 16> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<2, 2> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL);
    static CLOCKED: AtomicUsize = AtomicUsize::new(0);
    let bus = Bus::spi("over-read-short", 10_000_000);
    let dev = bus.attach_spi(0, Counter(&CLOCKED));
    bus.record();
    let ctx = RTIO.claim().unwrap();
    // At least 4, preferably 100 bytes: the pool holds 32.
    let [c] = ctx
        .acquire()
        .unwrap()
        .read_pool(dev.dev(), 4, 100)
        .wait()
        .unwrap();
    assert_eq!(c.result(), Ok(32));
    assert_eq!(CLOCKED.load(Ordering::Relaxed), 32);
    assert_eq!(bus.trace()[0].bytes, 32, "the trace agrees with the device");
}
