//! Adapter tests: the embedded-hal contract in both directions, over simulated devices.

use embedded_hal::i2c::Operation as I2cOp;
use embedded_hal::spi::Operation as SpiOp;
use rtio::{caps, Dev, Iodev, Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::*;
use rtio_sim::{sd, At24c, Bus, I2cTarget, SdCard, Tmp105};
use std::boxed::Box;
use std::format;
use std::string::String;
use std::sync::Mutex;
use std::vec;
use std::vec::Vec;

struct K;
impl caps::Kind for K {
    const NAME: &'static str = "hal-test";
}
impl caps::Read for K {}
impl caps::Write for K {}
impl caps::Transceive for K {}

/// A blocking embedded-hal I2C bus over a register model that logs each `transaction`.
struct ModelBus {
    target: Tmp105,
    log: &'static Mutex<Vec<String>>,
}

impl embedded_hal::i2c::ErrorType for ModelBus {
    type Error = rtio_hal::Error;
}

impl embedded_hal::i2c::I2c for ModelBus {
    fn transaction(&mut self, address: u8, ops: &mut [I2cOp<'_>]) -> Result<(), rtio_hal::Error> {
        let mut line = format!("{address:02x}:");
        for op in ops.iter_mut() {
            match op {
                I2cOp::Write(w) => {
                    line += &format!(" W{w:02x?}");
                    self.target.write(w)?;
                }
                I2cOp::Read(r) => {
                    self.target.read(r)?;
                    line += &format!(" R{}", r.len());
                }
            }
        }
        self.log.lock().unwrap().push(line);
        Ok(())
    }
}

fn leak<T>(t: T) -> &'static mut T {
    Box::leak(Box::new(t))
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn blocking_i2c_driver_as_iodev_keeps_transactions_whole() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: I2cIodev<ModelBus> = I2cIodev::new(0x48);
    static IODEV: Iodev = Iodev::new(&DRV);
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    DRV.init(ModelBus {
        target: Tmp105::new(25.5),
        log: &LOG,
    });
    DRV.spawn_worker();
    let ctx = R.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&IODEV);
    // One transaction: one embedded-hal `transaction` with both operations.
    let [w, mut r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x00])
        .transaction()
        .read(dev, leak([0u8; 2]))
        .wait()
        .unwrap();
    assert_eq!((w.result(), r.result()), (Ok(1), Ok(2)));
    assert!(matches!(r.take_buffer(), rtio::Buffer::Mut(b) if b == [0x19, 0x80]));
    // A plain chain: two separate bus transactions.
    let [_, r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x00])
        .read(dev, leak([0u8; 2]))
        .wait()
        .unwrap();
    assert_eq!(r.result(), Ok(2));
    assert_eq!(
        *LOG.lock().unwrap(),
        vec!["48: W[00] R2", "48: W[00]", "48: R2"]
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn blocking_i2c_driver_steps_when_polled() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: I2cIodev<ModelBus> = I2cIodev::new(0x49);
    static IODEV: Iodev = Iodev::new(&DRV);
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    DRV.init(ModelBus {
        target: Tmp105::new(-1.0),
        log: &LOG,
    });
    let ctx = R.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&IODEV);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x00])
        .read(dev, leak([0u8; 2]))
        .userdata(2)
        .submit()
        .unwrap();
    let _ = h;
    assert!(!ctx.has_completion(), "nothing runs until stepped");
    assert_eq!(DRV.queued(), 1);
    assert!(DRV.step()); // the write; completing it queues the read (S4)
    assert!(DRV.step());
    assert!(!DRV.step());
    let c1 = ctx.try_consume().unwrap();
    let mut c2 = ctx.try_consume().unwrap();
    assert_eq!((c1.result(), c2.result()), (Ok(1), Ok(2)));
    match c2.take_buffer() {
        rtio::Buffer::Mut(b) => assert_eq!(Tmp105::decode([b[0], b[1]]), -1.0),
        other => panic!("{other:?}"),
    }
}

