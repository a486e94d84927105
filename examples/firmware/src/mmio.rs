//! Memory-mapped register blocks: the only place the firmware touches raw addresses.

use core::ptr::{read_volatile, write_volatile};

/// A block of 32-bit memory-mapped registers at a fixed base address.
#[derive(Debug, Clone, Copy)]
pub struct Mmio {
    base: usize,
}

impl Mmio {
    /// The register block at `base`.
    ///
    /// # Safety
    /// - `base` is the base of a peripheral register block of this chip, and every offset
    ///   later passed to `read`/`write` is a register of that block (or a reserved word the
    ///   bus ignores).
    /// - Register accesses have no memory-safety side effects (no DMA on this chip).
    pub const unsafe fn at(base: u64) -> Mmio {
        Mmio {
            base: base as usize,
        }
    }

    /// Reads the register at byte offset `off`.
    #[inline(always)]
    pub fn read(self, off: usize) -> u32 {
        // SAFETY: `at`'s contract: base + off is a device register, aligned, always mapped.
        unsafe { read_volatile((self.base + off) as *const u32) }
    }

    /// Writes the register at byte offset `off`.
    #[inline(always)]
    pub fn write(self, off: usize, v: u32) {
        // SAFETY: as in `read`; device register writes cannot break Rust's memory model here.
        unsafe { write_volatile((self.base + off) as *mut u32, v) }
    }

    /// Read-modify-write: sets the bits of `set` and clears those of `clear`.
    #[inline(always)]
    pub fn modify(self, off: usize, clear: u32, set: u32) {
        self.write(off, self.read(off) & !clear | set);
    }
}
