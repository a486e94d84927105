//! Example 2: non-blocking device to device: I2C temperature sensor -> SPI block device.
//!
//! One chain, dispatched without waiting and with no callback: write the TMP105 pointer
//! register, read the temperature (I2C at 100 kHz), then one SPI transaction on the SD card
//! (WRITE_BLOCK header, then the data phase with chip select held, S5) whose data is the
//! read's own buffer (`write_previous`). The main loop keeps counting and polls; the buffer
//! comes back once, in the last completion (S3).

use crate::board::labels::{i2c0, sd as card_node, temp};
use crate::support::{claim, static_buf};
use rtio::{Buffer, Error, Rtio, Storage};
use rtio_sim::{sd, Bus, SdCard, Tmp105};
use std::time::{Duration, Instant};

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// (userdata, result) of the completions in arrival order.
    pub completions: Vec<(usize, Result<usize, Error>)>,
    /// Loop iterations the main loop ran while I/O was in flight.
    pub loop_count: u64,
    /// The first bytes of the destination block afterwards.
    pub block_head: [u8; 4],
    /// The temperature those bytes encode.
    pub celsius: f32,
    /// Wall time until the last completion.
    pub elapsed: Duration,
}

/// The block the sample lands in.
pub const BLOCK: u32 = 7;

/// Runs the example with the sensor reading `celsius`.
///
/// # Errors
/// Any error of the chain.
pub fn run(celsius: f32) -> Result<Report, Error> {
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE);
    let ctx = claim(&RTIO)?;

    // Speeds, address and chip select come from the devicetree (boards/host.dts).
    let i2c = Bus::i2c("i2c0", i2c0::CLOCK_FREQUENCY);
    let spi = Bus::spi("spi0", card_node::SPI_MAX_FREQUENCY);
    let sensor = i2c.attach_i2c(temp::BUS_ADDRESS as u8, Tmp105::new(celsius));
    let card_dev = spi.attach_spi(card_node::CHIP_SELECT as u8, SdCard::new(16));
    let (tmp, card) = (
        sensor.dev_as::<temp::Kind>(),
        card_dev.dev_as::<card_node::Kind>(),
    );
    let a = BLOCK.to_be_bytes();
    let header = [sd::WRITE_BLOCK, a[0], a[1], a[2], a[3]];

    let t0 = Instant::now();
    ctx.chain::<4>()?
        .tiny_write(tmp, &[0x00])
        .userdata(1)
        .read(tmp, static_buf::<2>())
        .userdata(2)
        .tiny_write(card, &header)
        .userdata(3)
        .transaction() // chip select stays asserted for the data phase
        .write_previous(card) // the bytes the read filled, no copy
        .userdata(4)
        .prepare()?;
    ctx.submit(0)?; // dispatch, do not wait

    let mut completions = Vec::new();
    let mut loop_count = 0u64;
    let mut returned = 0;
    while completions.len() < 4 {
        loop_count += 1; // the application's own work
        std::hint::black_box(loop_count);
        while let Some(c) = ctx.try_consume() {
            completions.push((c.userdata(), c.result()));
            if matches!(c.buffer(), Buffer::Mut(_)) {
                returned += 1;
            }
            c.result()?;
        }
    }
    assert_eq!(
        returned, 1,
        "the read's buffer comes back exactly once, with the write"
    );
    let elapsed = t0.elapsed();
    let mut block_head = [0u8; 4];
    card_dev.with(|c| block_head.copy_from_slice(&c.block(BLOCK as usize)[..4]));
    Ok(Report {
        completions,
        loop_count,
        celsius: Tmp105::decode([block_head[0], block_head[1]]),
        block_head,
        elapsed,
    })
}
