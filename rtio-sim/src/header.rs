//! The metadata header of multishot FIFO buffers: its one codec.

/// The metadata header at the start of every multishot buffer (16 bytes, little-endian).
///
/// ```
/// use rtio_sim::Header;
/// let h = Header { timestamp_us: 1000, seq: 7, frames: 3, frame_size: 12, overrun: true };
/// let mut b = [0u8; 16];
/// h.write(&mut b);
/// assert_eq!(Header::read(&b), Some(h));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Time of the first frame, µs since the device started.
    pub timestamp_us: u64,
    /// Buffer sequence number.
    pub seq: u32,
    /// Frames in this buffer.
    pub frames: u16,
    /// Bytes per frame.
    pub frame_size: u8,
    /// Frames were dropped (FIFO overrun) since the previous buffer.
    pub overrun: bool,
}

impl Header {
    /// Encoded size.
    pub const SIZE: usize = 16;
    /// Encodes into the first 16 bytes of `b`.
    ///
    /// # Panics
    /// If `b` is shorter than [`Header::SIZE`].
    pub fn write(&self, b: &mut [u8]) {
        b[0..8].copy_from_slice(&self.timestamp_us.to_le_bytes());
        b[8..12].copy_from_slice(&self.seq.to_le_bytes());
        b[12..14].copy_from_slice(&self.frames.to_le_bytes());
        b[14] = self.frame_size;
        b[15] = u8::from(self.overrun);
    }
    /// Decodes from the first 16 bytes of `b`.
    pub fn read(b: &[u8]) -> Option<Header> {
        if b.len() < Self::SIZE {
            return None;
        }
        Some(Header {
            timestamp_us: u64::from_le_bytes(b[0..8].try_into().ok()?),
            seq: u32::from_le_bytes(b[8..12].try_into().ok()?),
            frames: u16::from_le_bytes([b[12], b[13]]),
            frame_size: b[14],
            overrun: b[15] != 0,
        })
    }
}
