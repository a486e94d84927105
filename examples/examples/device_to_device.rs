//! Example 2: non-blocking device to device: I2C temperature sensor -> SPI block device.
//!
//! One chain, dispatched without waiting and with no callback: write the TMP105 pointer
//! register, read the temperature (I2C at 100 kHz), then one SPI transaction on the SD card
//! (chip select held, S5): CMD24 for the block, the start token, the data phase whose first
//! bytes are the read's own buffer (`write_previous`) and the rest of the 512-byte block, the
//! CRC, and the card's data response token. The main loop keeps counting and polls; the
//! buffer comes back once, with its write (S3).
//!
//! Run: `cargo run -p rtio-examples --example device_to_device`
//! Test: `cargo test -p rtio-examples --example device_to_device`.

use rtio::{Buffer, Error, Rtio, Storage};
use rtio_examples::board::labels::{i2c0, sd as card_node, temp};
use rtio_examples::support::{claim, static_buf};
use rtio_sim::{sd, Bus, SdCard, Tmp105};

/// The rest of the block after the two sensor bytes.
static PAD: [u8; sd::BLOCK - 2] = [0; sd::BLOCK - 2];
use std::time::{Duration, Instant};

/// What the example observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// (userdata, result) of the completions in arrival order.
    pub completions: Vec<(usize, Result<usize, Error>)>,
    /// Loop iterations the main loop ran while I/O was in flight.
    pub loop_count: u64,
    /// The card's data response token (`0x05`: accepted).
    pub data_response: u8,
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
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&rtio::time::STD_CLOCK);
    let ctx = claim(&RTIO)?;

    // Speeds, address and chip select come from the devicetree (boards/host.dts).
    let i2c = Bus::i2c("i2c0", i2c0::CLOCK_FREQUENCY);
    let spi = Bus::spi("spi0", card_node::SPI_MAX_FREQUENCY);
    // Each model at its node's address / chip select, with its node's typed handle.
    let (_sensor, tmp) = temp::attach(i2c, Tmp105::new(celsius));
    // An SDHC card, initialised (as a bootloader leaves it): block addresses, CRC off.
    let (card_dev, card) = card_node::attach(spi, SdCard::new(1024).ready());
    let response = static_buf::<4>();

    let t0 = Instant::now();
    let _ = ctx
        .chain::<8>()?
        .tiny_write(tmp, &[0x00])
        .userdata(1)
        .read(tmp, static_buf::<2>())
        .userdata(2)
        // CMD24, then N_CR and R1, a gap byte and the start token.
        .tiny_write(card, &sd::command(sd::CMD24, BLOCK))
        .userdata(3)
        .transaction() // chip select stays asserted to the data response
        .tiny_write(card, &[0xFF, 0xFF, 0xFF, sd::START_BLOCK])
        .userdata(4)
        .transaction()
        .write_previous(card) // the bytes the read filled, no copy
        .userdata(5)
        .transaction()
        .write(card, &PAD)
        .userdata(6)
        .transaction()
        .tiny_write(card, &[0xFF, 0xFF]) // CRC16: not checked, CRC is off
        .userdata(7)
        .transaction()
        .read(card, response) // data response token, then busy
        .userdata(8)
        .prepare()?;
    ctx.submit(0)?; // dispatch, do not wait

    let mut completions = Vec::new();
    let mut loop_count = 0u64;
    let mut returned = 0;
    let mut data_response = 0xFF;
    while completions.len() < 8 {
        loop_count += 1; // the application's own work
        std::hint::black_box(loop_count);
        while let Some(c) = ctx.try_consume() {
            completions.push((c.userdata(), c.result()));
            match c.buffer() {
                Buffer::Mut(b) if c.userdata() == 8 => data_response = b[0],
                Buffer::Mut(_) => returned += 1,
                _ => {}
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
    card_dev.with(|c| {
        let b = c.block(BLOCK as usize).unwrap_or_default();
        block_head.copy_from_slice(&b[..4]);
    });
    Ok(Report {
        completions,
        loop_count,
        data_response,
        celsius: Tmp105::decode([block_head[0], block_head[1]]),
        block_head,
        elapsed,
    })
}

// The printing: `cargo run -p rtio-examples --example device_to_device`.
fn main() -> Result<(), rtio::Error> {
    let r = run(36.5)?;
    for (ud, res) in &r.completions {
        println!("completion userdata={ud} result={res:?}");
    }
    println!(
        "block {} now starts {:02X?} = {} °C; the main loop counted {} times in {:?}",
        BLOCK, r.block_head, r.celsius, r.loop_count, r.elapsed
    );
    Ok(())
}

// The assertions: `cargo test -p rtio-examples --example device_to_device`.
/// Example 2: the sensor's bytes land on the block device while the main loop keeps running.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_bytes_reach_the_block_device_without_blocking_the_loop() {
        let r = run(36.5).unwrap();
        assert_eq!(
            r.completions,
            vec![
                (1, Ok(1)),
                (2, Ok(2)),
                (3, Ok(6)),
                (4, Ok(4)),
                (5, Ok(2)),
                (6, Ok(510)),
                (7, Ok(2)),
                (8, Ok(4))
            ],
            "in chain order, every entry once"
        );
        assert_eq!(r.data_response & 0x1F, 0x05, "the card accepted the block");
        assert_eq!(r.block_head, [0x24, 0x80, 0x00, 0x00]);
        assert_eq!(r.celsius, 36.5);
        // The loop ran while ~0.5 ms of I2C and SPI traffic was in flight.
        assert!(
            r.loop_count > 100,
            "main loop only ran {} times",
            r.loop_count
        );
    }
}
