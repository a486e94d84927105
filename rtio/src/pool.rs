//! Memory pool: fixed-size blocks the iodev fills when the caller gave no buffer (S11).
//!
//! Allocation hands out *contiguous whole blocks*, between a minimum and a preferred size; the
//! completion hands the caller an owned [`PoolBuf`] that frees its blocks when dropped, so a
//! block can neither leak through a forgotten release nor be freed twice.
//!
//! ```
//! use rtio::{Mempool, PoolStorage};
//! static STORAGE: PoolStorage<16, 32> = PoolStorage::new();
//! static POOL: Mempool = Mempool::new(&STORAGE);
//! let range = POOL.alloc(40, 100).unwrap(); // 2..=4 blocks of 32 bytes
//! assert_eq!(range.count(), 4);
//! POOL.free(range);
//! assert_eq!(POOL.free_blocks(), 16);
//! ```

use core::cell::{Cell, UnsafeCell};
use core::ptr::NonNull;
use critical_section::Mutex;

/// Largest number of blocks one pool manages.
pub const MAX_BLOCKS: usize = 256;

/// Static storage for a pool of `BLOCKS` blocks of `BLOCK_SIZE` bytes, 8-byte aligned.
#[repr(C, align(8))]
pub struct PoolStorage<const BLOCKS: usize, const BLOCK_SIZE: usize> {
    data: UnsafeCell<[[u8; BLOCK_SIZE]; BLOCKS]>,
}

// SAFETY: the bytes are only reached through a `Mempool`, which hands each block range to one
// owner at a time (the allocation bitmap is guarded by a critical section).
unsafe impl<const B: usize, const S: usize> Sync for PoolStorage<B, S> {}

impl<const BLOCKS: usize, const BLOCK_SIZE: usize> PoolStorage<BLOCKS, BLOCK_SIZE> {
    /// Zeroed storage.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        const {
            assert!(
                BLOCKS > 0 && BLOCKS <= MAX_BLOCKS,
                "a pool has 1..=256 blocks"
            );
            assert!(BLOCK_SIZE > 0, "pool blocks must not be empty");
        }
        PoolStorage {
            data: UnsafeCell::new([[0; BLOCK_SIZE]; BLOCKS]),
        }
    }
}

impl<const B: usize, const S: usize> core::fmt::Debug for PoolStorage<B, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PoolStorage<{B}, {S}>")
    }
}

/// A range of blocks: first block and count. Count 0 means "none".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRange {
    start: u16,
    count: u16,
}

impl BlockRange {
    /// First block.
    pub fn start(self) -> usize {
        self.start as usize
    }
    /// Number of blocks.
    pub fn count(self) -> usize {
        self.count as usize
    }
    pub(crate) fn pack(self) -> u32 {
        (self.start as u32) << 16 | self.count as u32
    }
    pub(crate) fn unpack(v: u32) -> BlockRange {
        BlockRange {
            start: (v >> 16) as u16,
            count: v as u16,
        }
    }
    pub(crate) fn is_none(self) -> bool {
        self.count == 0
    }
}

/// A pool of fixed-size blocks over static storage.
pub struct Mempool {
    data: NonNull<u8>,
    blocks: u16,
    block_size: u32,
    used: Mutex<Cell<[u32; MAX_BLOCKS / 32]>>,
    /// [`Mempool::free`], reached from [`PoolBuf`]'s drop through this pointer, so that
    /// programs without a pool (whose completions' drop glue still names `PoolBuf`) do not
    /// link it.
    free_fn: fn(&Mempool, BlockRange),
}

// SAFETY: block ranges are handed to one owner at a time under the critical section that
// guards `used`; `data` points to 'static storage.
unsafe impl Sync for Mempool {}
// SAFETY: as above; nothing is tied to a thread.
unsafe impl Send for Mempool {}

impl core::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mempool")
            .field("blocks", &self.blocks)
            .field("block_size", &self.block_size)
            .finish()
    }
}

