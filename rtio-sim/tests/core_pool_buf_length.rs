//! The runtime's pool contract, as a driver relies on it: `Token::pool_buf` documents a
//! buffer "between the entry's minimum and preferred sizes" (S11), and a driver that fills
//! the buffer it is given (as a DMA transfer of `buf.len()` would) must not move more bytes
//! than the entry asked for.
//!
//! Regression (issue 11, the pool over-read): `pool_buf_at` in rtio's `context.rs` returned
//! the whole block run, 64 bytes for a 1-byte read with 64-byte blocks, and any driver that
//! filled its buffer over-read. The core now trims it to the request; rtio-sim trims too
//! (`device::pool_len`), so the simulated buses were right either way.

use rtio::{caps, Dev, Iodev, IodevApi, Mempool, PoolStorage, Request, Rtio, Storage, Token};
use std::sync::Mutex;

/// A driver that records what it was asked for and what it was given, then fills it all.
struct Filler(Mutex<Vec<(usize, usize, usize)>>);
impl IodevApi for Filler {
    fn submit(&'static self, mut t: Token) {
        let (min, preferred) = match t.request() {
            Request::ReadPool { min, preferred } => (min, preferred),
            _ => return t.err(rtio::Error::NotSupported),
        };
        let n = match t.pool_buf() {
            Ok(b) => {
                b.fill(0xEE);
                b.len()
            }
            Err(e) => return t.err(e),
        };
        self.0.lock().unwrap().push((min, preferred, n));
        t.ok(n);
    }
}

struct K;
impl caps::Kind for K {
    const NAME: &'static str = "filler";
}
impl caps::Read for K {}

#[test]
fn a_pool_buffer_is_no_longer_than_the_preferred_size() {
    static FILLER: Filler = Filler(Mutex::new(Vec::new()));
    static IODEV: Iodev = Iodev::new(&FILLER);
    static POOL_STORAGE: PoolStorage<4, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<2, 2> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = RTIO.claim().unwrap();
    for (min, preferred) in [(1, 1), (1, 10), (65, 100)] {
        let [c] = ctx
            .acquire()
            .unwrap()
            .read_pool(Dev::<K>::new_unchecked(&IODEV), min, preferred)
            .wait()
            .unwrap();
        let (_, _, given) = *FILLER.0.lock().unwrap().last().unwrap();
        assert!(
            (min..=preferred).contains(&given),
            "read_pool({min}, {preferred}): the driver was given {given} bytes"
        );
        assert_eq!(c.result(), Ok(given));
    }
}
