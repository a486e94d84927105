//! The SD card's SPI-mode wire format: command frames, responses, tokens and the two CRCs
//! (SD Physical Layer Simplified Specification, chapter 7 "SPI Mode"). The card model
//! ([`crate::SdCard`]) and anyone driving it by hand use these; nothing else encodes them.
//!
//! ```
//! use rtio_sim::sd;
//! // The two frames every SPI-mode start-up sends, with the CRCs real cards check.
//! assert_eq!(sd::command(sd::CMD0, 0), [0x40, 0, 0, 0, 0, 0x95]);
//! assert_eq!(sd::command(sd::CMD8, 0x1AA), [0x48, 0, 0, 0x01, 0xAA, 0x87]);
//! assert_eq!(sd::crc16(&[0xFF; 512]), 0x7FA1);
//! ```

/// Bytes in a data block (fixed for SDHC; the only length this model accepts for SDSC).
pub const BLOCK: usize = 512;

/// GO_IDLE_STATE: software reset; with chip select asserted it enters SPI mode.
pub const CMD0: u8 = 0;
/// SEND_IF_COND: voltage check, R7 (illegal on version 1.x cards).
pub const CMD8: u8 = 8;
/// SEND_CSD: the card-specific data register as a 16-byte data block.
pub const CMD9: u8 = 9;
/// SEND_CID: the card identification register as a 16-byte data block.
pub const CMD10: u8 = 10;
/// STOP_TRANSMISSION: ends a multiple-block read, R1b.
pub const CMD12: u8 = 12;
/// SEND_STATUS: R2.
pub const CMD13: u8 = 13;
/// SET_BLOCKLEN (SDSC only; SDHC blocks are always 512 bytes).
pub const CMD16: u8 = 16;
/// READ_SINGLE_BLOCK.
pub const CMD17: u8 = 17;
/// READ_MULTIPLE_BLOCK, until CMD12.
pub const CMD18: u8 = 18;
/// WRITE_BLOCK.
pub const CMD24: u8 = 24;
/// WRITE_MULTIPLE_BLOCK, until the stop-tran token.
pub const CMD25: u8 = 25;
/// APP_CMD: the next command is application specific (ACMD).
pub const CMD55: u8 = 55;
/// READ_OCR: R3.
pub const CMD58: u8 = 58;
/// CRC_ON_OFF: argument bit 0 turns CRC checking on.
pub const CMD59: u8 = 59;
/// SET_WR_BLK_ERASE_COUNT (after CMD55): blocks to pre-erase before a CMD25.
pub const ACMD23: u8 = 23;
/// SD_SEND_OP_COND (after CMD55): starts initialisation; argument bit 30 is HCS.
pub const ACMD41: u8 = 41;

/// R1: in idle state (initialising).
pub const R1_IDLE: u8 = 0x01;
/// R1: the command is not legal in this state.
pub const R1_ILLEGAL_COMMAND: u8 = 0x04;
/// R1: the command's CRC7 was wrong.
pub const R1_COM_CRC_ERROR: u8 = 0x08;
/// R1: a misaligned address (SDSC byte address not on a block boundary).
pub const R1_ADDRESS_ERROR: u8 = 0x20;
/// R1: an argument out of the command's allowed range (a block length other than 512).
pub const R1_PARAMETER_ERROR: u8 = 0x40;

/// R2 second byte: out of range (an address past the end of the card).
pub const R2_OUT_OF_RANGE: u8 = 0x80;

/// Start block token of a single-block read or write and of register reads.
pub const START_BLOCK: u8 = 0xFE;
/// Start block token of each block of a multiple-block write.
pub const START_MULTI: u8 = 0xFC;
/// Stop-tran token: ends a multiple-block write.
pub const STOP_TRAN: u8 = 0xFD;
/// Data error token bit: out of range (sent instead of a start token).
pub const DATA_ERROR_OUT_OF_RANGE: u8 = 0x08;
/// Data response token: accepted.
pub const DATA_ACCEPTED: u8 = 0x05;
/// Data response token: rejected, CRC error.
pub const DATA_CRC_ERROR: u8 = 0x0B;
/// Data response token: rejected, write error.
pub const DATA_WRITE_ERROR: u8 = 0x0D;

/// The 7-bit CRC of a command frame (polynomial x^7 + x^3 + 1).
pub fn crc7(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in bytes {
        for i in (0..8).rev() {
            let bit = (b >> i) & 1;
            let top = (crc >> 6) & 1;
            crc = (crc << 1) & 0x7F;
            if bit ^ top != 0 {
                crc ^= 0x09;
            }
        }
    }
    crc
}

/// The 16-bit CRC of a data block (CRC-16-CCITT, polynomial x^16 + x^12 + x^5 + 1, initial 0),
/// sent big-endian after the block.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in bytes {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A command frame: start and transmission bits with the index, the argument big-endian,
/// then the CRC7 and the end bit.
pub fn command(index: u8, arg: u32) -> [u8; 6] {
    let a = arg.to_be_bytes();
    let mut f = [0x40 | (index & 0x3F), a[0], a[1], a[2], a[3], 0];
    f[5] = (crc7(&f[..5]) << 1) | 1;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crcs_match_the_frames_every_card_checks() {
        assert_eq!(command(CMD0, 0)[5], 0x95);
        assert_eq!(command(CMD8, 0x1AA)[5], 0x87);
        assert_eq!(command(CMD55, 0)[5], 0x65);
        assert_eq!(command(ACMD41, 0x4000_0000)[5], 0x77);
        // CRC-16-CCITT (XModem) check value.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }
}