impl Mempool {
    /// A pool over `storage`.
    pub const fn new<const B: usize, const S: usize>(storage: &'static PoolStorage<B, S>) -> Self {
        Mempool {
            // SAFETY: a pointer into a 'static object is never null.
            data: unsafe { NonNull::new_unchecked(storage.data.get() as *mut u8) },
            blocks: B as u16,
            block_size: S as u32,
            used: Mutex::new(Cell::new([0; MAX_BLOCKS / 32])),
            free_fn: Mempool::free,
        }
    }

    /// Size of one block in bytes.
    pub fn block_size(&self) -> usize {
        self.block_size as usize
    }

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.blocks as usize
    }

    /// Number of free blocks.
    pub fn free_blocks(&self) -> usize {
        critical_section::with(|cs| {
            let used = self.used.borrow(cs).get();
            self.blocks as usize - used.iter().map(|w| w.count_ones() as usize).sum::<usize>()
        })
    }

    /// Allocates contiguous whole blocks covering at least `min` bytes and, if possible,
    /// `preferred` bytes (S11). Takes the first run that covers `preferred`, else the longest
    /// run that covers `min`. `None` when no run covers `min`.
    pub fn alloc(&self, min: usize, preferred: usize) -> Option<BlockRange> {
        let bs = self.block_size as usize;
        let min_b = min.div_ceil(bs).max(1);
        let pref_b = preferred.div_ceil(bs).max(min_b);
        if min_b > self.blocks as usize {
            return None;
        }
        critical_section::with(|cs| {
            let cell = self.used.borrow(cs);
            let mut used = cell.get();
            let is_used = |u: &[u32; 8], i: usize| u[i / 32] & (1 << (i % 32)) != 0;
            let (mut best_start, mut best_len) = (0usize, 0usize);
            let mut i = 0;
            let n = self.blocks as usize;
            while i < n {
                if is_used(&used, i) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < n && i - start < pref_b && !is_used(&used, i) {
                    i += 1;
                }
                let len = i - start;
                if len > best_len {
                    best_start = start;
                    best_len = len;
                    if len == pref_b {
                        break;
                    }
                }
                // Skip the rest of this free run: it cannot start a longer one.
                while i < n && !is_used(&used, i) {
                    i += 1;
                }
            }
            if best_len < min_b {
                return None;
            }
            for b in best_start..best_start + best_len {
                used[b / 32] |= 1 << (b % 32);
            }
            cell.set(used);
            Some(BlockRange {
                start: best_start as u16,
                count: best_len as u16,
            })
        })
    }

    /// Returns a range to the pool.
    ///
    /// Freeing a range that is not allocated is ignored for blocks that are already free.
    pub fn free(&self, range: BlockRange) {
        critical_section::with(|cs| {
            let cell = self.used.borrow(cs);
            let mut used = cell.get();
            for b in range.start()..range.start() + range.count() {
                used[b / 32] &= !(1 << (b % 32));
            }
            cell.set(used);
        })
    }

    /// Shrinks an allocated range to the blocks that hold `len` bytes (at least one), freeing
    /// the tail, so that a completion can carry just the first block and the length.
    pub(crate) fn trim(&self, range: BlockRange, len: usize) -> BlockRange {
        let keep = len
            .div_ceil(self.block_size as usize)
            .clamp(1, range.count());
        if keep < range.count() {
            self.free(BlockRange {
                start: range.start + keep as u16,
                count: range.count - keep as u16,
            });
        }
        BlockRange {
            start: range.start,
            count: keep as u16,
        }
    }

    /// The range a completion describes by its first block and length.
    pub(crate) fn range_for(&self, start: u8, len: usize) -> BlockRange {
        let count = len.div_ceil(self.block_size as usize).max(1);
        BlockRange {
            start: start as u16,
            count: count.min(self.blocks as usize - start as usize) as u16,
        }
    }

    /// The bytes of an allocated range.
    ///
    /// # Safety
    /// - `range` was returned by [`Mempool::alloc`] of this pool and not freed since.
    /// - The caller owns the range: no other reference to these bytes is live.
    // The pool hands out disjoint ranges; exclusivity is the caller's precondition.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn bytes_mut(&self, range: BlockRange) -> &mut [u8] {
        let bs = self.block_size as usize;
        // SAFETY: the range lies inside the storage (alloc never hands out more), and the
        // caller owns it exclusively (preconditions).
        unsafe {
            core::slice::from_raw_parts_mut(
                self.data.as_ptr().add(range.start() * bs),
                range.count() * bs,
            )
        }
    }
}

