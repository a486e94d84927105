//! Scoped blocking I/O on borrowed buffers (S3, S14).
//!
//! [`Context::scope`] lends ordinary (non-`'static`) buffers to operations and cannot return
//! before every operation started in the scope has completed, even if the closure panics or
//! leaks a handle with `mem::forget`, the same construction as `std::thread::scope`.
//!
//! ```
//! # use rtio::{caps, Dev, Iodev, IodevApi, Request, Rtio, Storage, Token};
//! # struct Echo;
//! # impl IodevApi for Echo {
//! #     fn submit(&'static self, mut t: Token) {
//! #         let n = match t.request() { Request::Read(b) => { b.fill(5); b.len() } _ => 0 };
//! #         t.ok(n)
//! #     }
//! # }
//! # static ECHO: Echo = Echo;
//! # static IODEV: Iodev = Iodev::new(&ECHO);
//! # struct K;
//! # impl caps::Kind for K { const NAME: &'static str = "k"; }
//! # impl caps::Read for K {}
//! # impl caps::Write for K {}
//! static STORAGE: Storage<4, 4> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//! let ctx = RTIO.claim().unwrap();
//! let mut buf = [0u8; 3]; // on the stack
//! let n = ctx.scope(|s| {
//!     let op = s.read(Dev::<K>::new(&IODEV), &mut buf)?;
//!     s.wait(op)
//! });
//! assert_eq!(n, Ok(3));
//! assert_eq!(buf, [5, 5, 5]);
//! ```

use crate::caps;
use crate::context::Context;
use crate::iodev::Dev;
use crate::post::kept_result;
use crate::slot::Phase;
use crate::sqe::{BufPayload, Flags, Meta, Op, Payload, Sqe, TxRxPayload, NONE};
use crate::Error;
use core::cell::Cell;
use core::marker::PhantomData;

/// A scope in which operations may borrow buffers for `'env`.
pub struct Scope<'s, 'env> {
    ctx: &'s Context,
    /// In-flight entries of this scope, linked through their slots' owner links.
    head: Cell<u16>,
    _env: PhantomData<&'env mut &'env ()>,
}

impl core::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

/// One operation started in a scope; [`Scope::wait`] takes its result. Forgetting it is
/// harmless: the scope waits for it anyway.
#[derive(Debug)]
#[must_use = "wait for the operation to get its result"]
pub struct ScopedOp<'s> {
    idx: u16,
    last: u16,
    _s: PhantomData<&'s ()>,
}

impl Context {
    /// Runs `f` with a [`Scope`]; returns only after every operation started in it completed.
    pub fn scope<'env, F, R>(&self, f: F) -> R
    where
        F: for<'s> FnOnce(&'s Scope<'s, 'env>) -> R,
    {
        let scope = Scope {
            ctx: self,
            head: Cell::new(NONE),
            _env: PhantomData,
        };
        struct Guard<'a, 's, 'env>(&'a Scope<'s, 'env>);
        impl Drop for Guard<'_, '_, '_> {
            fn drop(&mut self) {
                self.0.finish_all();
            }
        }
        let guard = Guard(&scope);
        let r = f(guard.0);
        drop(guard);
        r
    }
}

impl<'s, 'env> Scope<'s, 'env> {
    fn start(
        &'s self,
        ops: &[(Op, &'static crate::Iodev, Payload)],
    ) -> Result<ScopedOp<'s>, Error> {
        let ctx = self.ctx;
        let mut idx = [0u16; 2];
        let idx = &mut idx[..ops.len()];
        ctx.alloc_slots(idx)?;
        for (k, (op, dev, payload)) in ops.iter().enumerate() {
            let i = idx[k];
            // SAFETY: freshly acquired slot, owned by us.
            let s: &mut Sqe = unsafe { &mut *ctx.rtio.slot(i).sqe_ptr() };
            s.op = *op;
            s.iodev = Some(*dev);
            s.flags = Flags::empty();
            s.meta.set(Meta::KEPT);
            s.payload = *payload;
            if k + 1 < ops.len() {
                s.flags.insert(Flags::CHAINED);
                s.next = idx[k + 1];
                s.next_gen = ctx.rtio.slot(idx[k + 1]).gen();
            }
        }
        for &i in idx.iter() {
            // SAFETY: owner list; the scope list links through `onext`, unused in flight.
            unsafe { *ctx.rtio.slot(i).onext.get() = self.head.get() };
            self.head.set(i);
        }
        ctx.track_kept(idx.len() as u32, 0);
        crate::executor::submit_chain(ctx.rtio, idx[0]);
        Ok(ScopedOp {
            idx: idx[0],
            last: idx[idx.len() - 1],
            _s: PhantomData,
        })
    }

    /// Starts a READ into a borrowed buffer.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry is free.
    pub fn read<K: caps::Read>(
        &'s self,
        dev: Dev<K>,
        buf: &'env mut [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let p = Payload {
            buf: BufPayload::new(buf.as_mut_ptr(), buf.len()),
        };
        self.start(&[(Op::Read, dev.iodev(), p)])
    }

