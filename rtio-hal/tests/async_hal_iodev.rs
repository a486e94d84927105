//! Any async HAL as an iodev: `AsyncSpiIodev` / `AsyncI2cIodev` served by an async task over
//! `embedded-hal-async` devices, here the simulated buses through their async interfaces
//! (`SpiHandle`, `I2cHandle` on a second context), and a HAL that never finishes, cancelled.

use embedded_hal::spi::{ErrorType, Operation};
use rtio::{caps, Dev, Error, Iodev, Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::{AsyncI2cIodev, AsyncSpiIodev, I2cHandle, SpiHandle};
use rtio_sim::{sd, At24c, Bus, SdCard};
use std::future::Future;
use std::task::{Context, Poll};

/// A one-future executor that parks between wake-ups (the application's executor).
fn park_on<F: Future>(fut: F) -> F::Output {
    let waker = rtio::wait::thread_waker();
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(5));
    }
}

struct K;
impl caps::Kind for K {
    const NAME: &'static str = "async-hal";
}
impl caps::Read for K {}
impl caps::Write for K {}
impl caps::Transceive for K {}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn an_async_spi_hal_serves_rtio_transactions() {
    static CARD: AsyncSpiIodev = AsyncSpiIodev::new();
    static CARD_IODEV: Iodev = Iodev::new(&CARD);
    // The task's side: an async HAL (here the simulated bus through SpiHandle).
    std::thread::spawn(|| {
        static POOL_STORAGE: PoolStorage<16, 64> = PoolStorage::new();
        static POOL: Mempool = Mempool::new(&POOL_STORAGE);
        static STORAGE: Storage<16, 16> = Storage::new();
        static HAL_RTIO: Rtio = Rtio::new(&STORAGE)
            .with_pool(&POOL)
            .with_clock(&rtio::time::STD_CLOCK);
        let card = Bus::spi("async-hal-spi", 25_000_000).attach_spi(0, SdCard::new(1024).ready());
        let ctx = HAL_RTIO.claim().unwrap();
        park_on(CARD.run(SpiHandle::new(&ctx, card.dev()), &mut [0u8; 1024]))
    });
    // The application's side: plain rtio chains on the iodev.
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let ctx = RTIO.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&CARD_IODEV);
    let r2: &'static mut [u8; 3] = Box::leak(Box::new([0; 3]));
    let [w, r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &sd::command(sd::CMD13, 0))
        .transaction()
        .read(dev, r2)
        .wait()
        .unwrap();
    assert_eq!((w.result(), r.result()), (Ok(6), Ok(3)));
    assert_eq!(
        r.buffer().data(),
        Some(&[0xFF, 0x00, 0x00][..]),
        "N_CR, then R2"
    );
    // A single full-duplex entry.
    let tx: &'static [u8] = Box::leak(Box::new(sd::command(sd::CMD58, 0)));
    let rx: &'static mut [u8; 6] = Box::leak(Box::new([0; 6]));
    let [t] = ctx
        .acquire()
        .unwrap()
        .transceive(dev, tx, rx)
        .wait()
        .unwrap();
    assert_eq!(t.result(), Ok(6));
}

/// An async HAL whose transfers never finish (a wedged DMA).
struct Wedged;
impl ErrorType for Wedged {
    type Error = core::convert::Infallible;
}
impl embedded_hal_async::spi::SpiDevice for Wedged {
    async fn transaction(&mut self, _ops: &mut [Operation<'_, u8>]) -> Result<(), Self::Error> {
        core::future::pending().await
    }
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn cancelling_drops_the_hal_future_and_completes_canceled() {
    static CHIP: AsyncSpiIodev = AsyncSpiIodev::new();
    static CHIP_IODEV: Iodev = Iodev::new(&CHIP);
    std::thread::spawn(|| park_on(CHIP.run(Wedged, &mut [0u8; 16])));
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let ctx = RTIO.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&CHIP_IODEV);
    // In flight, then queued behind it.
    let a = ctx
        .acquire()
        .unwrap()
        .tiny_write(dev, &[1])
        .userdata(1)
        .submit()
        .unwrap();
    let b = ctx
        .acquire()
        .unwrap()
        .tiny_write(dev, &[2])
        .userdata(2)
        .submit()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    ctx.cancel(b.head()).unwrap();
    ctx.cancel(a.head()).unwrap();
    let mut got: Vec<_> = (0..2)
        .map(|_| {
            let c = ctx.consume().unwrap();
            (c.userdata(), c.result())
        })
        .collect();
    got.sort_by_key(|(u, _)| *u);
    assert_eq!(got, [(1, Err(Error::Canceled)), (2, Err(Error::Canceled))]);
    // The task goes on serving: a LINK_TIMEOUT bounds the next one the same way.
    let [w, lt] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[3])
        .link_timeout(rtio::Duration::from_millis(10))
        .wait()
        .unwrap();
    assert_eq!(
        (w.result(), lt.result()),
        (Err(Error::TimedOut), Err(Error::TimedOut))
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn an_async_i2c_hal_serves_register_reads_with_pool_buffers() {
    static EEPROM: AsyncI2cIodev = AsyncI2cIodev::new(0x50);
    static EEPROM_IODEV: Iodev = Iodev::new(&EEPROM);
    std::thread::spawn(|| {
        static POOL_STORAGE: PoolStorage<8, 32> = PoolStorage::new();
        static POOL: Mempool = Mempool::new(&POOL_STORAGE);
        static STORAGE: Storage<16, 16> = Storage::new();
        static HAL_RTIO: Rtio = Rtio::new(&STORAGE)
            .with_pool(&POOL)
            .with_clock(&rtio::time::STD_CLOCK);
        let data: Vec<u8> = (0..64).collect();
        let e = Bus::i2c("async-hal-i2c", 400_000)
            .attach_i2c(0x50, At24c::new(256, 16).with_contents(&data));
        let ctx = HAL_RTIO.claim().unwrap();
        park_on(EEPROM.run(I2cHandle::new(&ctx, e.dev(), 0x50), &mut [0u8; 256]))
    });
    static POOL_STORAGE: PoolStorage<4, 16> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = RTIO.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&EEPROM_IODEV);
    let [_, mut r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x00, 0x05])
        .transaction()
        .read_pool(dev, 3, 3)
        .wait()
        .unwrap();
    assert_eq!(r.result(), Ok(3));
    assert!(matches!(r.take_buffer(), rtio::Buffer::Pool(p) if p.as_slice() == [5, 6, 7]));
    // The current-address read continues after exactly those bytes.
    let [mut c] = ctx.acquire().unwrap().read_pool(dev, 1, 1).wait().unwrap();
    assert!(matches!(c.take_buffer(), rtio::Buffer::Pool(p) if p.as_slice() == [8]));
    assert_eq!(POOL.free_blocks(), 4);
}
