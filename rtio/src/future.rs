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
use crate::context::Context;
use crate::cqe::{Completion, CqeFlags};
use crate::executor::kept_result;
use crate::slot::Phase;
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
    type Output = Completion;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Completion> {
        let r = self.ctx.rtio;
        crate::executor::process_timers(r);
        if let Some(c) = self.ctx.try_consume() {
            return Poll::Ready(c);
        }
        r.notify.register(cx.waker());
        match self.ctx.try_consume() {
            Some(c) => Poll::Ready(c),
            None => Poll::Pending,
        }
    }
}

/// Future of a whole chain run by [`Chain::run`]: resolves to one completion per entry, in
/// chain order. Its results do not go through the completion ring.
///
/// Dropping it early leaves the operations running; their slots come back when they finish.
#[must_use = "futures do nothing unless polled"]
pub struct ChainFuture<'c, const N: usize> {
    ctx: &'c Context,
    idx: [u16; N],
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
        let (idx, _) = self.dispatch_kept()?;
        Ok(ChainFuture {
            ctx,
            idx,
            taken: false,
        })
    }

    /// Dispatches the chain and blocks until every entry completed (S14, blocking).
    ///
    /// # Errors
    /// As [`Chain::prepare`].
    pub fn wait(self) -> Result<[Completion; N], Error> {
        let ctx = self.context();
        let mut fut = self.run()?;
        ctx.block_until(|| fut.all_done(), None)?;
        Ok(fut.collect())
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
        result,
        userdata,
        flags,
        buffer,
    }
}

impl<const N: usize> Future for ChainFuture<'_, N> {
    type Output = [Completion; N];
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        let r = self.ctx.rtio;
        crate::executor::process_timers(r);
        if !self.all_done() {
            r.notify.register(cx.waker());
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
        for &i in &self.idx {
            let slot = &r.slot(i);
            let orphaned = slot.state.orphan();
            if orphaned {
                // Its completer returns the slot (S16: a wait for a free entry counts it).
                self.ctx.track_returning(1, 0);
            }
            if !orphaned {
                // Already done: take it (dropping its buffers) and free the slot now.
                drop(take_kept(self.ctx, i));
                r.unreserve(1);
            }
        }
    }
}

/// Runs a future to completion on the current thread, spinning between polls. Enough for
/// tests, examples and simple firmware main loops; use a real executor for more.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = core::pin::pin!(fut);
    let waker = crate::wait::sev_waker();
    let mut cx = TaskCx::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        core::hint::spin_loop();
    }
}
