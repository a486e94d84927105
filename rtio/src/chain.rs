//! Building entries: one, a chain, or a transaction, acquired all or nothing (S10).
//!
//! ```
//! use rtio::{caps, Dev, Iodev, IodevApi, Request, Rtio, StaticBuf, Storage, Token};
//! # struct Regs;
//! # impl IodevApi for Regs {
//! #     fn submit(&'static self, mut t: Token) {
//! #         let n = match t.request() { Request::Read(b) => { b.fill(0x19); b.len() }
//! #                                     Request::Write(d) => d.len(), _ => 0 };
//! #         t.ok(n)
//! #     }
//! # }
//! # static REGS: Regs = Regs;
//! # static IODEV: Iodev = Iodev::new(&REGS);
//! struct Tmp105;
//! impl caps::Kind for Tmp105 { const NAME: &'static str = "tmp105"; }
//! impl caps::Read for Tmp105 {}
//! impl caps::Write for Tmp105 {}
//! const SENSOR: Dev<Tmp105> = Dev::new_unchecked(&IODEV);
//!
//! static STORAGE: Storage<4, 4> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//! static RX: StaticBuf<2> = StaticBuf::new();
//!
//! let ctx = RTIO.claim().unwrap();
//! // Write the register pointer, then read two bytes: one chain, acquired as a whole.
//! let rx = RX.take().expect("taken once"); // moves into the chain, back in the completion
//! let _chain = ctx.chain::<2>()
//!     .unwrap()
//!     .tiny_write(SENSOR, &[0x00])
//!     .read(SENSOR, rx)
//!     .userdata(1)
//!     .prepare()
//!     .unwrap();
//! ctx.submit(2).unwrap();
//! let _pointer_written = ctx.try_consume().unwrap();
//! let read = ctx.try_consume().unwrap();
//! assert_eq!(read.buffer().data(), Some(&[0x19, 0x19][..]));
//! ```

use crate::caps;
use crate::iodev::{Dev, Iodev};
use crate::slot::{Gen, Phase};
use crate::sqe::{CallbackFn, DevAddr, Flags, Meta, Op, Payload, Priority, Sqe};
use crate::state::Context;
use crate::state::{OpHandle, View};
use crate::time::{Duration, Instant};
use crate::Error;

/// How the entry being added links to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Chained,
    Transaction,
}

/// A chain of exactly `N` entries under construction. Entries are added in order; each
/// starts after the previous completed (S4), or joins its bus transaction after
/// [`Chain::transaction`] (S5). Dropping an unprepared chain returns its slots (S10).
///
/// Builder mistakes (a tiny write over [`TINY_MAX`](crate::TINY_MAX) bytes, a pool read without a pool, a
/// transaction across iodevs, ...) are recorded and reported by [`Chain::prepare`], which
/// then returns every slot. `rtio-macros` rejects them at compile time instead.
#[must_use = "a chain does nothing until it is prepared and submitted"]
pub struct Chain<'c, const N: usize> {
    ctx: &'c Context,
    /// The context's slot view, copied: each builder method, inlined, finds the slots in a
    /// register instead of reloading them through `ctx` after every store.
    view: View,
    /// The entries' slots. Their generations are read from the slots when needed (links,
    /// handles): the builder is moved by value at every call, so it carries no copy.
    idx: [u16; N],
    len: usize,
    /// How the next entry links, whether the chain was prepared, whether it is more than
    /// plain NOPs: one byte, so that the builder moved at every call stays small.
    bits: Bits,
    /// The first builder mistake, in the order the entries were added: a bad argument, a
    /// wrong link, a rule the entry breaks (S8: a timer without a clock, a LINK_TIMEOUT
    /// after another or after a transaction member). Checked as each entry is added, so
    /// where the builder is inlined the checks fold and `prepare` walks no entries.
    err: Option<Error>,
}

/// A [`Chain`]'s state bits.
#[derive(Debug, Clone, Copy)]
struct Bits(u8);

impl Bits {
    /// The next entry joins the last one's transaction (else it is chained after it).
    const TRANSACTION: u8 = 1;
    /// `prepare` (or `dispatch_kept`) took the entries: dropping the builder returns nothing.
    const PREPARED: u8 = 2;
    /// Some entry is more than a plain NOP (an op other than NOP, an iodev, a flag, a link):
    /// `prepare` gives the head the executor's start function. Unset: every entry added is
    /// a plain NOP, holding nothing, and the owner's submit completes it in place. Decided
    /// by which builder methods are called, so it is a constant where they are inlined and a
    /// program of plain NOPs links no executor.
    const GENERAL: u8 = 4;
    /// Some entry is NO_RESPONSE (`Chain::no_response`): `prepare` counts them for S16.
    const SILENT: u8 = 8;

