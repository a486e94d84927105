//! The handles with no caps left: every SPI `Operation` inside one transaction at 4 KiB, an
//! I2C transaction of 40 operations, a transaction larger than the context refused with both
//! sizes, and a hung device ending `TimedOut` in every case with the bus usable afterwards,
//! blocking and async.

use embedded_hal::i2c::{I2c as _, Operation as I2cOp};
use embedded_hal::spi::{Operation as SpiOp, SpiDevice as _};
use rtio::{Dev, Duration, Error, Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::{I2cHandle, SpiHandle};
use rtio_sim::{At24c, Bus, Fault, SpiKind, SpiTarget};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the model saw in one chip-select cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wire {
    Byte(u8),
    Delay(u32),
}

/// A shift register: each byte clocked in is answered with the complement of the byte
/// before it. Logs every chip-select cycle, delays included.
#[derive(Default)]
struct Shift {
    cycles: Arc<Mutex<Vec<Vec<Wire>>>>,
    last: u8,
}

impl SpiTarget for Shift {
    fn select(&mut self) {
        self.cycles.lock().unwrap().push(Vec::new());
    }
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        let mut log = self.cycles.lock().unwrap();
        let cycle = log.last_mut().unwrap();
        for i in 0..tx.len().max(rx.len()) {
            let b = tx.get(i).copied().unwrap_or(0x00);
            if let Some(r) = rx.get_mut(i) {
                *r = !self.last;
            }
            self.last = b;
            cycle.push(Wire::Byte(b));
        }
        Ok(())
    }
    fn delay_ns(&mut self, ns: u32) {
        self.cycles
            .lock()
            .unwrap()
            .last_mut()
            .unwrap()
            .push(Wire::Delay(ns));
    }
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Runs Write(4 KiB) + Transfer + TransferInPlace + DelayNs + Read(4 KiB) through `run` and
/// checks it byte-exact against the model's log and the bus trace.
fn every_operation_in_one_cycle(
    name: &str,
    run: impl FnOnce(Dev<SpiKind>, &mut [SpiOp<'_, u8>]) -> Result<(), rtio_hal::Error>,
) {
    let model = Shift::default();
    let cycles = model.cycles.clone();
    let bus = Bus::spi(name, 40_000_000);
    let dev = bus.attach_spi(0, model);
    let w = pattern(4096, 1);
    let (mut rx, tx) = (vec![0u8; 100], pattern(200, 2));
    let mut inplace = pattern(300, 3);
    let sent = inplace.clone();
    let mut r = vec![0u8; 4096];
    bus.record();
    run(
        dev.dev(),
        &mut [
            SpiOp::Write(&w),
            SpiOp::Transfer(&mut rx, &tx),
            SpiOp::TransferInPlace(&mut inplace),
            SpiOp::DelayNs(50_000),
            SpiOp::Read(&mut r),
        ],
    )
    .unwrap();

    // What went out, in order: the model's log of the one cycle.
    let mut out: Vec<Wire> = Vec::new();
    out.extend(w.iter().map(|&b| Wire::Byte(b)));
    out.extend(tx.iter().map(|&b| Wire::Byte(b)));
    out.extend(sent.iter().map(|&b| Wire::Byte(b)));
    out.push(Wire::Delay(50_000));
    out.extend(std::iter::repeat_n(Wire::Byte(0x00), 4096));
    let log = cycles.lock().unwrap();
    assert_eq!(
        log.len(),
        1,
        "one chip-select cycle for the whole transaction"
    );
    assert_eq!(
        log[0], out,
        "every byte, and the delay in its place, inside it"
    );
    // What came back: each byte answers the one sent before it.
    assert_eq!(rx[0], !w[4095]);
    assert_eq!(rx[1..], tx[..99].iter().map(|b| !b).collect::<Vec<_>>()[..]);
    assert_eq!(inplace[0], !tx[199]);
    assert_eq!(
        inplace[1..],
        sent[..299].iter().map(|b| !b).collect::<Vec<_>>()[..]
    );
    assert_eq!(r[0], !sent[299]);
    assert!(r[1..].iter().all(|&b| b == 0xFF));
    // The bus trace: one transfer of five members, the delay recorded and timed.
    let t = bus.trace();
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(
        (t[0].entries, t[0].bytes, t[0].delay_ns, t[0].result),
        (5, 4096 + 200 + 300 + 4096, 50_000, Ok(4096))
    );
    assert!(t[0].end_us - t[0].start_us >= 50, "the delay holds the bus");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn spi_transaction_of_4_kib_with_every_operation_is_one_chip_select_cycle() {
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK); // no pool needed
    let ctx = RTIO.claim().unwrap();
    every_operation_in_one_cycle("tx-every-op", |dev, ops| {
        SpiHandle::new(&ctx, dev).transaction(ops)
    });
    assert!(ctx.chain::<16>().is_ok(), "every entry came back");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn async_spi_transaction_of_4_kib_with_every_operation_is_one_chip_select_cycle() {
    static POOL_STORAGE: PoolStorage<4, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = RTIO.claim().unwrap();
    every_operation_in_one_cycle("tx-every-op-async", |dev, ops| {
        let mut spi = SpiHandle::new(&ctx, dev);
        rtio::block_on(embedded_hal_async::spi::SpiDevice::transaction(
            &mut spi, ops,
        ))
    });
    assert!(ctx.chain::<16>().is_ok(), "every entry came back");
    assert_eq!(POOL.free_blocks(), 4, "no pool buffer used or kept");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn i2c_transaction_of_40_operations_is_one_start_and_stop() {
    static STORAGE: Storage<48, 48> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("tx-i2c-40", 1_000_000);
    let mem = pattern(4096, 5);
    let ee = bus.attach_i2c(0x50, At24c::new(4096, 32).with_contents(&mem));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, ee.dev(), 0x50);
    // The address, then 39 sequential reads of 1..=39 bytes: 780 bytes in one transfer.
    let mut bufs: Vec<Vec<u8>> = (1..=39).map(|n| vec![0u8; n]).collect();
    let addr = [0x01, 0x00];
    let mut ops: Vec<I2cOp<'_>> = vec![I2cOp::Write(&addr)];
    ops.extend(bufs.iter_mut().map(|b| I2cOp::Read(b)));
    assert_eq!(ops.len(), 40);
    bus.record();
    i2c.transaction(0x50, &mut ops).unwrap();
    drop(ops);
    let got: Vec<u8> = bufs.concat();
    assert_eq!(got, mem[0x100..0x100 + 780], "byte-exact, in order");
    let t = bus.trace();
    assert_eq!(t.len(), 1, "one bus transfer: one START .. STOP");
    assert_eq!((t[0].entries, t[0].bytes), (40, 2 + 780));
    // The same through the async trait.
    let mut bufs2: Vec<Vec<u8>> = (1..=39).map(|n| vec![0u8; n]).collect();
    let mut ops: Vec<I2cOp<'_>> = vec![I2cOp::Write(&addr)];
    ops.extend(bufs2.iter_mut().map(|b| I2cOp::Read(b)));
    rtio::block_on(embedded_hal_async::i2c::I2c::transaction(
        &mut i2c, 0x50, &mut ops,
    ))
    .unwrap();
    drop(ops);
    assert_eq!(bufs2, bufs);
    assert!(ctx.chain::<48>().is_ok(), "every entry came back");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_transaction_larger_than_the_context_names_both_sizes_and_touches_nothing() {
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("tx-i2c-too-big", 1_000_000);
    let ee = bus.attach_i2c(0x50, At24c::new(256, 16));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, ee.dev(), 0x50);
    let mut bufs = [[0u8; 1]; 39];
    let mut ops: Vec<I2cOp<'_>> = vec![I2cOp::Write(&[0, 0])];
    ops.extend(bufs.iter_mut().map(|b| I2cOp::Read(b)));
    bus.record();
    let e = i2c.transaction(0x50, &mut ops).unwrap_err();
    assert_eq!(e.rtio(), Error::InvalidArgument);
    assert_eq!(
        e.entries_needed(),
        Some((41, 16)),
        "40 operations and the LINK_TIMEOUT"
    );
    assert_eq!(
        e.to_string(),
        "invalid argument: the transaction needs 41 entries at once, the context has 16"
    );
    assert!(bus.trace().is_empty(), "nothing reached the bus");
    // Fifteen operations fit (and the LINK_TIMEOUT).
    i2c.transaction(0x50, &mut ops[..15]).unwrap();
    assert_eq!(bus.trace().len(), 1);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_hung_spi_device_times_out_in_every_case_and_the_bus_works_afterwards() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<16, 16> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let model = Shift::default();
    let cycles = model.cycles.clone();
    let dev = Bus::spi("tx-spi-hang", 20_000_000).attach_spi(0, model);
    let ctx = RTIO.claim().unwrap();
    let mut spi = SpiHandle::new(&ctx, dev.dev()).with_timeout(Duration::from_millis(20));
    let big = pattern(4096, 1);
    let (mut a, mut b) = (vec![0u8; 4096], vec![0u8; 300]);
    let timed_out = |r: Result<(), rtio_hal::Error>, t0: Instant, what: &str| {
        let took = t0.elapsed();
        assert_eq!(r.map_err(|e| e.rtio()), Err(Error::TimedOut), "{what}");
        assert!(
            took >= std::time::Duration::from_millis(20),
            "{what}: {took:?}"
        );
        assert!(
            took < std::time::Duration::from_millis(1000),
            "{what}: {took:?}"
        );
    };
    for case in 0..6 {
        dev.faults().next(Fault::Hang);
        let t0 = Instant::now();
        let r = match case {
            0 => spi.write(&big),
            1 => spi.read(&mut a),
            2 => spi.transfer(&mut b, &big),
            3 => spi.transfer_in_place(&mut b),
            4 => spi.transaction(&mut [
                SpiOp::Write(&big),
                SpiOp::DelayNs(1_000),
                SpiOp::TransferInPlace(&mut b),
                SpiOp::Read(&mut a),
            ]),
            _ => rtio::block_on(embedded_hal_async::spi::SpiDevice::transaction(
                &mut spi,
                &mut [SpiOp::DelayNs(1_000), SpiOp::Transfer(&mut b, &big)],
            )),
        };
        timed_out(r, t0, &format!("case {case}"));
        assert!(
            ctx.chain::<16>().is_ok(),
            "case {case}: nothing left in flight"
        );
    }
    // The async owned form (a small register read) is timed too.
    dev.faults().next(Fault::Hang);
    let mut reg = [0u8; 2];
    let t0 = Instant::now();
    let r = rtio::block_on(embedded_hal_async::spi::SpiDevice::transaction(
        &mut spi,
        &mut [SpiOp::Write(&[0x9F]), SpiOp::Read(&mut reg)],
    ));
    timed_out(r, t0, "async owned");
    // The bus is free again: a transaction runs and its cycle is whole.
    cycles.lock().unwrap().clear();
    spi.transaction(&mut [SpiOp::Write(&[1, 2, 3]), SpiOp::Read(&mut reg)])
        .unwrap();
    assert_eq!(reg, [!3, 0xFF]);
    assert_eq!(cycles.lock().unwrap().len(), 1);
    assert_eq!(POOL.free_blocks(), 8);
    assert!(ctx.chain::<16>().is_ok());
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_hung_i2c_target_times_out_blocking_and_async_and_the_bus_works_afterwards() {
    static STORAGE: Storage<48, 48> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("tx-i2c-hang", 1_000_000);
    let ee = bus.attach_i2c(0x50, At24c::new(4096, 32).with_contents(&pattern(4096, 9)));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, ee.dev(), 0x50).with_timeout(Duration::from_millis(20));
    let mut big = vec![0u8; 2000];
    for case in 0..3 {
        ee.faults().next(Fault::Hang);
        let mut bufs = [[0u8; 3]; 39];
        let mut ops: Vec<I2cOp<'_>> = vec![I2cOp::Write(&[0, 0])];
        ops.extend(bufs.iter_mut().map(|b| I2cOp::Read(b)));
        let t0 = Instant::now();
        let r = match case {
            0 => i2c.transaction(0x50, &mut ops),
            1 => rtio::block_on(embedded_hal_async::i2c::I2c::transaction(
                &mut i2c, 0x50, &mut ops,
            )),
            _ => i2c.read(0x50, &mut big),
        };
        let took = t0.elapsed();
        assert_eq!(r.map_err(|e| e.rtio()), Err(Error::TimedOut), "case {case}");
        assert!(took >= std::time::Duration::from_millis(20), "{took:?}");
        assert!(took < std::time::Duration::from_millis(1000), "{took:?}");
        assert!(
            ctx.chain::<48>().is_ok(),
            "case {case}: nothing left in flight"
        );
    }
    let mut back = [0u8; 4];
    i2c.write_read(0x50, &[0x00, 0x10], &mut back).unwrap();
    assert_eq!(back[..], pattern(4096, 9)[0x10..0x14]);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_failing_transaction_names_its_operation() {
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("tx-i2c-nack", 400_000);
    let ee = bus.attach_i2c(0x50, At24c::new(256, 16));
    let ctx = RTIO.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, ee.dev(), 0x50);
    ee.faults().next(Fault::Nack);
    let mut b = [0u8; 4];
    let e = i2c.write_read(0x50, &[0, 0], &mut b).unwrap_err();
    assert_eq!(e.rtio(), Error::Nack);
    // The bus fails a transaction as a whole: its first operation carries the cause (S5).
    assert_eq!(e.operation(), Some(0));
    assert_eq!(
        e.to_string(),
        "device did not acknowledge (NACK) (operation 0 of the transaction)"
    );
    assert!(ctx.chain::<8>().is_ok(), "every entry came back");
}