/// An owned pool buffer handed back by a completion (S3, S11). Dropping it frees its blocks.
///
/// Its length is what the iodev reported; [`PoolBuf::capacity`] is the whole blocks.
pub struct PoolBuf {
    pool: &'static Mempool,
    range: BlockRange,
    len: usize,
}

impl PoolBuf {
    /// # Safety
    /// The caller owns `range` of `pool` (allocated, not freed, not referenced elsewhere).
    pub(crate) unsafe fn from_raw(pool: &'static Mempool, range: BlockRange, len: usize) -> Self {
        let cap = range.count() * pool.block_size();
        PoolBuf {
            pool,
            range,
            len: len.min(cap),
        }
    }
    /// The filled bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: this handle owns the range (from_raw's precondition) until drop.
        let all = unsafe { self.pool.bytes_mut(self.range) };
        &all[..self.len]
    }
    /// The filled bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` makes the borrow unique.
        let all = unsafe { self.pool.bytes_mut(self.range) };
        &mut all[..self.len]
    }
    /// Bytes in the allocated blocks.
    pub fn capacity(&self) -> usize {
        self.range.count() * self.pool.block_size()
    }
    /// The blocks this buffer holds.
    pub fn blocks(&self) -> BlockRange {
        self.range
    }
}

impl core::ops::Deref for PoolBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl core::ops::DerefMut for PoolBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl Drop for PoolBuf {
    fn drop(&mut self) {
        (self.pool.free_fn)(self.pool, self.range);
    }
}

impl core::fmt::Debug for PoolBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PoolBuf")
            .field("blocks", &self.range)
            .field("len", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s11_allocates_contiguous_whole_blocks_between_min_and_preferred() {
        static S: PoolStorage<8, 16> = PoolStorage::new();
        static P: Mempool = Mempool::new(&S);
        let a = P.alloc(1, 1).unwrap();
        assert_eq!((a.start(), a.count()), (0, 1));
        let b = P.alloc(17, 64).unwrap(); // min 2 blocks, preferred 4
        assert_eq!((b.start(), b.count()), (1, 4));
        // 3 blocks left (5..8): preferred 4 not possible, min 2 is.
        let c = P.alloc(20, 64).unwrap();
        assert_eq!((c.start(), c.count()), (5, 3));
        assert!(P.alloc(1, 1).is_none());
        P.free(b);
        assert_eq!(P.free_blocks(), 4);
        // A fragmented pool does not glue separate runs together.
        P.free(a);
        let d = P.alloc(5 * 16, 5 * 16).unwrap();
        assert_eq!(
            (d.start(), d.count()),
            (0, 5),
            "freed neighbours join into one run"
        );
    }

    #[test]
    fn s11_pool_buf_frees_on_drop() {
        static S: PoolStorage<4, 8> = PoolStorage::new();
        static P: Mempool = Mempool::new(&S);
        let r = P.alloc(8, 16).unwrap();
        // SAFETY: fresh allocation owned here.
        let mut b = unsafe { PoolBuf::from_raw(&P, r, 10) };
        assert_eq!(b.len(), 10);
        assert_eq!(b.capacity(), 16);
        b[0] = 7;
        assert_eq!(P.free_blocks(), 2);
        drop(b);
        assert_eq!(P.free_blocks(), 4);
    }
}