    #[inline(always)]
    fn has(self, b: u8) -> bool {
        self.0 & b != 0
    }
    #[inline(always)]
    fn set(&mut self, b: u8) {
        self.0 |= b;
    }
    #[inline(always)]
    fn link(self) -> Link {
        if self.has(Bits::TRANSACTION) {
            Link::Transaction
        } else {
            Link::Chained
        }
    }
    #[inline(always)]
    fn set_link(&mut self, l: Link) {
        match l {
            Link::Transaction => self.0 |= Bits::TRANSACTION,
            Link::Chained => self.0 &= !Bits::TRANSACTION,
        }
    }
}

impl<const N: usize> core::fmt::Debug for Chain<'_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Chain")
            .field("capacity", &N)
            .field("len", &self.len)
            .field("err", &self.err)
            .finish()
    }
}

/// Handles of a prepared chain, for cancel and signal (S7, S15).
///
/// `#[must_use]`: a chain that is only prepared (`chain!(..)`, [`Chain::prepare`]) does
/// nothing until [`Context::submit`], so dropping its handle on the spot is the mark of a
/// forgotten submit. Bind it (`let _chain = ..`) when the submit follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a prepared chain runs only after `Context::submit`; keep the handle to cancel or signal it (`let _chain = ..` when the submit follows)"]
pub struct ChainHandle<const N: usize> {
    handles: [OpHandle; N],
}

impl<const N: usize> ChainHandle<N> {
    /// The first entry. Cancelling it cancels the chain only while the head has not
    /// completed; [`ChainHandle::cancel`] cancels whatever is left of the chain.
    #[must_use]
    pub fn head(&self) -> OpHandle {
        self.handles[0]
    }

    /// Cancels what is left of the chain (S7): the earliest entry that has not completed and
    /// can be cancelled on its own, which takes the rest of the chain with it (S4). Entries
    /// that already completed are left alone; a chain that completed whole is not an error.
    ///
    /// # Errors
    /// [`Error::Stale`] if every entry's handle is stale (the chain completed and its
    /// completions were consumed).
    pub fn cancel(&self, ctx: &Context) -> Result<(), Error> {
        let mut live = false;
        for &h in &self.handles {
            match ctx.cancel_if_pending(h) {
                Ok(true) => return Ok(()),
                Ok(false) => live = true,
                Err(Error::Stale) => {}
                Err(e) => return Err(e),
            }
        }
        if live {
            Ok(())
        } else {
            Err(Error::Stale)
        }
    }
    /// Entry `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<OpHandle> {
        self.handles.get(i).copied()
    }
    /// All entries.
    #[must_use]
    pub fn handles(&self) -> &[OpHandle; N] {
        &self.handles
    }
}

impl Context {
    /// Acquires `N` entries as a whole, or nothing (S9, S10).
    ///
    /// # Errors
    /// [`Error::QueueFull`] at once when `N` entries or `N` completion slots are not free.
    #[inline(always)]
    pub fn chain<const N: usize>(&self) -> Result<Chain<'_, N>, Error> {
        const { assert!(N > 0, "rule: an empty chain is not allowed") };
        let mut idx = [0u16; N];
        self.alloc_with(N, |k, i| idx[k] = i)?;
        Ok(Chain {
            ctx: self,
            view: self.view(),
            idx,
            len: 0,
            bits: Bits(0),
            err: None,
        })
    }

    /// Acquires one entry.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when no entry or completion slot is free (S9).
    #[inline(always)]
    pub fn acquire(&self) -> Result<Chain<'_, 1>, Error> {
        self.chain::<1>()
    }

    /// Acquires `N` entries as a whole, waiting with the context's wait strategy while they
    /// are in use by operations that return them by themselves (NO_RESPONSE entries,
    /// abandoned futures): no spinning on [`Error::QueueFull`] (S16).
    ///
    /// # Errors
    /// [`Error::WouldHang`] at once when no entry could come back while the owner waits (the
    /// entries are held by completions not yet consumed, by builders, or by waiting
    /// futures), or when `N` exceeds the context's size.
    pub fn chain_wait<const N: usize>(&self) -> Result<Chain<'_, N>, Error> {
        let r = self.rtio;
        if N > r.slots().len() || N > r.cells.len() {
            return Err(Error::WouldHang);
        }
        loop {
            match self.chain::<N>() {
                Err(Error::QueueFull) => {}
                other => return other,
            }
            // SAFETY: owner-only counter.
            if unsafe { *self.shared().returning.get() } == 0 {
                return Err(Error::WouldHang);
            }
            self.block_until(|| !self.shared().returned.is_empty(), None)?;
        }
    }

    /// [`Context::chain_wait`] for one entry.
    ///
    /// # Errors
    /// As [`Context::chain_wait`].
    pub fn acquire_wait(&self) -> Result<Chain<'_, 1>, Error> {
        self.chain_wait::<1>()
    }
}

