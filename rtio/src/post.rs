//! Posting: an entry's terminal completion and a multishot's shots reach the owner here,
//! through the completion ring or, for kept entries (futures, scopes), in the slot itself;
//! pool blocks are trimmed to the result or freed, and a driver's length is bounded by its
//! buffer first (S2, S3, S9, S11).
//!
//! Only the executor calls into this module; it reads and writes nothing but the entry it is
//! given, which its caller owns (the holder of the entry's token, or the canceller that took
//! it), and, for the owner's own runs, the owner's local list.
//!
//! # Two ways to the owner
//! Completions made by interrupts and other threads go through the ring (atomics, S6, S9).
//! Completions the owner makes itself, while it runs a chain in `submit` (NOPs, callbacks,
//! refusals, entries whose driver completed them before its `submit` returned, which are
//! handed back to the owner when the iodev declared `Iodev::completes_in_place`
//! (`executor::dispatch_owned`), transaction members and
//! cancelled successors of those), go to the owner's local list (`lists::Local`) instead:
//! plain stores, no atomics, no wake-up. The owner consumes the local list first. A run
//! posts locally only while the ring holds nothing unconsumed (no producer index handed out
//! and not consumed) and until its first ring post (a pool read's, whose blocks the ring
//! cell names); every completion made after a driver kept an entry past its `submit` goes
//! through the ring. So every local completion was posted before every ring completion
//! not yet consumed, and the owner consumes completions in the order they were posted: chain
//! order (S6) holds, and so does the order of independent completions.

use crate::cqe::CqeFlags;
use crate::error::{decode, Code};
use crate::pool::BlockRange;
use crate::ring::Raw;
use crate::sqe::{BufPayload, Extent, Flags, Meta, Sqe};
use crate::state::{PoolOps, Rtio, View};
use crate::Error;
use core::cell::Cell;
use core::ptr::addr_of;
use portable_atomic::Ordering;

/// Where a run posts: the ring, or (for the owner's own runs) its local list while every
/// completion of the run so far went there (see the module docs).
pub(crate) struct Sink {
    local: Cell<bool>,
    /// The run is the owner's own (`Sink::owner`): a driver that completes while the owner
    /// is inside its `submit` hands the completion back (`executor::dispatch_owned`).
    owner: bool,
}

impl Sink {
    /// Posts go through the ring: any context.
    #[inline(always)]
    pub(crate) const fn ring() -> Sink {
        Sink {
            local: Cell::new(false),
            owner: false,
        }
    }

    /// Posts go to the owner's local list while they can.
    ///
    /// # Safety
    /// Only the owner of the context the sink is used with may create one, on its own thread,
    /// and use it for the run it starts (the local list is the owner's alone).
    #[inline(always)]
    pub(crate) const unsafe fn owner() -> Sink {
        Sink {
            local: Cell::new(true),
            owner: true,
        }
    }

    /// Whether the run is the owner's own, on its thread.
    #[inline(always)]
    pub(crate) fn is_owner(&self) -> bool {
        self.owner
    }
}

fn sqe(r: &Rtio, idx: u16) -> *mut Sqe {
    r.slot(idx).sqe_ptr()
}

/// The flags of entry `idx`, read alone: the owner may read header fields at any time
/// (`Context::cancel`), so completer-side code takes no `&mut` to a whole entry.
pub(crate) fn header_flags(r: &Rtio, idx: u16) -> Flags {
    // SAFETY: flags are written before prepare and only read afterwards.
    unsafe { addr_of!((*sqe(r, idx)).flags).read() }
}

/// The buffer payload of entry `idx`, if it has one (READ, WRITE), without a reference to the
/// whole entry (see [`header_flags`]).
///
/// # Safety
/// The caller owns the entry's payload (token holder, executor or poster) for `'a`.
unsafe fn buf_payload<'a>(r: &Rtio, idx: u16) -> Option<&'a mut BufPayload> {
    // SAFETY: precondition.
    unsafe { Sqe::buf_at(sqe(r, idx)) }
}

