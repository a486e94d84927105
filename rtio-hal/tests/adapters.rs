//! The adapters against the embedded-hal contract: every SPI `Operation` at lengths no fixed
//! cap allows, one chip-select cycle per transaction, I2C on several addresses, `DelayNs`,
//! and a hung device ending in `TimedOut` instead of a hang.

use embedded_hal::i2c::{I2c as _, Operation as I2cOp};
use embedded_hal::spi::{Operation as SpiOp, SpiDevice as _};
use rtio::{Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::{Delay, I2cHandle, SpiHandle};
use rtio_sim::{At24c, Bus, Fault, SpiTarget};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A SPI target that logs the bytes of each chip-select cycle and answers each byte with
/// its complement one byte later (a shift register).
#[derive(Default)]
struct Shift {
    cycles: Arc<Mutex<Vec<Vec<u8>>>>,
    last: u8,
}
impl SpiTarget for Shift {
    fn select(&mut self) {
        self.cycles.lock().unwrap().push(Vec::new());
    }
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        let n = tx.len().max(rx.len());
        let mut log = self.cycles.lock().unwrap();
        let cycle = log.last_mut().unwrap();
        for i in 0..n {
            let b = tx.get(i).copied().unwrap_or(0x00);
            if let Some(r) = rx.get_mut(i) {
                *r = !self.last;
            }
            self.last = b;
            cycle.push(b);
        }
        Ok(())
    }
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn spi_device_does_every_operation_at_any_length_in_one_chip_select_each() {
    static POOL_STORAGE: PoolStorage<16, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let model = Shift::default();
    let cycles = model.cycles.clone();
    let dev = Bus::spi("adapters-spi", 40_000_000).attach_spi(0, model);
    let ctx = RTIO.claim().unwrap();
    let mut spi = SpiHandle::new(&ctx, dev.dev());

    // Long single operations: far past the old 180-byte transaction limit.
    let w = pattern(4000, 1);
    spi.write(&w).unwrap();
    let mut r = vec![0u8; 3000];
    spi.read(&mut r).unwrap();
    assert_eq!(
        r[0], !w[3999],
        "full duplex: the first byte read answers the last written"
    );
    let (mut rx, tx) = (vec![0u8; 700], pattern(1500, 2));
    spi.transfer(&mut rx, &tx).unwrap();
    assert_eq!(
        rx[1..],
        tx[..699].iter().map(|b| !b).collect::<Vec<_>>()[..]
    );
    let mut inplace = pattern(1024, 3);
    let sent = inplace.clone();
    spi.transfer_in_place(&mut inplace).unwrap();
    assert_eq!(
        inplace[1..],
        sent[..1023].iter().map(|b| !b).collect::<Vec<_>>()[..]
    );
    // Several operations: one chip-select cycle.
    let mut status = [0u8; 4];
    spi.transaction(&mut [
        SpiOp::Write(&[0x9F]),
        SpiOp::Write(&pattern(100, 4)),
        SpiOp::Read(&mut status),
    ])
    .unwrap();
    // A delay alone: waits, no chip select.
    let t0 = Instant::now();
    spi.transaction(&mut [SpiOp::DelayNs(2_000_000)]).unwrap();
    assert!(t0.elapsed() >= std::time::Duration::from_millis(2));

    let log = cycles.lock().unwrap();
    let lens: Vec<usize> = log.iter().map(Vec::len).collect();
    assert_eq!(
        lens,
        [4000, 3000, 1500, 1024, 1 + 100 + 4],
        "one cycle per transaction"
    );
    assert_eq!(log[0], w);
    assert_eq!(log[2], tx);
    assert_eq!(log[3], sent);
    assert_eq!(POOL.free_blocks(), 16);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn async_spi_device_and_delay() {
    use embedded_hal_async::delay::DelayNs as _;
    use embedded_hal_async::spi::SpiDevice as AsyncSpi;
    static POOL_STORAGE: PoolStorage<16, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let model = Shift::default();
    let cycles = model.cycles.clone();
    let dev = Bus::spi("adapters-async-spi", 40_000_000).attach_spi(0, model);
    let ctx = RTIO.claim().unwrap();
    let mut spi = SpiHandle::new(&ctx, dev.dev());
    let mut delay = Delay::new(&ctx);
    let w = pattern(150, 5); // owned: 10 TINY_WRITEs in one transaction
    let big = pattern(2000, 6); // longer than the owned form: on the caller's buffer
    let mut r = vec![0u8; 512];
    rtio::block_on(async {
        AsyncSpi::write(&mut spi, &w).await.unwrap();
        AsyncSpi::write(&mut spi, &big).await.unwrap();
        AsyncSpi::transaction(
            &mut spi,
            &mut [SpiOp::Write(&[0x03, 0, 0]), SpiOp::Read(&mut r)],
        )
        .await
        .unwrap();
        let t0 = Instant::now();
        delay.delay_us(1500).await;
        assert!(t0.elapsed() >= std::time::Duration::from_micros(1500));
    });
    assert_eq!(r[0], !0u8, "the read's first byte answers the write's last");
    let log = cycles.lock().unwrap();
    assert_eq!(
        log.iter().map(Vec::len).collect::<Vec<_>>(),
        [150, 2000, 3 + 512]
    );
    assert_eq!((&log[0], &log[1]), (&w, &big));
    assert_eq!(POOL.free_blocks(), 16);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn i2c_serves_every_address_it_has_and_nacks_the_rest() {
    static POOL_STORAGE: PoolStorage<16, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("adapters-i2c", 1_000_000);
    // A 24C16-style part: one page block per address (here two, 0x50 and 0x51).
    let lo = bus.attach_i2c(0x50, At24c::new(256, 16).with_contents(&pattern(256, 7)));
    let hi = bus.attach_i2c(0x51, At24c::new(256, 16).with_contents(&pattern(256, 8)));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, lo.dev(), 0x50).with_target(0x51, hi.dev());
    // (The model takes a 2-byte address.)
    let (mut a, mut b, mut c) = ([0u8; 3], [0u8; 5], [0u8; 200]);
    i2c.transaction(
        0x51,
        &mut [
            I2cOp::Write(&[0x00, 0x10]),
            I2cOp::Read(&mut a),
            I2cOp::Read(&mut b),
        ],
    )
    .unwrap();
    assert_eq!([&a[..], &b[..]].concat(), pattern(256, 8)[0x10..0x18]);
    i2c.write_read(0x50, &[0x00, 0x20], &mut c).unwrap();
    assert_eq!(c[..], pattern(256, 7)[0x20..0x20 + 200]);
    assert_eq!(
        i2c.read(0x52, &mut a),
        Err(rtio_hal::Error::from(Error::Nack)),
        "nothing at 0x52"
    );
    // A page write (address 0x0040, 16 bytes) in one operation, then ACK polling through
    // the write cycle and a read back.
    let page = [&[0x00, 0x40][..], &pattern(16, 9)].concat();
    i2c.write(0x50, &page).unwrap();
    let mut back = [0u8; 16];
    let t0 = Instant::now();
    while i2c.write_read(0x50, &[0x00, 0x40], &mut back).is_err() {
        assert!(t0.elapsed() < std::time::Duration::from_secs(1));
    }
    assert_eq!(back[..], page[2..]);
    assert_eq!(POOL.free_blocks(), 16);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_hung_device_times_out_instead_of_hanging() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("adapters-hang", 400_000);
    let eeprom = bus.attach_i2c(0x50, At24c::new(256, 16));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, eeprom.dev(), 0x50).with_timeout(Duration::from_millis(20));
    eeprom.faults().next(Fault::Hang);
    let mut b = [0u8; 4];
    let t0 = Instant::now();
    assert_eq!(
        embedded_hal::i2c::I2c::write_read(&mut i2c, 0x50, &[0, 0], &mut b),
        Err(rtio_hal::Error::from(Error::TimedOut))
    );
    let took = t0.elapsed();
    assert!(took >= std::time::Duration::from_millis(20), "{took:?}");
    assert!(took < std::time::Duration::from_millis(500), "{took:?}");
    // A single small write is timed too.
    eeprom.faults().next(Fault::Hang);
    assert_eq!(
        embedded_hal::i2c::I2c::write(&mut i2c, 0x50, &[0, 0, 7]),
        Err(rtio_hal::Error::from(Error::TimedOut))
    );
    // The bus is free again and the next transfer works.
    embedded_hal::i2c::I2c::write_read(&mut i2c, 0x50, &[0, 0], &mut b).unwrap();
    assert_eq!(b, [0xFF; 4]);
    // The same for an async call.
    eeprom.faults().next(Fault::Hang);
    assert_eq!(
        rtio::block_on(embedded_hal_async::i2c::I2c::write_read(
            &mut i2c,
            0x50,
            &[0, 0],
            &mut b
        )),
        Err(rtio_hal::Error::from(Error::TimedOut))
    );
    assert_eq!(POOL.free_blocks(), 8);
    assert!(ctx.chain::<8>().is_ok(), "every entry came back");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_dropped_async_call_on_a_hung_device_does_not_hang_the_next_one() {
    use std::future::Future;
    use std::task::Context;
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("adapters-dropped", 400_000);
    let eeprom = bus.attach_i2c(0x50, At24c::new(256, 16));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, eeprom.dev(), 0x50).with_timeout(Duration::from_millis(200));
    eeprom.faults().next(Fault::Hang);
    let mut b = [0u8; 4];
    {
        // A `select` that gave up: polled once, then dropped with the transfer in flight.
        let mut fut = std::pin::pin!(embedded_hal_async::i2c::I2c::write_read(
            &mut i2c,
            0x50,
            &[0, 0],
            &mut b
        ));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // Let the bus start it: the device hangs on it.
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // S16: dropping the future cancelled the abandoned transfer (the bus aborts it), so the
    // next call runs at once, well before the first call's LINK_TIMEOUT.
    let mut i2c = I2cHandle::new(&ctx, eeprom.dev(), 0x50).with_timeout(Duration::from_millis(300));
    let t0 = Instant::now();
    let mut c = [0u8; 4];
    let r = rtio::block_on(embedded_hal_async::i2c::I2c::write_read(
        &mut i2c,
        0x50,
        &[0, 0],
        &mut c,
    ));
    r.unwrap();
    assert_eq!(c, [0xFF; 4]);
    let waited = t0.elapsed();
    assert!(waited < std::time::Duration::from_millis(100), "{waited:?}");
    // The abandoned entries come back once they finish: nothing is lost.
    let t1 = Instant::now();
    while ctx.chain::<8>().is_err() {
        assert!(t1.elapsed() < std::time::Duration::from_secs(1));
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(POOL.free_blocks(), 8);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_context_without_a_clock_still_runs_transactions_untimed() {
    static POOL_STORAGE: PoolStorage<4, 32> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_pool(&POOL); // no clock
    let bus = Bus::i2c("adapters-no-clock", 400_000);
    let eeprom = bus.attach_i2c(0x50, At24c::new(256, 16).with_contents(&[1, 2, 3, 4]));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, eeprom.dev(), 0x50);
    let mut b = [0u8; 3];
    // Several operations: the owned form, without a LINK_TIMEOUT (nothing can time it).
    i2c.write_read(0x50, &[0, 1], &mut b).unwrap();
    assert_eq!(b, [2, 3, 4]);
    assert_eq!(
        rtio::block_on(embedded_hal_async::i2c::I2c::write_read(
            &mut i2c,
            0x50,
            &[0, 0],
            &mut b
        )),
        Ok(())
    );
    assert_eq!(b, [1, 2, 3]);
}