impl<'c, const N: usize> Chain<'c, N> {
    fn sqe(&mut self, i: usize) -> &mut Sqe {
        let idx = self.idx[i];
        // SAFETY: the builder owns its acquired, unprepared slots exclusively.
        unsafe { &mut *self.view.slot(idx).sqe_ptr() }
    }

    fn fail(mut self, e: Error) -> Self {
        self.err.get_or_insert(e);
        self
    }

    #[inline(always)]
    fn push(
        mut self,
        op: Op,
        iodev: Option<&'static Iodev>,
        flags: Flags,
        payload: Payload,
    ) -> Self {
        // Entries are stored even after a mistake, so that a buffer handed to the builder
        // comes back when it is dropped (S3); only an entry with no room is refused whole.
        if self.len == N {
            return self.fail(Error::InvalidChain);
        }
        let i = self.len;
        let dev = iodev.map(Iodev::addr);
        if i > 0 || op != Op::Nop || iodev.is_some() || flags != Flags::empty() {
            self.bits.set(Bits::GENERAL);
        }
        if op.hands_back_buffer() {
            // A constant where the builder is inlined: only buffer builders link the code
            // that hands buffers back, and only pool reads the pool decoding.
            self.ctx.uses_buffers(flags.contains(Flags::MEMPOOL));
        }
        let member = i > 0 && self.bits.link() == Link::Transaction;
        if i > 0 {
            let link = self.bits.link();
            let prev_iodev = self.sqe(i - 1).iodev;
            if link == Link::Transaction && (iodev.is_none() || !same(prev_iodev, dev)) {
                // S5: all members target the head's iodev.
                self.err.get_or_insert(Error::InvalidChain);
            }
            let next = self.idx[i];
            let next_gen = self.view.slot(next).state.owned_tag();
            let prev = self.sqe(i - 1);
            prev.flags.insert(match link {
                Link::Chained => Flags::CHAINED,
                Link::Transaction => Flags::TRANSACTION,
            });
            prev.next = next;
            prev.next_gen = next_gen;
        }
        let s = self.sqe(i);
        s.op = op;
        s.iodev = dev;
        s.flags = flags;
        if member {
            s.meta.set(Meta::MEMBER);
        }
        s.payload = payload;
        self.len += 1;
        self.bits.set_link(Link::Chained);
        self
    }

    /// NOP: completes `Ok(0)` without an iodev.
    #[inline(always)]
    pub fn nop(self) -> Self {
        self.push(Op::Nop, None, Flags::empty(), Payload::none())
    }

    /// NOP aimed at an iodev (S5): the driver receives [`crate::Request::Nop`] and completes
    /// it; as a transaction member it takes a place in the bus transaction (Zephyr's tests
    /// use it to exercise transaction walks).
    pub fn nop_on<K: caps::Kind>(self, dev: Dev<K>) -> Self {
        self.push(Op::Nop, Some(dev.iodev()), Flags::empty(), Payload::none())
    }

    /// READ into a `'static` buffer, handed back in the completion (S3).
    pub fn read<K: caps::Read>(self, dev: Dev<K>, buf: &'static mut [u8]) -> Self {
        let p = Payload::buf(buf.as_mut_ptr(), buf.len());
        self.push(Op::Read, Some(dev.iodev()), Flags::empty(), p)
    }

