//! `async` over the same queues (S14): futures woken from the completing context.
//!
//! ```
//! # use rtio::{Rtio, Storage};
//! static STORAGE: Storage<4, 4> = Storage::new();
//! static RTIO: Rtio = Rtio::new(&STORAGE);
//! let ctx = RTIO.claim().unwrap();
//! let fut = async {
//!     let [c] = ctx.acquire()?.nop().userdata(3).run()?.await;
//!     Ok::<_, rtio::Error>(c.userdata())
//! };
//! assert_eq!(rtio::block_on(fut), Ok(3));
//! ```

use crate::chain::Chain;
use crate::cqe::{Completion, CqeFlags};
use crate::post::kept_result;
use crate::slot::Phase;
use crate::state::Context;
use crate::Error;
use core::future::Future;
use core::pin::Pin;
use core::ptr::addr_of;
use core::task::{Context as TaskCx, Poll};

/// Future of the next completion: [`Context::next`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Next<'c> {
    ctx: &'c Context,
}

impl Context {
    /// Waits for the next completion (S14, async).
    pub fn next(&self) -> Next<'_> {
        Next { ctx: self }
    }
}

impl Future for Next<'_> {
    /// The completion, or [`Error::WouldHang`] when nothing is outstanding that could ever
    /// post one (S16).
    type Output = Result<Completion, Error>;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        let r = self.ctx.rtio;
        crate::executor::run_timers(r);
        if let Some(c) = self.ctx.try_consume_any() {
            return Poll::Ready(Ok(c));
        }
        r.shared().notify.register(cx.waker());
        match self.ctx.try_consume_any() {
            Some(c) => Poll::Ready(Ok(c)),
            None if self.ctx.nothing_can_post() => Poll::Ready(Err(Error::WouldHang)),
            None => Poll::Pending,
        }
    }
}

/// Future of a whole chain run by [`Chain::run`]: resolves to one completion per entry, in
/// chain order. Its results do not go through the completion ring.
///
/// Dropping it early cancels what is left of the chain (S16): entries not yet started
/// complete `Canceled` at once, an entry in flight is asked to stop (its driver's cancel
/// hook); their slots come back as they complete.
#[must_use = "futures do nothing unless polled"]
pub struct ChainFuture<'c, const N: usize> {
    ctx: &'c Context,
    idx: [u16; N],
    gens: [crate::slot::Gen; N],
    taken: bool,
}

impl<const N: usize> core::fmt::Debug for ChainFuture<'_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChainFuture")
            .field("idx", &self.idx)
            .finish()
    }
}

impl<'c, const N: usize> Chain<'c, N> {
    /// Dispatches the chain now and returns a future of its completions (S14).
    ///
    /// # Errors
    /// As [`Chain::prepare`].
    pub fn run(self) -> Result<ChainFuture<'c, N>, Error> {
        let ctx = self.context();
        let (idx, gens) = self.dispatch_kept()?;
        Ok(ChainFuture {
            ctx,
            idx,
            gens,
            taken: false,
        })
    }

    /// Dispatches the chain and blocks until every entry completed (S14, blocking). Returns
    /// every completion, failed ones included; [`Chain::wait_checked`] fails when one did.
    ///
    /// # Errors
    /// As [`Chain::prepare`].
    pub fn wait(self) -> Result<[Completion; N], Error> {
        let ctx = self.context();
        let mut fut = self.run()?;
        ctx.block_until(|| fut.all_done(), None)?;
        Ok(fut.collect())
    }

    /// [`Chain::wait`], `Ok` only when every entry succeeded (what `chain!(..) => wait`
    /// calls).
    ///
    /// # Errors
    /// S17: the entry that failed first and its own error, not the `Canceled` of the entries
    /// after it, with every completion ([`crate::ChainError`]); or, without completions, the
    /// errors of [`Chain::wait`].
    pub fn wait_checked(self) -> Result<[Completion; N], crate::ChainError<N>> {
        crate::ChainError::check(self.wait()?)
    }
}

impl<const N: usize> ChainFuture<'_, N> {
    fn all_done(&self) -> bool {
        let r = self.ctx.rtio;
        self.idx
            .iter()
            .all(|&i| r.slot(i).state.load().phase() == Phase::Done)
    }

    fn collect(&mut self) -> [Completion; N] {
        self.taken = true;
        let ctx = self.ctx;
        let out = self.idx.map(|i| take_kept(ctx, i));
        ctx.rtio.unreserve(N as u32);
        ctx.track_kept(0, N as u32);
        out
    }
}

/// Takes a KEPT entry's completion and frees its slot.
pub(crate) fn take_kept(ctx: &Context, i: u16) -> Completion {
    let r = ctx.rtio;
    let result = kept_result(r, i);
    let sqe = r.slot(i).sqe_ptr();
    // SAFETY: DONE: the entry is the owner's again.
    let userdata = unsafe { addr_of!((*sqe).userdata).read() };
    // SAFETY: DONE and owned.
    let buffer = unsafe { ctx.take_buffer(i, None, result) };
    let flags = if matches!(buffer, crate::cqe::Buffer::Pool(_)) {
        CqeFlags::POOL
    } else {
        CqeFlags::default()
    };
    // SAFETY: owner; nothing references the slot any more.
    unsafe { ctx.free_slot(i) };
    Completion {
        result: crate::error::encode(result),
        userdata,
        flags,
        buffer,
    }
}

impl<const N: usize> Future for ChainFuture<'_, N> {
    type Output = [Completion; N];
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        let r = self.ctx.rtio;
        crate::executor::run_timers(r);
        if !self.all_done() {
            r.shared().notify.register(cx.waker());
            if !self.all_done() {
                return Poll::Pending;
            }
        }
        Poll::Ready(self.collect())
    }
}

impl<const N: usize> Drop for ChainFuture<'_, N> {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        let r = self.ctx.rtio;
        // The waiter goes away: none of these is tracked any more (S16).
        self.ctx.track_kept(0, N as u32);
        let mut live = None;
        for (k, &i) in self.idx.iter().enumerate() {
            let slot = &r.slot(i);
            let orphaned = slot.state.orphan();
            if orphaned {
                // Its completer returns the slot (S16: a wait for a free entry counts it).
                self.ctx.track_returning(1, 0);
                live.get_or_insert(k);
            } else {
                // Already done: take it (dropping its buffers) and free the slot now.
                drop(take_kept(self.ctx, i));
                r.unreserve(1);
            }
        }
        // S16: a dropped future cancels what is left of its chain (a `select` timeout must
        // not leave a transfer in flight). Orphaned first, so the cancelled entries free
        // themselves as they complete.
        // Every entry left is cancelled, not just the earliest: an entry in flight on a
        // device without a cancel hook completes normally, and what follows it must not
        // start.
        if let Some(k) = live {
            for j in k..N {
                let h = crate::OpHandle::new(self.idx[j], self.gens[j]);
                let _ = self.ctx.cancel_if_pending(h);
            }
        }
    }
}

/// Runs a future to completion on the current thread, sleeping between polls: the thread
/// parks (feature `std`; woken by completions, and at least every millisecond for clocks
/// without alarms), or the core waits for an event with WFE (Cortex-M; completions execute
/// SEV). Enough for tests, examples and simple firmware main loops; use a real executor for
/// more.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = core::pin::pin!(fut);
    let waker = crate::wait::block_on_waker();
    let mut cx = TaskCx::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        crate::wait::block_on_sleep();
    }
}
