//! A 24C16-style EEPROM: one chip, eight I2C addresses (the word address's high bits are
//! in the device address). `eeprom24x` (unchanged) drives it through one `I2cHandle` that
//! knows all eight targets; the simulated part is one model behind eight devices
//! (`Bus::attach_i2c_many`).

use eeprom24x::{Eeprom24x, SlaveAddr};
use rtio::{Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::I2cHandle;
use rtio_sim::{At24c, Bus};

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn eeprom24x_on_a_24c16_that_answers_at_eight_addresses() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let bus = Bus::i2c("24c16", 400_000);
    let data: Vec<u8> = (0..2048u32).map(|i| (i * 7 % 251) as u8).collect();
    let addresses: Vec<u8> = (0x50..=0x57).collect();
    let blocks = bus.attach_i2c_many(
        &addresses,
        At24c::small(2048, 16)
            .with_contents(&data)
            .with_write_cycle(rtio::Duration::from_millis(1)),
    );
    let ctx = RTIO.claim().unwrap();
    let i2c = blocks
        .iter()
        .fold(I2cHandle::new(&ctx, blocks[0].dev(), 0x50), |h, d| {
            h.with_target(d.address(), d.dev())
        });
    let mut e = Eeprom24x::new_24x16(i2c, SlaveAddr::default());
    // Every block is reached through its own device address.
    for addr in [0x000u32, 0x1FF, 0x300, 0x7FF] {
        assert_eq!(
            e.read_byte(addr).unwrap(),
            data[addr as usize],
            "byte {addr:#05x}"
        );
    }
    // A write in block 5, ACK polling through the write cycle, and a read back.
    e.write_byte(0x523, 0xA5).unwrap();
    let t0 = std::time::Instant::now();
    let got = loop {
        match e.read_byte(0x523) {
            Ok(b) => break b,
            Err(_) if t0.elapsed() < std::time::Duration::from_secs(1) => continue,
            Err(err) => panic!("{err:?}"),
        }
    };
    assert_eq!(got, 0xA5);
    assert!(
        blocks[5].with(|m| m.memory()[0x523] == 0xA5),
        "one memory behind all addresses"
    );
    // A sequential read across a block boundary continues in the next block.
    let mut run = [0u8; 8];
    e.read_data(0x2FC, &mut run).unwrap();
    assert_eq!(run[..], data[0x2FC..0x304]);
}