    /// READ into a pool buffer of at least `min` and preferably `preferred` bytes (S11).
    pub fn read_pool<K: caps::Read>(self, dev: Dev<K>, min: usize, preferred: usize) -> Self {
        if self.ctx.rtio.pool.is_none() {
            return self.fail(Error::NoPool);
        }
        let p = Payload::pool(min, preferred);
        self.push(Op::Read, Some(dev.iodev()), Flags::MEMPOOL, p)
    }

    /// Multishot READ into pool buffers: one completion per shot until cancelled (S2, S7).
    /// It must be the only entry of its chain.
    pub fn read_multishot<K: caps::Stream>(
        self,
        dev: Dev<K>,
        min: usize,
        preferred: usize,
    ) -> Self {
        if N != 1 {
            return self.fail(Error::InvalidChain);
        }
        let mut s = self.read_pool(dev, min, preferred);
        if s.err.is_none() {
            s.sqe(0).flags.insert(Flags::MULTISHOT);
        }
        s
    }

    /// WRITE a `'static` buffer, handed back in the completion (S3).
    pub fn write<K: caps::Write>(self, dev: Dev<K>, buf: &'static [u8]) -> Self {
        let p = Payload::buf(buf.as_ptr() as *mut u8, buf.len());
        self.push(Op::Write, Some(dev.iodev()), Flags::empty(), p)
    }

    /// WRITE a `'static` mutable buffer: it comes back in the completion as
    /// [`crate::Buffer::Mut`], so the caller can refill it and write it again (double
    /// buffering a DAC or a display without copies) (S3).
    pub fn write_mut<K: caps::Write>(self, dev: Dev<K>, buf: &'static mut [u8]) -> Self {
        let p = Payload::buf(buf.as_mut_ptr(), buf.len());
        let mut s = self.push(Op::Write, Some(dev.iodev()), Flags::empty(), p);
        if let Some(w) = s.last() {
            // Handed back mutable, as a `write_previous` buffer is.
            w.meta.set(Meta::HANDOFF);
        }
        s
    }

    /// WRITE the buffer of the nearest earlier READ of this chain, once that read completed:
    /// device to device in one chain, with no copy and no callback. Entries may sit between
    /// them (for example the command header of this write's bus transaction).
    ///
    /// The read's completion hands no buffer back; this write's completion hands it back as
    /// [`crate::Buffer::Mut`] on every path (S3): if the read fails, the write completes
    /// `Canceled` (or runs anyway after [`Chain::hardlink`]) and still returns it. The write,
    /// and the entries between it and the read, can only be cancelled through the read or an
    /// earlier entry, since the buffer may still be in the read's hands.
    ///
    /// ```
    /// # use rtio::{caps, Dev, Iodev, IodevApi, Request, Rtio, Storage, Token};
    /// # struct Echo;
    /// # impl IodevApi for Echo {
    /// #     fn submit(&'static self, mut t: Token) {
    /// #         let n = match t.request() { Request::Read(b) => { b.fill(0x42); b.len() }
    /// #                                     Request::Write(d) => d.len(), _ => 0 };
    /// #         t.ok(n)
    /// #     }
    /// # }
    /// # static ECHO: Echo = Echo;
    /// # static IODEV: Iodev = Iodev::new(&ECHO);
    /// # struct Sensor; struct Card;
    /// # impl caps::Kind for Sensor { const NAME: &'static str = "sensor"; }
    /// # impl caps::Read for Sensor {}
    /// # impl caps::Kind for Card { const NAME: &'static str = "card"; }
    /// # impl caps::Write for Card {}
    /// static STORAGE: Storage<2, 2> = Storage::new();
    /// static RTIO: Rtio = Rtio::new(&STORAGE);
    /// let ctx = RTIO.claim().unwrap();
    /// let buf: &'static mut [u8] = Box::leak(Box::new([0u8; 2]));
    /// let [read, write] = ctx
    ///     .chain::<2>()?
    ///     .read(Dev::<Sensor>::new_unchecked(&IODEV), buf)
    ///     .write_previous(Dev::<Card>::new_unchecked(&IODEV))
    ///     .wait()?;
    /// assert!(matches!(read.buffer(), rtio::Buffer::None));
    /// assert_eq!(write.buffer().data(), Some(&[0x42, 0x42][..]));
    /// # Ok::<(), rtio::Error>(())
    /// ```
    pub fn write_previous<K: caps::Write>(mut self, dev: Dev<K>) -> Self {
        if self.err.is_some() {
            return self;
        }
        // The nearest earlier READ; it must not share a transaction with what follows it.
        let Some(r) = (0..self.len).rev().find(|&i| self.sqe(i).op == Op::Read) else {
            return self.fail(Error::InvalidChain);
        };
        let chained_next = r + 1 < self.len || self.bits.link() == Link::Chained;
        let prev = self.sqe(r);
        let lendable = !prev.flags.contains(Flags::MEMPOOL)
            && !prev.flags.contains(Flags::TRANSACTION)
            && !prev.meta.has(Meta::HANDOFF)
            && chained_next;
        let Some(b) = prev.buf().filter(|_| lendable) else {
            return self.fail(Error::InvalidChain);
        };
        prev.meta.set(Meta::HANDOFF); // lent on: the read hands nothing back
        let taken = Payload::buf(b.ptr, b.len);
        // Entries between the read and this write, and the write, are cancelled only
        // through the read or earlier.
        for i in r + 1..self.len {
            self.sqe(i).meta.set(Meta::NO_CANCEL);
        }
        let mut s = self.push(Op::Write, Some(dev.iodev()), Flags::empty(), taken);
        if s.err.is_none() {
            let i = s.len - 1;
            // Handed back mutable; cancelled only through the read or earlier.
            s.sqe(i).meta.set(Meta::HANDOFF);
            s.sqe(i).meta.set(Meta::NO_CANCEL);
        }
        s
    }