/// A blocking SpiDevice logging the shape of each transaction; echoes tx+1 on transfers.
struct LogSpi(&'static Mutex<Vec<String>>);
impl embedded_hal::spi::ErrorType for LogSpi {
    type Error = rtio_hal::Error;
}
impl embedded_hal::spi::SpiDevice for LogSpi {
    fn transaction(&mut self, ops: &mut [SpiOp<'_, u8>]) -> Result<(), rtio_hal::Error> {
        let mut line = String::from("CS");
        for op in ops.iter_mut() {
            match op {
                SpiOp::Write(w) => line += &format!(" W{}", w.len()),
                SpiOp::Read(r) => {
                    r.fill(0x5A);
                    line += &format!(" R{}", r.len())
                }
                SpiOp::Transfer(r, w) => {
                    for (d, s) in r.iter_mut().zip(w.iter()) {
                        *d = s + 1;
                    }
                    line += &format!(" T{}/{}", r.len(), w.len())
                }
                SpiOp::TransferInPlace(b) => {
                    b.iter_mut().for_each(|x| *x += 1);
                    line += &format!(" I{}", b.len())
                }
                SpiOp::DelayNs(ns) => line += &format!(" D{ns}"),
            }
        }
        self.0.lock().unwrap().push(line);
        Ok(())
    }
}

impl embedded_hal_async::spi::SpiDevice for LogSpi {
    async fn transaction(&mut self, ops: &mut [SpiOp<'_, u8>]) -> Result<(), rtio_hal::Error> {
        embedded_hal::spi::SpiDevice::transaction(self, ops)
    }
}

/// A handle over an iodev over a HAL driver: every operation of the handle's transaction
/// reaches the driver as one `transaction` with the same operations, on the driver side
/// too (`Request::TransceiveInPlace`, `Request::DelayNs`).
fn every_operation_reaches_the_driver(
    ctx: &rtio::Context,
    dev: Dev<K>,
    log: &'static Mutex<Vec<String>>,
) {
    use embedded_hal::spi::SpiDevice as _;
    let mut spi = SpiHandle::new(ctx, dev);
    let mut inplace = [1u8, 2, 3, 4];
    let mut rx = [0u8; 2];
    let mut r = [0u8; 2];
    spi.transaction(&mut [
        SpiOp::Write(&[9, 9, 9]),
        SpiOp::DelayNs(500),
        SpiOp::TransferInPlace(&mut inplace),
        SpiOp::Transfer(&mut rx, &[7, 8]),
        SpiOp::Read(&mut r),
    ])
    .unwrap();
    assert_eq!((inplace, rx, r), ([2, 3, 4, 5], [8, 9], [0x5A, 0x5A]));
    // Single operations.
    spi.transfer_in_place(&mut inplace).unwrap();
    assert_eq!(inplace, [3, 4, 5, 6]);
    assert_eq!(
        *log.lock().unwrap(),
        vec!["CS W3 D500 I4 T2/2 R2", "CS I4"],
        "one driver transaction per handle transaction, every operation in it"
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn blocking_spi_iodev_does_transfer_in_place_and_delay_inside_a_transaction() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: SpiIodev<LogSpi> = SpiIodev::new();
    static IODEV: Iodev = Iodev::new(&DRV);
    static S: Storage<8, 8> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    DRV.init(LogSpi(&LOG));
    DRV.spawn_worker();
    let ctx = R.claim().unwrap();
    every_operation_reaches_the_driver(&ctx, Dev::<K>::new_unchecked(&IODEV), &LOG);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn async_spi_iodev_does_transfer_in_place_and_delay_inside_a_transaction() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: AsyncSpiIodev = AsyncSpiIodev::new();
    static IODEV: Iodev = Iodev::new(&DRV);
    static S: Storage<8, 8> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    std::thread::spawn(|| rtio::block_on(DRV.run(LogSpi(&LOG), &mut [0u8; 64])));
    let ctx = R.claim().unwrap();
    every_operation_reaches_the_driver(&ctx, Dev::<K>::new_unchecked(&IODEV), &LOG);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn blocking_spi_device_as_iodev_holds_chip_select_for_a_transaction() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: SpiIodev<LogSpi> = SpiIodev::new();
    static IODEV: Iodev = Iodev::new(&DRV);
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    DRV.init(LogSpi(&LOG));
    DRV.spawn_worker();
    let ctx = R.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&IODEV);
    let [a, b, mut c] = ctx
        .chain::<3>()
        .unwrap()
        .tiny_write(dev, &[0x9F])
        .transaction()
        .read(dev, leak([0u8; 3]))
        .transaction()
        .transceive(dev, &[1, 2], leak([0u8; 2]))
        .wait()
        .unwrap();
    assert_eq!((a.result(), b.result(), c.result()), (Ok(1), Ok(3), Ok(2)));
    assert!(matches!(c.take_buffer(), rtio::Buffer::Pair { rx, .. } if rx == [2, 3]));
    assert_eq!(*LOG.lock().unwrap(), vec!["CS W1 R3 T2/2"]);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn iodev_as_async_i2c_speaks_the_embedded_hal_contract() {
    use embedded_hal_async::i2c::I2c as _;
    static PS: PoolStorage<8, 32> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&PS);
    static S: Storage<16, 16> = Storage::new();
    static R: Rtio = Rtio::new(&S)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("hal-i2c", 1_000_000);
    // A long write cycle keeps the NACK window wide on a loaded machine.
    let ee = bus.attach_i2c(
        0x50,
        At24c::new(1024, 64).with_write_cycle(rtio::Duration::from_millis(100)),
    );
    let ctx = R.claim().unwrap();
    let mut i2c = I2cHandle::new(&ctx, ee.dev(), 0x50);
    // A 40-byte page write: address and data, one write operation, three entries.
    let mut page = [0u8; 42];
    page[1] = 0x40;
    for (i, b) in page[2..].iter_mut().enumerate() {
        *b = i as u8;
    }
    rtio::block_on(i2c.write(0x50, &page)).unwrap();
    assert_eq!(
        ee.with(|e| e.memory()[0x40..0x68].to_vec()),
        (0..40).collect::<Vec<u8>>()
    );
    // While the write cycle runs, the EEPROM NACKs: the error keeps its meaning.
    let mut out = [0u8; 40];
    assert_eq!(
        rtio::block_on(i2c.write_read(0x50, &[0x00, 0x40], &mut out)),
        Err(rtio_hal::Error::from(rtio::Error::Nack))
    );
    std::thread::sleep(std::time::Duration::from_millis(110));
    rtio::block_on(i2c.write_read(0x50, &[0x00, 0x40], &mut out)).unwrap();
    assert_eq!(out.to_vec(), (0..40).collect::<Vec<u8>>());
    // Another address is not acknowledged.
    assert_eq!(
        rtio::block_on(i2c.read(0x51, &mut out)),
        Err(rtio_hal::Error::from(rtio::Error::Nack))
    );
    // Everything came back.
    assert_eq!(POOL.free_blocks(), 8);
    assert!(ctx.chain::<16>().is_ok());
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn iodev_as_spi_device_reads_a_block_in_one_chip_select() {
    use embedded_hal::spi::SpiDevice as _;
    static PS: PoolStorage<16, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&PS);
    static S: Storage<8, 8> = Storage::new();
    static R: Rtio = Rtio::new(&S)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let mut image = vec![0u8; 1024 * 512];
    image[3 * 512..4 * 512].fill(7);
    let card = Bus::spi("hal-spi", 20_000_000).attach_spi(0, SdCard::sdhc(image).ready());
    let ctx = R.claim().unwrap();
    let mut spi = SpiHandle::new(&ctx, card.dev());
    // CMD17, then N_CR, R1, N_AC, the start token, the block and its CRC.
    let mut reply = [0u8; 2 + 2 + 1 + 512 + 2];
    spi.transaction(&mut [
        SpiOp::Write(&sd::command(sd::CMD17, 3)),
        SpiOp::Read(&mut reply),
    ])
    .unwrap();
    assert_eq!(&reply[..5], &[0xFF, 0x00, 0xFF, 0xFF, sd::START_BLOCK]);
    assert!(reply[5..517].iter().all(|&b| b == 7));
    // Full duplex on the caller's buffer: CMD13 shifted out, what the card sent back in.
    let mut x = [0xFF; 9];
    x[..6].copy_from_slice(&sd::command(sd::CMD13, 0));
    spi.transaction(&mut [SpiOp::TransferInPlace(&mut x)])
        .unwrap();
    assert_eq!(&x[6..], &[0xFF, 0x00, 0x00], "N_CR, then R2");
    // Full duplex inside a transaction of several operations runs on the caller's buffers
    // too: CMD13 written, then N_CR and R2 shifted in place while FF goes out.
    let mut y = [0xFF; 3];
    spi.transaction(&mut [
        SpiOp::Write(&sd::command(sd::CMD13, 0)),
        SpiOp::TransferInPlace(&mut y),
    ])
    .unwrap();
    assert_eq!(
        y,
        [0xFF, 0x00, 0x00],
        "N_CR, then R2, in one chip-select cycle"
    );
    assert_eq!(POOL.free_blocks(), 16);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn uart_as_async_byte_stream() {
    use embedded_io_async::{Read as _, Write as _};
    static PS: PoolStorage<4, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&PS);
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let uart = rtio_sim::Uart::device("hal-uart", 1_000_000, 64);
    let ctx = R.claim().unwrap();
    let mut serial = Serial::new(&ctx, uart.dev());
    rtio::block_on(serial.write_all(b"0123456789abcdefghij")).unwrap();
    assert_eq!(uart.take_written(), b"0123456789abcdefghij");
    uart.inject(b"hello");
    let mut got = Vec::new();
    while got.len() < 5 {
        let mut b = [0u8; 8];
        let n = rtio::block_on(serial.read(&mut b)).unwrap();
        assert!(n >= 1);
        got.extend_from_slice(&b[..n]);
    }
    assert_eq!(got, b"hello");
    assert_eq!(POOL.free_blocks(), 4);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn blocking_adapter_serves_several_contexts_each_op_exactly_once() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: I2cIodev<ModelBus> = I2cIodev::new(0x4A);
    static IODEV: Iodev = Iodev::new(&DRV);
    static S0: Storage<4, 4> = Storage::new();
    static S1: Storage<4, 4> = Storage::new();
    static S2: Storage<4, 4> = Storage::new();
    static R0: Rtio = Rtio::new(&S0).with_clock(&rtio::time::STD_CLOCK);
    static R1: Rtio = Rtio::new(&S1).with_clock(&rtio::time::STD_CLOCK);
    static R2: Rtio = Rtio::new(&S2).with_clock(&rtio::time::STD_CLOCK);
    DRV.init(ModelBus {
        target: Tmp105::new(12.5),
        log: &LOG,
    });
    DRV.spawn_worker();
    const N: usize = 200;
    let threads: Vec<_> = [&R0, &R1, &R2]
        .into_iter()
        .map(|r: &'static Rtio| {
            std::thread::spawn(move || {
                let ctx = r.claim().unwrap();
                let dev = Dev::<K>::new_unchecked(&IODEV);
                for i in 0..N {
                    let [w, mut rd] = ctx
                        .chain::<2>()
                        .unwrap()
                        .tiny_write(dev, &[0x00])
                        .userdata(i)
                        .transaction()
                        .read(dev, leak([0u8; 2]))
                        .userdata(i)
                        .wait()
                        .unwrap();
                    assert_eq!((w.result(), rd.result()), (Ok(1), Ok(2)));
                    assert!(matches!(rd.take_buffer(), rtio::Buffer::Mut(b) if b == [0x0C, 0x80]));
                }
                assert!(ctx.chain::<4>().is_ok());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Every transaction reached the driver once, whole.
    let log = LOG.lock().unwrap();
    assert_eq!(log.len(), 3 * N);
    assert!(log.iter().all(|l| l == "4a: W[00] R2"));
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn blocking_adapter_fills_pool_reads_inside_a_transaction() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: I2cIodev<ModelBus> = I2cIodev::new(0x4B);
    static IODEV: Iodev = Iodev::new(&DRV);
    static PS: PoolStorage<4, 16> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&PS);
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    DRV.init(ModelBus {
        target: Tmp105::new(-0.5),
        log: &LOG,
    });
    DRV.spawn_worker();
    let ctx = R.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&IODEV);
    let [w, mut r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x00])
        .transaction()
        .read_pool(dev, 2, 2)
        .wait()
        .unwrap();
    assert_eq!((w.result(), r.result()), (Ok(1), Ok(2)));
    match r.take_buffer() {
        rtio::Buffer::Pool(p) => assert_eq!(Tmp105::decode([p[0], p[1]]), -0.5),
        other => panic!("{other:?}"),
    }
    assert_eq!(*LOG.lock().unwrap(), vec!["4b: W[00] R2"]);
    assert_eq!(POOL.free_blocks(), 4);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn the_std_worker_takes_a_transaction_of_any_number_of_operations() {
    use embedded_hal::spi::SpiDevice as _;
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static DRV: SpiIodev<LogSpi> = SpiIodev::new();
    static IODEV: Iodev = Iodev::new(&DRV);
    static S: Storage<32, 32> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    DRV.init(LogSpi(&LOG));
    DRV.spawn_worker();
    let ctx = R.claim().unwrap();
    let mut spi = SpiHandle::new(&ctx, Dev::<K>::new_unchecked(&IODEV));
    let bytes: Vec<[u8; 1]> = (0..20u8).map(|i| [i]).collect();
    let mut r = [0u8; 600];
    let mut ops: Vec<SpiOp<'_, u8>> = bytes.iter().map(|b| SpiOp::Write(b)).collect();
    ops.push(SpiOp::DelayNs(10));
    ops.push(SpiOp::Read(&mut r));
    spi.transaction(&mut ops).unwrap();
    drop(ops);
    assert!(r.iter().all(|&b| b == 0x5A));
    let want = format!("CS{} D10 R600", " W1".repeat(20));
    assert_eq!(
        *LOG.lock().unwrap(),
        vec![want],
        "22 members, one driver transaction"
    );
}