    /// Starts a WRITE of a borrowed buffer.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry is free.
    pub fn write<K: caps::Write>(
        &'s self,
        dev: Dev<K>,
        buf: &'env [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let p = Payload {
            buf: BufPayload::new(buf.as_ptr() as *mut u8, buf.len()),
        };
        self.start(&[(Op::Write, dev.iodev(), p)])
    }

    /// Starts a chained register read: WRITE `reg`, then READ into `buf` (S4).
    /// [`Scope::wait`] returns the read's result (or the first error).
    ///
    /// # Errors
    /// [`Error::QueueFull`] when two entries are not free.
    pub fn write_read<K: caps::Read + caps::Write>(
        &'s self,
        dev: Dev<K>,
        reg: &'env [u8],
        buf: &'env mut [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let w = Payload {
            buf: BufPayload::new(reg.as_ptr() as *mut u8, reg.len()),
        };
        let r = Payload {
            buf: BufPayload::new(buf.as_mut_ptr(), buf.len()),
        };
        self.start(&[(Op::Write, dev.iodev(), w), (Op::Read, dev.iodev(), r)])
    }

    /// Starts a TRANSCEIVE on borrowed buffers.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry is free.
    pub fn transceive<K: caps::Transceive>(
        &'s self,
        dev: Dev<K>,
        tx: &'env [u8],
        rx: &'env mut [u8],
    ) -> Result<ScopedOp<'s>, Error> {
        let p = Payload {
            txrx: TxRxPayload {
                tx: tx.as_ptr(),
                tx_len: tx.len(),
                rx: rx.as_mut_ptr(),
                rx_len: rx.len(),
            },
        };
        self.start(&[(Op::Transceive, dev.iodev(), p)])
    }

    fn is_done(&self, i: u16) -> bool {
        self.ctx.rtio.slot(i).state.load().phase() == Phase::Done
    }

    /// Blocks until `op` completed and returns its result (the first error of its chain).
    ///
    /// # Errors
    /// The operation's error.
    pub fn wait(&self, op: ScopedOp<'s>) -> Result<usize, Error> {
        let (first, last) = (op.idx, op.last);
        let _ = self
            .ctx
            .block_until(|| self.is_done(first) && self.is_done(last), None);
        let r = self.ctx.rtio;
        let res = kept_result(r, first).and_then(|_| kept_result(r, last));
        self.release(first);
        if last != first {
            self.release(last);
        }
        res
    }

    /// Frees one completed entry and unlinks it from the scope list.
    fn release(&self, i: u16) {
        let r = self.ctx.rtio;
        let mut prev = NONE;
        let mut cur = self.head.get();
        while cur != NONE {
            // SAFETY: owner list.
            let next = unsafe { *r.slot(cur).onext.get() };
            if cur == i {
                if prev == NONE {
                    self.head.set(next);
                } else {
                    // SAFETY: owner list.
                    unsafe { *r.slot(prev).onext.get() = next };
                }
                break;
            }
            prev = cur;
            cur = next;
        }
        // SAFETY: the entry is DONE and its borrowed buffers are not reconstructed; owner.
        unsafe { self.ctx.free_slot(i) };
        r.unreserve(1);
        self.ctx.track_kept(0, 1);
    }

    fn finish_all(&self) {
        while self.head.get() != NONE {
            let i = self.head.get();
            let _ = self.ctx.block_until(|| self.is_done(i), None);
            self.release(i);
        }
    }
}