    /// TINY_WRITE: copies up to [`TINY_MAX`](crate::TINY_MAX) bytes into the entry itself.
    pub fn tiny_write<K: caps::Write>(self, dev: Dev<K>, data: &[u8]) -> Self {
        let Some(p) = Payload::tiny(data) else {
            return self.fail(Error::InvalidArgument); // over TINY_MAX bytes
        };
        self.push(Op::TinyWrite, Some(dev.iodev()), Flags::empty(), p)
    }

    /// TRANSCEIVE: writes `tx` while reading into `rx`; both come back (S3).
    pub fn transceive<K: caps::Transceive>(
        self,
        dev: Dev<K>,
        tx: &'static [u8],
        rx: &'static mut [u8],
    ) -> Self {
        let p = Payload::txrx(tx.as_ptr(), tx.len(), rx.as_mut_ptr(), rx.len());
        self.push(Op::Transceive, Some(dev.iodev()), Flags::empty(), p)
    }

    /// CALLBACK: calls `f(previous result, arg)` (S4); its return value is its result.
    pub fn callback(self, f: CallbackFn, arg: usize) -> Self {
        self.push(
            Op::Callback,
            None,
            Flags::empty(),
            Payload::callback(f, arg),
        )
    }

    /// S8, S16: a timer needs the context's clock, or it could never fire.
    #[inline(always)]
    fn need_clock(&mut self) {
        if self.ctx.rtio.clock.is_none() {
            self.err.get_or_insert(Error::NoClock);
        }
    }

    /// DELAY: completes `d` after it starts (S8).
    pub fn delay(mut self, d: Duration) -> Self {
        self.need_clock();
        let mut s = self.push(Op::Delay, None, Flags::empty(), Payload::none());
        if s.err.is_none() {
            let i = s.len - 1;
            s.sqe(i).set_time(Op::Delay, d);
        }
        s
    }

    /// DELAY until an absolute instant (S8): equal deadlines complete in submission order.
    pub fn delay_until(mut self, at: Instant) -> Self {
        self.need_clock();
        let mut s = self.push(Op::Delay, None, Flags::empty(), Payload::none());
        if s.err.is_none() {
            let i = s.len - 1;
            s.sqe(i).set_deadline(at);
        }
        s
    }

    /// LINK_TIMEOUT: bounds the entry before it to `d` (S8). If it fires first, that entry
    /// completes `TimedOut` and the rest of the chain is cancelled.
    pub fn link_timeout(mut self, d: Duration) -> Self {
        if self.len == 0 {
            return self.fail(Error::InvalidChain);
        }
        self.need_clock();
        let i = self.len - 1;
        if self.sqe(i).op == Op::LinkTimeout {
            // It bounds one operation, not another LINK_TIMEOUT. (It cannot join a
            // transaction either: it has no iodev, which `push` refuses there, S5.)
            self.err.get_or_insert(Error::InvalidChain);
        }
        let mut s = self.push(Op::LinkTimeout, None, Flags::empty(), Payload::none());
        if s.err.is_none() {
            let i = s.len - 1;
            s.sqe(i).set_time(Op::LinkTimeout, d);
            s.sqe(i - 1).meta.set(Meta::LT_NEXT);
        }
        s
    }