/// How many bytes entry `idx` can have moved: its buffer's length (for a pool read, the
/// part of its blocks it was handed), or `None` when the result is not a length. A
/// transaction reports its members' own lengths, so its head is not bounded here.
pub(crate) fn capacity(r: &Rtio, idx: u16) -> Option<usize> {
    if header_flags(r, idx).contains(Flags::TRANSACTION) {
        return None;
    }
    buffer_len(r, idx)
}

/// The length of entry `idx`'s buffer (for a pool read, of the part of its blocks it was
/// handed), or `None` when it has none.
pub(crate) fn buffer_len(r: &Rtio, idx: u16) -> Option<usize> {
    // SAFETY: the completer calling us owns the entry's payload.
    match unsafe { Sqe::extent(sqe(r, idx)) } {
        Extent::Pool { preferred, range } => {
            let range = BlockRange::unpack(range);
            Some(
                r.pool
                    .map_or(0, |pool| preferred.min(range.count() * pool.block_size())),
            )
        }
        Extent::Bytes(n) => Some(n),
        Extent::None => None,
    }
}

/// S3, S11: a driver's length is bounded by the buffer it was given; a larger one is refused
/// with [`Error::BadLength`] instead of being trusted (a pool buffer built from it would span
/// blocks another operation owns).
pub(crate) fn bounded(r: &Rtio, idx: u16, res: Result<usize, Error>) -> Result<usize, Error> {
    match (res, capacity(r, idx)) {
        (Ok(n), Some(cap)) if n > cap => Err(Error::BadLength),
        _ => res,
    }
}

/// Owner: completes an entry that was never dispatched (taken with `SlotState::take`) with
/// `err`, alone: its buffer comes back in the completion (S3).
pub(crate) fn post_unsubmitted(r: &'static Rtio, idx: u16, err: Error) {
    post(r, idx, Code::err(err), &Sink::ring());
}

/// Posts the terminal completion of one entry and marks it DONE: to the owner's local list
/// when `sink` allows it, else through the ring.
///
/// Never inlined: it is called from every place an entry completes (the executor's loop,
/// `complete`, the member walk, cancellations), and each inlined copy (LLVM also made a
/// specialised clone) cost the firmware programs about 760 B each; the call costs a few
/// instructions (BENCHMARKS.md).
#[inline(never)]
pub(crate) fn post(r: &'static Rtio, idx: u16, res: Code, sink: &Sink) {
    let slot = &r.slot(idx);
    let flags = header_flags(r, idx);
    // SAFETY: the runtime's bits are written before prepare and only read afterwards.
    if unsafe { addr_of!((*sqe(r, idx)).meta).read() }.has(Meta::KEPT) {
        // The pool range (if any) stays in the entry for the future or scope, trimmed as
        // for the ring (S11: the same blocks whichever way it is waited for).
        keep_pool(r, idx, res);
        slot.set_result(res.raw());
        let old = slot.state.finish();
        if old.orphaned() {
            free_orphan(r, idx);
        }
        r.shared().notify.notify();
        return;
    }
    // Every posted entry is INFLIGHT (started, a started transaction's member, or taken by
    // a cancel), so DONE is one addition away and the event bits stay.
    slot.state.finish();
    if flags.contains(Flags::NO_RESPONSE) {
        drop_pool(r, idx);
        r.unreserve(1);
        r.push_returned(idx);
        // A wait for a free entry (`Context::chain_wait`) may be waiting for this one.
        r.shared().notify.notify();
        return;
    }
    if sink.local.get() {
        // SAFETY: the sink is the owner's, the ring's consumer.
        if !flags.contains(Flags::MEMPOOL) && unsafe { r.shared().ring.is_idle() } {
            // The owner's own run: the result waits in the slot, on the owner's list.
            slot.set_result(res.raw());
            // SAFETY: the sink is the owner's (`Sink::owner`); the entry is DONE and linked
            // by no list (it left the pending list when dispatched).
            unsafe { r.shared().local.push(r.view(), idx) };
            return;
        }
        // From here on this run posts through the ring (chain order, S6).
        sink.local.set(false);
    }
    let pool_start = take_pool(r, idx, res);
    let cflags = if pool_start.is_some() {
        CqeFlags::POOL.bits()
    } else {
        0
    };
    let raw = Raw {
        slot: idx,
        flags: cflags,
        pool_start: pool_start.unwrap_or(0),
        result: res.raw(),
    };
    // SAFETY: this entry holds one reservation (taken at acquire), used now.
    unsafe { publish(r, raw) };
}