    /// AWAIT: completes when [`crate::Rtio::signal`] is called with its handle (S15).
    pub fn await_signal(self) -> Self {
        self.push(Op::Await, None, Flags::empty(), Payload::await_())
    }

    /// AWAIT aimed at an iodev: holds the iodev (and its bus) until signalled (S15).
    pub fn await_on<K: caps::Kind>(self, dev: Dev<K>) -> Self {
        self.push(
            Op::Await,
            Some(dev.iodev()),
            Flags::empty(),
            Payload::await_(),
        )
    }

    /// I2C only: set the bus speed.
    pub fn i2c_configure<K: caps::I2c>(self, dev: Dev<K>, hz: u32) -> Self {
        let p = Payload::config(hz, 0);
        self.push(Op::I2cConfigure, Some(dev.iodev()), Flags::empty(), p)
    }

    /// I2C only: recover a stuck bus.
    pub fn i2c_recover<K: caps::I2c>(self, dev: Dev<K>) -> Self {
        self.push(
            Op::I2cRecover,
            Some(dev.iodev()),
            Flags::empty(),
            Payload::none(),
        )
    }

    /// SPI only: set clock and mode.
    pub fn spi_configure<K: caps::Spi>(self, dev: Dev<K>, hz: u32, mode: u8) -> Self {
        if mode > 3 {
            return self.fail(Error::InvalidArgument);
        }
        let p = Payload::config(hz, mode);
        self.push(Op::SpiConfigure, Some(dev.iodev()), Flags::empty(), p)
    }

    /// The full generation of entry `i` (its slot is ours: acquired, not dispatched).
    #[inline(always)]
    fn gen(&self, i: usize) -> Gen {
        self.view.slot(self.idx[i]).state.owned_gen()
    }

    fn last(&mut self) -> Option<&mut Sqe> {
        if self.err.is_some() || self.len == 0 {
            return None;
        }
        let i = self.len - 1;
        Some(self.sqe(i))
    }

    /// Sets the userdata of the last entry added.
    #[inline(always)]
    pub fn userdata(mut self, u: usize) -> Self {
        if let Some(s) = self.last() {
            s.userdata = u;
        }
        self
    }

    /// Sets the priority of the last entry added (S12).
    pub fn priority(mut self, p: Priority) -> Self {
        if let Some(s) = self.last() {
            s.set_priority(p);
        }
        self
    }

    /// The last entry posts no completion (S2). Refused on entries that own a buffer that must
    /// come back (S3).
    pub fn no_response(mut self) -> Self {
        let owns = self.last().map(|s| s.has_buf() || s.op == Op::Transceive);
        match owns {
            Some(true) => self.fail(Error::InvalidArgument),
            Some(false) => {
                if let Some(s) = self.last() {
                    s.flags.insert(Flags::NO_RESPONSE);
                }
                self.bits.set(Bits::GENERAL);
                self.bits.set(Bits::SILENT);
                self
            }
            None => self,
        }
    }

    /// The link after the last entry survives its failure: the next entry runs anyway (S4).
    pub fn hardlink(mut self) -> Self {
        if let Some(s) = self.last() {
            s.flags.insert(Flags::HARDLINK);
        }
        self.bits.set(Bits::GENERAL);
        self
    }

    /// The next entry joins the last one's bus transaction (S5): same iodev, one CQE each.
    pub fn transaction(mut self) -> Self {
        self.bits.set_link(Link::Transaction);
        self
    }

    /// The mistake `prepare` reports: the builder's first (every rule an entry can break is
    /// checked as it is added), else a chain shorter than `N` or ending in a transaction link.
    fn validate(&self) -> Result<(), Error> {
        if let Some(e) = self.err {
            return Err(e);
        }
        if self.len != N {
            return Err(Error::InvalidChain);
        }
        if self.bits.link() == Link::Transaction {
            return Err(Error::InvalidChain); // a transaction link with nothing after it
        }
        Ok(())
    }