/// [`post`] for the executor's loop (`finish`'s member walk, its one posting site): the
/// owner's local post is inlined there, once per program (the loop is one function);
/// everything else goes to [`post`]. The same decision as `post`'s: local only in the
/// owner's run while it posts locally, for an entry that is not kept, wants its completion
/// and holds no pool blocks, while the ring holds nothing unconsumed.
#[inline(always)]
pub(crate) fn post_in_run(r: &'static Rtio, idx: u16, res: Code, sink: &Sink) {
    if sink.local.get() {
        let p = sqe(r, idx);
        // SAFETY: the runtime's bits and the flags are written before prepare and only read
        // afterwards; each field is read alone.
        let (meta, flags) = unsafe { (addr_of!((*p).meta).read(), addr_of!((*p).flags).read()) };
        if !meta.has(Meta::KEPT)
            && !flags.contains(Flags::NO_RESPONSE)
            && !flags.contains(Flags::MEMPOOL)
            // SAFETY: the sink is the owner's, the ring's consumer.
            && unsafe { r.shared().ring.is_idle() }
        {
            let slot = r.slot(idx);
            slot.state.finish_owned();
            slot.set_result(res.raw());
            // SAFETY: the sink is the owner's (`Sink::owner`); the entry is DONE and linked
            // by no list (it left the pending list when dispatched).
            unsafe { r.shared().local.push(r.view(), idx) };
            return;
        }
    }
    post(r, idx, res, sink);
}

/// Posts `Ok(0)` for a plain head the owner completed in place (`Meta::PLAIN`: a NOP that is
/// not kept, holds no buffer or pool blocks and wants its completion): to the
/// owner's local list while the ring is idle, else through the ring (see the module docs).
/// The one posting path of a program whose chains are all plain NOPs.
///
/// # Safety
/// Owner only, on its own thread; `v` is `r`'s slot view; the entry is DONE
/// (`SlotState::complete_in_place`) and linked by no list.
#[inline(always)]
pub(crate) unsafe fn post_plain(r: &'static Rtio, v: View, idx: u16) {
    let slot = v.slot(idx);
    let result = Code::OK0.raw();
    // SAFETY: the owner is the ring's consumer (precondition).
    if unsafe { !v.shared().ring.is_idle() } {
        // Ring completions wait ahead of this one: it goes behind them (S6). Something
        // posted them, so a builder stored the general paths, whose publish is reached only
        // from here: a program of plain NOPs links none of the ring's posting.
        // SAFETY: owner-only field (precondition).
        if let Some(g) = unsafe { *v.shared().general.get() } {
            let raw = Raw {
                slot: idx,
                flags: 0,
                pool_start: 0,
                result,
            };
            // SAFETY: the entry holds one reservation (taken at acquire), used now.
            unsafe { (g.publish)(r, raw) };
            return;
        }
        debug_assert!(false, "rtio: ring completions without the general paths");
    }
    slot.set_result(result);
    // SAFETY: owner; the entry is DONE and linked by no list (precondition).
    unsafe { v.shared().local.push(v, idx) };
}

/// [`publish`] out of line, for the general table (`General::publish`): the owner's plain
/// post behind ring completions.
///
/// # Safety
/// As [`publish`].
pub(crate) unsafe fn publish_behind(r: &'static Rtio, raw: Raw) {
    // SAFETY: precondition.
    unsafe { publish(r, raw) }
}

/// Publishes one completion through the ring and wakes the owner.
///
/// # Safety
/// The completion holds a reservation (its entry's, or one `shot` took), used now.
#[inline]
unsafe fn publish(r: &'static Rtio, raw: Raw) {
    // SAFETY: precondition.
    unsafe { r.shared().ring.push(r.cells, raw) };
    r.shared().completed.fetch_add(1, Ordering::Release);
    r.shared().notify.notify();
}