    /// Finishes the chain: it is now prepared, and starts at the next [`Context::submit`]
    /// (S1). Returns handles for cancel and signal.
    ///
    /// # Errors
    /// The first builder mistake, or [`Error::InvalidChain`] when fewer than `N` entries were
    /// added or the links are malformed; every slot is returned.
    #[inline(always)]
    pub fn prepare(mut self) -> Result<ChainHandle<N>, Error> {
        if let Err(e) = self.validate() {
            // Dropping `self` hands the entries' buffers back with this error (S3).
            self.err = Some(e);
            return Err(e);
        }
        let handles = core::array::from_fn(|i| OpHandle::new(self.idx[i], self.gen(i)));
        self.bits.set(Bits::PREPARED);
        if self.bits.has(Bits::GENERAL) {
            if self.sqe(0).flags.contains(Flags::MULTISHOT) {
                self.ctx.track_multishot(true);
            }
            if self.bits.has(Bits::SILENT) {
                let silent = (0..N)
                    .filter(|&i| self.sqe(i).flags.contains(Flags::NO_RESPONSE))
                    .count();
                self.ctx.track_returning(silent as u32, 0);
            }
            self.ctx.uses_general();
            // The head's start function: the executor, linked from here only.
            self.ctx
                .rtio
                .slot(self.idx[0])
                .set_start(crate::executor::submit_chain_owner);
        } else {
            debug_assert!(self.is_plain(), "a chain marked plain is not");
            self.sqe(0).meta.set(Meta::PLAIN);
        }
        self.ctx.push_pending(self.idx[0]);
        Ok(ChainHandle { handles })
    }

    /// Prepares and dispatches at once (`prepare` then `submit(0)`).
    ///
    /// # Errors
    /// As [`Chain::prepare`].
    pub fn submit(self) -> Result<ChainHandle<N>, Error> {
        let ctx = self.ctx;
        let h = self.prepare()?;
        ctx.submit(0)?;
        Ok(h)
    }

    /// Marks every entry KEPT (results stay in the slots for a future or scope), prepares
    /// and dispatches. Used by [`crate::future`] and [`crate::scope`].
    pub(crate) fn dispatch_kept(mut self) -> Result<([u16; N], [Gen; N]), Error> {
        if let Err(e) = self.validate() {
            self.err = Some(e);
            return Err(e);
        }
        for i in 0..N {
            self.sqe(i).meta.set(Meta::KEPT);
        }
        self.bits.set(Bits::PREPARED);
        self.ctx.uses_general();
        self.ctx.track_kept(N as u32, 0);
        let idx = self.idx;
        let gens = core::array::from_fn(|i| self.gen(i));
        let rtio = self.ctx.rtio;
        crate::executor::submit_chain(rtio, idx[0]);
        Ok((idx, gens))
    }

    pub(crate) fn context(&self) -> &'c Context {
        self.ctx
    }

    /// What `general == false` promises: one NOP without an iodev, flags or links.
    fn is_plain(&mut self) -> bool {
        let s = self.sqe(0);
        N == 1 && s.op == Op::Nop && s.iodev.is_none() && s.flags == Flags::empty()
    }
}

/// S10: the entries of an unprepared chain go back; S3: the first `len`, added with a caller
/// buffer, complete with `err` (the builder's error, or `Canceled`) to hand it back. One
/// copy for every chain size.
#[inline(never)]
fn give_back(ctx: &Context, idx: &[u16], len: usize, err: Error) {
    let mut released = 0;
    for (k, &i) in idx.iter().enumerate() {
        debug_assert_eq!(ctx.rtio.slot(i).state.load().phase(), Phase::Prepared);
        if k >= len {
            // SAFETY: acquired by this builder and never written: ours alone.
            unsafe { ctx.free_slot(i) };
            released += 1;
        } else if !ctx.give_back_unsubmitted(i, err, false) {
            released += 1;
        }
    }
    ctx.rtio.unreserve(released);
}

impl<const N: usize> Drop for Chain<'_, N> {
    #[inline]
    fn drop(&mut self) {
        if self.bits.has(Bits::PREPARED) {
            return;
        }
        if self.bits.has(Bits::GENERAL) {
            give_back(
                self.ctx,
                &self.idx,
                self.len,
                self.err.unwrap_or(Error::Canceled),
            );
        } else {
            // Plain NOPs (or nothing) hold no buffer: the slots just go back (S10).
            for &i in &self.idx {
                // SAFETY: acquired by this builder, never dispatched: ours alone.
                unsafe { self.ctx.free_slot(i) };
            }
            self.ctx.rtio.unreserve(N as u32);
        }
    }
}

fn same(a: Option<DevAddr>, b: Option<DevAddr>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a == b)
}