/// A KEPT entry whose future went away: free its pool buffer and return the slot.
pub(crate) fn free_orphan(r: &'static Rtio, idx: u16) {
    // DONE and orphaned: no one else references the entry.
    drop_pool(r, idx);
    r.unreserve(1);
    r.push_returned(idx);
}

/// See [`PoolOps`].
pub(crate) static POOL_OPS: PoolOps = PoolOps {
    take: take_pool_impl,
    keep: keep_pool_impl,
    drop: drop_pool_impl,
};

/// Frees the pool blocks an entry holds, if any.
#[inline]
pub(crate) fn drop_pool(r: &'static Rtio, idx: u16) {
    if let Some(ops) = r.pool_ops {
        (ops.drop)(r, idx);
    }
}

fn drop_pool_impl(r: &'static Rtio, idx: u16) {
    // SAFETY: callers own the entry (its token holder, or the completer of an orphan).
    if let (Some(p), Some(b)) = (r.pool, unsafe { buf_payload(r, idx) }) {
        let range = BlockRange::unpack(b.pool_range);
        if !range.is_none() {
            p.free(range);
        }
        b.pool_range = 0;
    }
}

/// Takes the pool range out of an entry for its completion: trimmed to the blocks that hold
/// the result's bytes (freed entirely on error). Returns the first block.
#[inline]
pub(crate) fn take_pool(r: &'static Rtio, idx: u16, res: Code) -> Option<u8> {
    if !header_flags(r, idx).contains(Flags::MEMPOOL) {
        return None;
    }
    (r.pool_ops?.take)(r, idx, res)
}

fn take_pool_impl(r: &'static Rtio, idx: u16, res: Code) -> Option<u8> {
    let pool = r.pool?;
    // SAFETY: the poster owns the entry's payload until the completion is published.
    let b = unsafe { buf_payload(r, idx) }?;
    let range = BlockRange::unpack(b.pool_range);
    b.pool_range = 0;
    if range.is_none() {
        return None;
    }
    match res.len() {
        Some(n) => Some(pool.trim(range, n).start() as u8),
        None => {
            pool.free(range);
            None
        }
    }
}

/// A kept pool read's blocks, trimmed to the result's bytes (freed on error), stay in the
/// entry for its future or scope.
#[inline]
pub(crate) fn keep_pool(r: &'static Rtio, idx: u16, res: Code) {
    if !header_flags(r, idx).contains(Flags::MEMPOOL) {
        return;
    }
    if let Some(ops) = r.pool_ops {
        (ops.keep)(r, idx, res);
    }
}

fn keep_pool_impl(r: &'static Rtio, idx: u16, res: Code) {
    let Some(pool) = r.pool else { return };
    // SAFETY: the poster owns the entry's payload until the completion is published.
    let Some(b) = (unsafe { buf_payload(r, idx) }) else {
        return;
    };
    let range = BlockRange::unpack(b.pool_range);
    if range.is_none() {
        return;
    }
    b.pool_range = match res.len() {
        Some(n) => pool.trim(range, n).pack(),
        None => {
            pool.free(range);
            0
        }
    };
}

pub(crate) fn post_shot(r: &'static Rtio, idx: u16, n: usize) {
    let res = Code::ok(n);
    let pool_start = take_pool(r, idx, res);
    let mut flags = CqeFlags::MORE.bits();
    if pool_start.is_some() {
        flags |= CqeFlags::POOL.bits();
    }
    let raw = Raw {
        slot: idx,
        flags,
        pool_start: pool_start.unwrap_or(0),
        result: res.raw(),
    };
    // SAFETY: `shot` took a reservation for this completion.
    unsafe { publish(r, raw) };
}

/// Decodes a kept result (futures, scopes).
pub(crate) fn kept_result(r: &Rtio, idx: u16) -> Result<usize, Error> {
    decode(r.slot(idx).result())
}
