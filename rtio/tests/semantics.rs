//! The semantics contract S1-S15 (docs/DESIGN.md section 3; S16-S18 and the review's regressions are in review.rs and bounded.rs): one or more tests per rule, named
//! after it.

mod common;
use common::*;
use rtio::{Buffer, CqeFlags, Duration, Error, Priority};
use std::time::Instant as StdInstant;

// ---- S1 Nothing starts before submit ------------------------------------------------------

#[test]
fn s1_nothing_starts_before_submit() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(2))
        .prepare()
        .unwrap();
    assert_eq!(
        held.len(),
        0,
        "prepared, not submitted: the iodev saw nothing"
    );
    ctx.submit(0).unwrap(); // n = 0 returns at once
    assert_eq!(held.len(), 1);
    held.finish_next(1);
    assert_eq!(drain(&ctx).len(), 1);
}

#[test]
fn s1_submit_waits_for_n_completions_since_the_call() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .hardlink()
        .read(dev, sbuf!(1))
        .prepare()
        .unwrap();
    let t = std::thread::spawn(|| {
        for _ in 0..2 {
            while held.len() == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            held.finish_next(0);
        }
    });
    let start = StdInstant::now();
    ctx.submit(2).unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    assert_eq!(drain(&ctx).len(), 2);
    t.join().unwrap();
}

#[test]
fn s1_submit_with_deadline_times_out_instead_of_waiting_forever() {
    let (_, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    let h = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .prepare()
        .unwrap();
    assert_eq!(
        ctx.submit_timeout(1, Duration::from_millis(20)),
        Err(Error::TimedOut)
    );
    // The entry stays submitted: cancel it and it comes back.
    ctx.cancel(h.head()).unwrap();
    let c = ctx.consume().unwrap();
    assert_eq!(c.result(), Err(Error::Canceled));
}

// ---- S2 One terminal completion per entry --------------------------------------------------

#[test]
fn s2_one_completion_per_entry_on_success_failure_cancel_and_timeout() {
    let (held, dev) = iodev!(Held::new(true));
    let ctx = ctx!(8, 8);
    for (ud, _) in [(1usize, ()), (2, ()), (3, ())] {
        let _ = ctx
            .acquire()
            .unwrap()
            .read(dev, sbuf!(1))
            .userdata(ud)
            .prepare()
            .unwrap();
    }
    let timed = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(4)
        .link_timeout(Duration::from_millis(5))
        .userdata(5)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    held.finish_next(0); // 1 succeeds
    held.fail_next(Error::Nack); // 2 fails
    let third = held.take(); // 3: cancel while the driver holds it, driver completes it
    std::thread::sleep(std::time::Duration::from_millis(10));
    ctx.rtio().on_alarm(); // 4 times out (its driver aborts through the hook)
    third.err(Error::Canceled);
    let mut got = results(&drain(&ctx));
    got.sort_by_key(|g| g.0);
    assert_eq!(
        got,
        vec![
            (1, Ok(1)),
            (2, Err(Error::Nack)),
            (3, Err(Error::Canceled)),
            (4, Err(Error::TimedOut)),
            (5, Err(Error::TimedOut)),
        ]
    );
    let _ = timed;
    assert!(ctx.try_consume().is_none(), "exactly one each");
}

#[test]
fn s2_no_response_posts_nothing_and_returns_the_slot() {
    let ctx = ctx!(2, 2);
    for _ in 0..10 {
        let _ = ctx
            .acquire()
            .unwrap()
            .nop()
            .no_response()
            .prepare()
            .unwrap();
        ctx.submit(0).unwrap();
        assert!(ctx.try_consume().is_none());
    }
    assert_eq!(ctx.rtio().reserved(), 0);
    let _two = ctx.chain::<2>().unwrap(); // both slots are back
}

#[test]
fn s2_multishot_says_more_on_every_completion_but_the_last() {
    let (src, dev) = iodev!(Stream::new());
    let ctx = ctx!(2, 8, pool(8, 16));
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 16, 16)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    for i in 0..3 {
        assert_eq!(src.produce(8, i), "rearmed");
    }
    ctx.cancel(h.head()).unwrap();
    assert_eq!(src.produce(4, 9), "stopped");
    let cs = drain(&ctx);
    let more: Vec<bool> = cs.iter().map(|c| c.more()).collect();
    assert_eq!(more, [true, true, true, true, false]);
    assert_eq!(cs.last().unwrap().result(), Err(Error::Canceled));
}

// ---- S3 Buffers come back --------------------------------------------------------------------

#[test]
fn s3_buffers_come_back_on_success_failure_and_cancel() {
    let (held, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    let bufs: Vec<*const u8> = (0..3)
        .map(|i| {
            let b = sbuf!(4, i);
            let p = b.as_ptr();
            let _ = ctx
                .acquire()
                .unwrap()
                .read(dev, b)
                .userdata(i as usize)
                .prepare()
                .unwrap();
            p
        })
        .collect();
    // The third is cancelled before submit.
    let last = ctx
        .acquire()
        .unwrap()
        .write(dev, b"abc")
        .userdata(9)
        .prepare()
        .unwrap();
    ctx.cancel(last.head()).unwrap();
    ctx.submit(0).unwrap();
    held.finish_next(7);
    held.fail_next(Error::Bus);
    let t = held.take();
    t.err(Error::Canceled);
    let cs = drain(&ctx);
    assert_eq!(cs.len(), 4);
    for c in &cs {
        match (c.userdata(), c.buffer()) {
            (9, Buffer::Ref(b)) => assert_eq!(*b, b"abc"),
            (i, Buffer::Mut(b)) => assert_eq!(b.as_ptr(), bufs[i]),
            other => panic!("buffer missing: {other:?}"),
        }
    }
}

#[test]
fn s3_leaking_handles_is_harmless() {
    let (_, dev) = iodev!(Inplace::new(3));
    let ctx = ctx!(2, 2);
    let mut buf = [0u8; 4];
    ctx.scope(|s| {
        let op = s.read(dev, &mut buf).unwrap();
        #[allow(clippy::forget_non_drop)]
        std::mem::forget(op); // the scope still waits for it
    });
    assert_eq!(buf, [3; 4]);
    let h = ctx.acquire().unwrap().nop().prepare().unwrap();
    #[allow(forgetting_copy_types)]
    std::mem::forget(h);
    ctx.submit(1).unwrap();
    assert_eq!(drain(&ctx).len(), 1);
    assert_eq!(ctx.rtio().reserved(), 0);
}

// ---- S4 Chains ----------------------------------------------------------------------------

#[test]
fn s4_successor_starts_only_after_predecessor() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .write(dev, b"\x01")
        .read(dev, sbuf!(2))
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    assert_eq!(held.len(), 1, "only the head runs");
    held.finish_next(0);
    assert_eq!(held.len(), 1, "now the successor");
    held.finish_next(0x42);
    assert_eq!(drain(&ctx).len(), 2);
}

#[test]
fn s4_failure_cancels_the_rest_unless_hardlinked() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(8, 8);
    let _ = ctx
        .chain::<3>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .read(dev, sbuf!(1))
        .userdata(2)
        .nop()
        .userdata(3)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    held.fail_next(Error::Nack);
    assert_eq!(held.len(), 0);
    assert_eq!(
        results(&drain(&ctx)),
        [
            (1, Err(Error::Nack)),
            (2, Err(Error::Canceled)),
            (3, Err(Error::Canceled))
        ]
    );
    // HARDLINK: the successor runs anyway.
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(4)
        .hardlink()
        .nop()
        .userdata(5)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    held.fail_next(Error::Bus);
    assert_eq!(results(&drain(&ctx)), [(4, Err(Error::Bus)), (5, Ok(0))]);
}

fn record(prev: Result<usize, Error>, arg: usize) -> Result<usize, Error> {
    SEEN.lock().unwrap().push((arg, prev));
    Ok(arg)
}
static SEEN: std::sync::Mutex<Vec<(usize, Result<usize, Error>)>> =
    std::sync::Mutex::new(Vec::new());

#[test]
fn s4_callback_receives_the_previous_result_or_the_first_error() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(8, 8);
    let _ = ctx
        .chain::<5>()
        .unwrap()
        .read(dev, sbuf!(3))
        .callback(record, 100)
        .read(dev, sbuf!(1))
        .hardlink()
        .nop()
        .callback(record, 200)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    held.finish_next(0); // 3 bytes
    held.fail_next(Error::Nack);
    let seen = SEEN.lock().unwrap().clone();
    assert!(seen.contains(&(100, Ok(3))));
    assert!(
        seen.contains(&(200, Err(Error::Nack))),
        "first error of the chain: {seen:?}"
    );
    assert_eq!(drain(&ctx).len(), 5);
}

// ---- S5 Transactions --------------------------------------------------------------------------

#[test]
fn s5_transaction_head_dispatched_one_completion_per_member_in_order() {
    let (drv, dev) = iodev!(Inplace::new(0xEE));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<3>()
        .unwrap()
        .write(dev, b"\x10")
        .userdata(1)
        .transaction()
        .read(dev, sbuf!(2))
        .userdata(2)
        .transaction()
        .write(dev, b"\x20\x21")
        .userdata(3)
        .prepare()
        .unwrap();
    ctx.submit(3).unwrap();
    assert_eq!(
        drv.events()[0],
        Event::Transaction(3),
        "the iodev walked all members at once"
    );
    assert_eq!(results(&drain(&ctx)), [(1, Ok(1)), (2, Ok(2)), (3, Ok(2))]);
}

#[test]
fn s5_transaction_failure_first_member_errors_rest_canceled() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .write(dev, b"\x10")
        .userdata(1)
        .transaction()
        .read(dev, sbuf!(2))
        .userdata(2)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let t = held.take();
    assert_eq!(t.transaction_len(), 2);
    t.err(Error::Nack);
    assert_eq!(
        results(&drain(&ctx)),
        [(1, Err(Error::Nack)), (2, Err(Error::Canceled))]
    );
}

#[test]
fn s5_transaction_members_must_share_the_iodev() {
    let (_, da) = iodev!(Inplace::new(0));
    let (_, db) = iodev!(Inplace::new(0));
    let ctx = ctx!(4, 4);
    let r = ctx
        .chain::<2>()
        .unwrap()
        .write(da, b"x")
        .transaction()
        .write(db, b"y")
        .prepare();
    assert_eq!(r.unwrap_err(), Error::InvalidChain);
    // S3: both buffers come back, in completions that say why.
    for want in [b"x", b"y"] {
        let c = ctx.try_consume().unwrap();
        assert_eq!(c.result(), Err(Error::InvalidChain));
        assert_eq!(c.buffer().data(), Some(&want[..]));
    }
    assert_eq!(ctx.rtio().reserved(), 0, "every slot came back");
}

// ---- S6 Order -----------------------------------------------------------------------------

#[test]
fn s6_chain_in_order_independent_chains_in_hardware_order() {
    let (h1, d1) = iodev!(Held::new(false));
    let (h2, d2) = iodev!(Held::new(false));
    let ctx = ctx!(8, 8);
    let _ = ctx
        .acquire()
        .unwrap()
        .read(d1, sbuf!(1))
        .userdata(1)
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .read(d2, sbuf!(1))
        .userdata(2)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    h2.finish_next(0); // the second device finishes first
    h1.finish_next(0);
    assert_eq!(results(&drain(&ctx)), [(2, Ok(1)), (1, Ok(1))]);
}

// ---- S7 Cancellation ----------------------------------------------------------------------

#[test]
fn s7_stale_handle_is_refused_and_touches_nothing() {
    let ctx = ctx!(2, 2);
    let h = ctx.acquire().unwrap().nop().prepare().unwrap();
    ctx.submit(1).unwrap();
    drain(&ctx);
    // The slot is reused by a new entry; the old handle must not cancel it.
    let h2 = ctx.acquire().unwrap().await_signal().prepare().unwrap();
    assert_eq!(ctx.cancel(h.head()), Err(Error::Stale));
    ctx.submit(0).unwrap();
    assert!(ctx.try_consume().is_none(), "the new entry is untouched");
    ctx.rtio().signal(h2.head()).unwrap();
    assert_eq!(drain(&ctx)[0].result(), Ok(0));
}

#[test]
fn s7_cancel_before_dispatch_completes_entry_and_rest_of_chain() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let h = ctx
        .chain::<3>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .read(dev, sbuf!(1))
        .userdata(2)
        .nop()
        .userdata(3)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    // Entry 2 waits for entry 1: cancel it (not yet dispatched).
    ctx.cancel(h.get(1).unwrap()).unwrap();
    assert_eq!(
        results(&drain(&ctx)),
        [(2, Err(Error::Canceled)), (3, Err(Error::Canceled))]
    );
    held.finish_next(0);
    assert_eq!(results(&drain(&ctx)), [(1, Ok(1))]);
    assert_eq!(held.len(), 0, "the cancelled successor never ran");
}

/// S7: a successor of a submitted chain is still PREPARED (nothing dispatched it): cancelling
/// it completes it and the rest of its chain at once and leaves the prepared heads waiting
/// for submit where they are, in their order; when its predecessor completes later, the
/// cancelled successor is not started.
#[test]
fn s7_cancelling_a_submitted_successor_leaves_prepared_heads_pending() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(8, 8);
    let h = ctx
        .chain::<3>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .nop()
        .userdata(2)
        .nop()
        .userdata(3)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    for u in [7, 8] {
        let _ = ctx.acquire().unwrap().nop().userdata(u).prepare().unwrap();
    }
    ctx.cancel(h.get(1).unwrap()).unwrap();
    assert_eq!(
        results(&drain(&ctx)),
        [(2, Err(Error::Canceled)), (3, Err(Error::Canceled))]
    );
    assert_eq!(ctx.cancel(h.get(1).unwrap()), Err(Error::Stale), "consumed");
    ctx.submit(2).unwrap();
    assert_eq!(
        results(&drain(&ctx)),
        [(7, Ok(0)), (8, Ok(0))],
        "still pending, in order"
    );
    held.finish_next(0);
    assert_eq!(results(&drain(&ctx)), [(1, Ok(1))]);
    assert_eq!(held.len(), 0);
    assert_eq!(ctx.rtio().reserved(), 0);
}

#[test]
fn s7_in_flight_cancel_aborts_through_the_hook_or_completes_normally() {
    let (_, d1) = iodev!(Held::new(true));
    let (nohook, d2) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let a = ctx
        .acquire()
        .unwrap()
        .read(d1, sbuf!(1))
        .userdata(1)
        .submit()
        .unwrap();
    let b = ctx
        .acquire()
        .unwrap()
        .read(d2, sbuf!(1))
        .userdata(2)
        .submit()
        .unwrap();
    ctx.cancel(a.head()).unwrap();
    ctx.cancel(b.head()).unwrap();
    assert_eq!(results(&drain(&ctx)), [(1, Err(Error::Canceled))]);
    nohook.finish_next(0);
    assert_eq!(results(&drain(&ctx)), [(2, Ok(1))]);
}

// ---- S8 Time ------------------------------------------------------------------------------

#[test]
fn s8_delay_completes_after_its_duration() {
    let ctx = ctx!(2, 2);
    let start = StdInstant::now();
    let _ = ctx
        .acquire()
        .unwrap()
        .delay(Duration::from_millis(30))
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_millis(30));
    assert_eq!(ctx.consume().unwrap().result(), Ok(0));
}

#[test]
fn s8_link_timeout_times_out_the_entry_and_cancels_the_rest() {
    let (_, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<3>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .link_timeout(Duration::from_millis(10))
        .userdata(2)
        .nop()
        .userdata(3)
        .prepare()
        .unwrap();
    ctx.submit(3).unwrap(); // waits; the std clock's alarm thread fires the timeout
    assert_eq!(
        results(&drain(&ctx)),
        [
            (1, Err(Error::TimedOut)),
            (2, Err(Error::TimedOut)),
            (3, Err(Error::Canceled))
        ]
    );
}

#[test]
fn s8_link_timeout_that_does_not_fire_lets_the_chain_continue() {
    let (_, dev) = iodev!(Inplace::new(1));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<3>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .link_timeout(Duration::from_millis(500))
        .userdata(2)
        .nop()
        .userdata(3)
        .prepare()
        .unwrap();
    ctx.submit(3).unwrap();
    assert_eq!(results(&drain(&ctx)), [(1, Ok(1)), (2, Ok(0)), (3, Ok(0))]);
}

#[test]
fn s8_deadlines_ordered_equal_deadlines_keep_submission_order() {
    let ctx = ctx!(8, 8);
    let now = ctx.rtio().now().unwrap();
    let at = now + Duration::from_millis(20);
    let _ = ctx
        .acquire()
        .unwrap()
        .delay(Duration::from_millis(40))
        .userdata(1)
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .delay_until(at)
        .userdata(2)
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .delay_until(at)
        .userdata(3)
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .delay(Duration::from_millis(5))
        .userdata(4)
        .prepare()
        .unwrap();
    ctx.submit(4).unwrap();
    let order: Vec<usize> = drain(&ctx).iter().map(|c| c.userdata()).collect();
    assert_eq!(order, [4, 2, 3, 1]);
}

// ---- S9 Nothing is dropped ----------------------------------------------------------------

#[test]
fn s9_acquire_reserves_a_completion_and_says_full_at_once() {
    let ctx = ctx!(2, 2);
    let a = ctx.acquire().unwrap();
    let b = ctx.acquire().unwrap();
    assert_eq!(ctx.acquire().unwrap_err(), Error::QueueFull);
    drop(a);
    drop(b);
    let _ = ctx.acquire().unwrap().nop().prepare().unwrap();
    let _ = ctx.acquire().unwrap().nop().prepare().unwrap();
    ctx.submit(2).unwrap();
    // Both completions are unconsumed: still no slot, but nothing was lost.
    assert_eq!(ctx.acquire().unwrap_err(), Error::QueueFull);
    assert_eq!(drain(&ctx).len(), 2);
}

#[test]
fn s9_multishot_waits_when_the_completion_side_is_full_and_counts_overruns() {
    let (src, dev) = iodev!(Stream::new());
    let ctx = ctx!(1, 3, pool(8, 8));
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 8, 8)
        .submit()
        .unwrap();
    // 3 cells: one is the entry's own terminal reservation, so 2 shots fit.
    assert_eq!(src.produce(8, 1), "rearmed");
    assert_eq!(src.produce(8, 2), "rearmed");
    assert_eq!(src.produce(8, 3), "full", "the shot waits, its data kept");
    let first = ctx.try_consume().unwrap();
    assert_eq!(first.buffer().data(), Some(&[1u8; 8][..]));
    drop(first);
    assert_eq!(src.produce(8, 3), "rearmed", "retried once a cell was free");
    dev.iodev().record_overrun(5);
    assert_eq!(dev.iodev().overruns(), 5);
    ctx.cancel(h.head()).unwrap();
    assert_eq!(src.produce(1, 0), "stopped");
    let rest = drain(&ctx);
    assert_eq!(rest.iter().filter(|c| c.more()).count(), 1 + 1);
}

// ---- S10 All or nothing ---------------------------------------------------------------------

#[test]
fn s10_chain_acquired_whole_or_not_at_all_and_returned_when_dropped() {
    let ctx = ctx!(4, 4);
    let one = ctx.chain::<3>().unwrap();
    assert_eq!(ctx.chain::<2>().unwrap_err(), Error::QueueFull);
    assert_eq!(ctx.rtio().reserved(), 3, "the failed acquire took nothing");
    let single = ctx.acquire().unwrap();
    drop(single);
    drop(one); // built but never submitted: entries return
    assert_eq!(ctx.rtio().reserved(), 0);
    let _all = ctx.chain::<4>().unwrap();
}

// ---- S11 Pool buffers -----------------------------------------------------------------------

/// S3, S11: a context hands buffers back by the cheapest decoding its builders need (caller
/// buffers only, until the first pool read is built). A caller's buffer in flight when the
/// first pool read is built, and one built after it, come back all the same, and so do the
/// pool blocks.
#[test]
fn s3_s11_caller_buffers_come_back_before_and_after_the_first_pool_read() {
    static W: [u8; 2] = [1, 2];
    let (held, slow) = iodev!(Held::new(false));
    let (_, now) = iodev!(Inplace::new(0x5A));
    let ctx = ctx!(8, 8, pool(4, 16));
    let pool = ctx.rtio().pool().unwrap();
    // Only caller buffers so far: one completes now, one waits in its driver.
    let _ = ctx
        .acquire()
        .unwrap()
        .write(now, &W)
        .userdata(1)
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .read(slow, sbuf!(3))
        .userdata(2)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let c = ctx.try_consume().unwrap();
    assert_eq!(c.userdata(), 1);
    assert!(matches!(c.buffer(), Buffer::Ref(b) if *b == W));
    // The first pool read, while the caller's read is in flight; then another WRITE.
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(now, 1, 16)
        .userdata(3)
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .write(now, &W)
        .userdata(4)
        .prepare()
        .unwrap();
    ctx.submit(2).unwrap();
    held.finish_next(3);
    let mut got = Vec::new();
    while let Some(mut c) = ctx.try_consume() {
        let kind = match c.take_buffer() {
            Buffer::Ref(b) => {
                assert_eq!(b, &W);
                "ref"
            }
            Buffer::Mut(b) => {
                assert_eq!(b.len(), 3);
                "mut"
            }
            Buffer::Pool(b) => {
                assert!(b.iter().all(|&x| x == 0x5A));
                "pool"
            }
            other => panic!("unexpected {other:?}"),
        };
        got.push((c.userdata(), kind));
    }
    got.sort();
    assert_eq!(got, [(2, "mut"), (3, "pool"), (4, "ref")]);
    assert_eq!(pool.free_blocks(), 4, "the pool buffer was dropped");
    assert_eq!(ctx.rtio().reserved(), 0);
    assert!(ctx.chain::<8>().is_ok(), "every slot came back");
}

#[test]
fn s11_pool_read_gets_whole_contiguous_blocks_freed_on_drop() {
    let (_, dev) = iodev!(Inplace::new(0xAB));
    let ctx = ctx!(4, 4, pool(8, 16));
    let pool = ctx.rtio().pool().unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(dev, 20, 40)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let mut c = ctx.try_consume().unwrap();
    assert!(c.flags().contains(CqeFlags::POOL));
    match c.take_buffer() {
        Buffer::Pool(b) => {
            assert_eq!(b.capacity(), 48, "40 bytes rounded up to 3 whole blocks");
            assert_eq!(b.len(), 40, "the driver was handed the 40 bytes asked for");
            assert!(b.iter().all(|&x| x == 0xAB));
            assert_eq!(pool.free_blocks(), 5);
        }
        other => panic!("expected a pool buffer, got {other:?}"),
    }
    assert_eq!(
        pool.free_blocks(),
        8,
        "dropping the handle freed the blocks"
    );
}

#[test]
fn s11_pool_read_without_pool_is_refused() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(2, 2);
    let r = ctx.acquire().unwrap().read_pool(dev, 1, 1).prepare();
    assert_eq!(r.unwrap_err(), Error::NoPool);
}

// ---- S12 Priority ---------------------------------------------------------------------------

#[test]
fn s12_iodev_queue_serves_higher_priority_first_fifo_among_equals() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(8, 8);
    let prios = [
        (1, Priority::Low),
        (2, Priority::Normal),
        (3, Priority::Urgent),
        (4, Priority::Normal),
        (5, Priority::High),
        (6, Priority::Urgent),
    ];
    for (ud, p) in prios {
        let _ = ctx
            .acquire()
            .unwrap()
            .read(dev, sbuf!(1))
            .userdata(ud)
            .priority(p)
            .prepare()
            .unwrap();
    }
    ctx.submit(0).unwrap();
    for _ in 0..6 {
        held.finish_next(0);
    }
    let order: Vec<usize> = drain(&ctx).iter().map(|c| c.userdata()).collect();
    assert_eq!(order, [3, 6, 5, 2, 4, 1]);
}

// ---- S13 Interrupt context --------------------------------------------------------------------

#[test]
fn s13_completion_from_interrupt_context_dispatches_the_successor_there() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .read(dev, sbuf!(1))
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let isr = std::thread::spawn(|| {
        held.finish_next(0);
        std::thread::current().id()
    })
    .join()
    .unwrap();
    let submits = held.submits.lock().unwrap().clone();
    assert_eq!(submits.len(), 2);
    assert_eq!(
        submits[1], isr,
        "the successor was dispatched by the completing context"
    );
    held.finish_next(0);
    assert_eq!(drain(&ctx).len(), 2);
}

// ---- S14 Three ways to wait ---------------------------------------------------------------------

#[test]
fn s14_block_poll_and_async_over_the_same_queues() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    // Poll.
    let _ = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .submit()
        .unwrap();
    assert!(ctx.try_consume().is_none());
    held.finish_next(0);
    assert_eq!(ctx.try_consume().unwrap().userdata(), 1);
    // Block (thread park), completed from another thread.
    let _ = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(2)
        .submit()
        .unwrap();
    let t = std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        held.finish_next(0);
    });
    assert_eq!(ctx.consume().unwrap().userdata(), 2);
    t.join().unwrap();
    // Async: the next completion, and one operation.
    let _ = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(3)
        .submit()
        .unwrap();
    let t = std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        held.finish_next(0);
    });
    assert_eq!(rtio::block_on(ctx.next()).unwrap().userdata(), 3);
    t.join().unwrap();
    let fut = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(2))
        .userdata(4)
        .run()
        .unwrap();
    let t = std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        held.finish_next(0x33);
    });
    let [c] = rtio::block_on(fut);
    assert_eq!((c.userdata(), c.result()), (4, Ok(2)));
    assert_eq!(c.buffer().data(), Some(&[0x33, 0x33][..]));
    t.join().unwrap();
    assert_eq!(ctx.rtio().reserved(), 0);
}

#[test]
fn s14_blocking_chain_wait_returns_every_completion() {
    let (drv, dev) = iodev!(Inplace::new(0x19));
    let ctx = ctx!(4, 4);
    let [w, r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x00])
        .read(dev, sbuf!(2))
        .wait()
        .unwrap();
    assert_eq!(w.result(), Ok(1));
    assert_eq!(r.buffer().data(), Some(&[0x19, 0x19][..]));
    assert_eq!(drv.events()[0], Event::Write(vec![0]));
}

// ---- S15 AWAIT --------------------------------------------------------------------------------

#[test]
fn s15_await_completes_when_signalled() {
    let ctx = ctx!(4, 4);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .await_signal()
        .userdata(1)
        .nop()
        .userdata(2)
        .submit()
        .unwrap();
    assert!(ctx.try_consume().is_none());
    ctx.rtio().signal(h.head()).unwrap();
    assert_eq!(results(&drain(&ctx)), [(1, Ok(0)), (2, Ok(0))]);
}

#[test]
fn s15_early_signal_completes_as_soon_as_reached() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(1)
        .await_signal()
        .userdata(2)
        .submit()
        .unwrap();
    ctx.rtio().signal(h.get(1).unwrap()).unwrap(); // before the await is reached
    assert!(ctx.try_consume().is_none());
    held.finish_next(0);
    assert_eq!(results(&drain(&ctx)), [(1, Ok(1)), (2, Ok(0))]);
}

/// S15 with the AWAIT as a chain head, signalled while it waits on the pending list: the
/// head's start at submit (one untagged `fetch_add`, DESIGN.md 4.4 `start_owned`) keeps the
/// signal, so the AWAIT completes as soon as it runs, and its successor after it.
#[test]
fn s15_a_head_signalled_before_submit_keeps_its_signal() {
    let ctx = ctx!(4, 4);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .await_signal()
        .userdata(1)
        .nop()
        .userdata(2)
        .prepare()
        .unwrap();
    // Signalled while prepared, not submitted.
    ctx.rtio().signal(h.head()).unwrap();
    // `submit(0)`: a lost signal leaves the AWAIT waiting, and the drain below finds nothing
    // (a wait for two completions would hang instead of failing).
    ctx.submit(0).unwrap();
    assert_eq!(results(&drain(&ctx)), [(1, Ok(0)), (2, Ok(0))]);
}

#[test]
fn s15_await_on_an_iodev_holds_it_until_signalled() {
    let (ser, dev) = iodev!(Serial::new());
    let ctx = ctx!(4, 4);
    let h = ctx
        .acquire()
        .unwrap()
        .await_on(dev)
        .userdata(1)
        .submit()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(2)
        .submit()
        .unwrap();
    assert!(
        ctx.try_consume().is_none(),
        "the read waits behind the held device"
    );
    assert_eq!(ser.log.lock().unwrap().clone(), [Event::Await]);
    ctx.rtio().signal(h.head()).unwrap();
    assert_eq!(results(&drain(&ctx)), [(1, Ok(0)), (2, Ok(1))]);
}

#[test]
fn s15_signal_on_a_stale_handle_is_refused() {
    let ctx = ctx!(2, 2);
    let h = ctx.acquire().unwrap().await_signal().submit().unwrap();
    ctx.rtio().signal(h.head()).unwrap();
    drain(&ctx);
    assert_eq!(ctx.rtio().signal(h.head()), Err(Error::Stale));
}

#[test]
fn s13_many_interrupt_contexts_complete_while_the_owner_consumes() {
    // Four "interrupt handlers" (threads) complete tokens of two-entry chains concurrently
    // while the owner keeps submitting and consuming: every entry completes exactly once,
    // each chain in order, and every slot comes back.
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(16, 16);
    const CHAINS: usize = if cfg!(miri) { 20 } else { 2000 };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let isrs: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match held.q.pop() {
                        Some(t) => t.ok(1),
                        None => std::thread::yield_now(),
                    }
                }
            })
        })
        .collect();
    let mut seen = vec![0u8; CHAINS * 2];
    let mut last_of_chain = vec![false; CHAINS];
    let (mut submitted, mut done) = (0usize, 0usize);
    while done < CHAINS * 2 {
        if submitted < CHAINS {
            if let Ok(c) = ctx.chain::<2>() {
                let _ = c
                    .read(dev, sbuf!(1))
                    .userdata(submitted * 2)
                    .read(dev, sbuf!(1))
                    .userdata(submitted * 2 + 1)
                    .submit()
                    .unwrap();
                submitted += 1;
            }
        }
        while let Some(c) = ctx.try_consume() {
            let ud = c.userdata();
            assert_eq!(c.result(), Ok(1));
            seen[ud] += 1;
            if ud % 2 == 1 {
                assert_eq!(seen[ud - 1], 1, "the chain's head completed first (S6)");
                last_of_chain[ud / 2] = true;
            }
            done += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in isrs {
        t.join().unwrap();
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "exactly one completion each (S2)"
    );
    assert!(last_of_chain.iter().all(|&b| b));
    assert_eq!(ctx.rtio().reserved(), 0);
    let _all = ctx.chain::<16>().unwrap();
}

#[test]
fn s7_cancelled_multishot_with_no_pending_data_posts_only_the_final_completion() {
    let (src, dev) = iodev!(Stream::new());
    let ctx = ctx!(1, 4, pool(4, 8));
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 8, 8)
        .submit()
        .unwrap();
    ctx.cancel(h.head()).unwrap();
    let t = src.q.pop().unwrap();
    assert!(matches!(t.shot(0), rtio::Shot::Stopped));
    let cs = drain(&ctx);
    assert_eq!(cs.len(), 1);
    assert_eq!(
        (cs[0].more(), cs[0].result()),
        (false, Err(Error::Canceled))
    );
    assert_eq!(ctx.rtio().pool().unwrap().free_blocks(), 4);
}

#[test]
fn s15_await_cancelled_before_it_is_reached_completes_canceled_and_frees_the_device() {
    let (_, dev) = iodev!(Serial::new());
    let (held, block) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4);
    // The await waits behind a held read in its chain and is cancelled there: it completes
    // Canceled at once, never holds the serial device, and the device stays usable.
    let h = ctx
        .chain::<2>()
        .unwrap()
        .read(block, sbuf!(1))
        .userdata(1)
        .hardlink()
        .await_on(dev)
        .userdata(2)
        .submit()
        .unwrap();
    ctx.cancel(h.get(1).unwrap()).unwrap();
    held.finish_next(0);
    let _ = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .userdata(3)
        .submit()
        .unwrap();
    assert_eq!(
        results(&drain(&ctx)),
        [(2, Err(Error::Canceled)), (1, Ok(1)), (3, Ok(1))]
    );
}

// ---- write_previous: device to device in one chain (S3, S4) -------------------------------

#[test]
fn s3_write_previous_hands_the_read_buffer_to_the_write_and_back_once() {
    let (_, ds) = iodev!(Inplace::new(0x19));
    let (card, dc) = iodev!(Inplace::new(0));
    let ctx = ctx!(4, 4);
    let buf = sbuf!(2);
    let p = buf.as_ptr();
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .read(ds, buf)
        .userdata(1)
        .write_previous(dc)
        .userdata(2)
        .submit()
        .unwrap();
    let cs = drain(&ctx);
    assert_eq!(results(&cs), [(1, Ok(2)), (2, Ok(2))]);
    assert!(
        matches!(cs[0].buffer(), Buffer::None),
        "the read lent its buffer on"
    );
    match cs[1].buffer() {
        Buffer::Mut(b) => assert_eq!((b.as_ptr(), &b[..]), (p, &[0x19, 0x19][..])),
        other => panic!("{other:?}"),
    }
    assert_eq!(card.events(), [Event::Write(vec![0x19, 0x19])]);
}

#[test]
fn s3_write_previous_returns_the_buffer_when_the_read_fails() {
    let (held, ds) = iodev!(Held::new(false));
    let (card, dc) = iodev!(Inplace::new(0));
    let ctx = ctx!(4, 4);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .read(ds, sbuf!(2))
        .write_previous(dc)
        .submit()
        .unwrap();
    assert_eq!(
        ctx.cancel(h.get(1).unwrap()),
        Err(Error::InvalidArgument),
        "its buffer is in the read"
    );
    held.fail_next(Error::Nack);
    let cs = drain(&ctx);
    assert_eq!(cs[1].result(), Err(Error::Canceled));
    assert!(
        matches!(cs[1].buffer(), Buffer::Mut(_)),
        "the buffer still came back"
    );
    assert!(card.events().is_empty());
}

#[test]
fn s3_write_previous_needs_a_read_with_a_caller_buffer_right_before() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(4, 4, pool(4, 8));
    let after_write = ctx
        .chain::<2>()
        .unwrap()
        .write(dev, b"x")
        .write_previous(dev)
        .prepare();
    let after_pool = ctx
        .chain::<2>()
        .unwrap()
        .read_pool(dev, 1, 8)
        .write_previous(dev)
        .prepare();
    let first = ctx.acquire().unwrap().write_previous(dev).prepare();
    for r in [
        after_write.map(|_| ()),
        after_pool.map(|_| ()),
        first.map(|_| ()),
    ] {
        assert_eq!(r, Err(Error::InvalidChain));
    }
    // S3: the plain write's buffer comes back, saying why.
    let c = ctx.try_consume().unwrap();
    assert_eq!(
        (c.result(), c.buffer().data()),
        (Err(Error::InvalidChain), Some(&b"x"[..]))
    );
    assert!(ctx.try_consume().is_none());
    assert_eq!(ctx.rtio().reserved(), 0);
}

#[test]
fn s5_write_previous_as_the_data_phase_of_a_transaction() {
    // Device to device in one chain: pointer write, sensor read, then one bus transaction on
    // the card whose header comes first and whose data is the read's buffer.
    let (sensor, ds) = iodev!(Held::new(false));
    let (card, dc) = iodev!(Inplace::new(0));
    let ctx = ctx!(8, 8);
    let h = ctx
        .chain::<4>()
        .unwrap()
        .tiny_write(ds, &[0x00])
        .read(ds, sbuf!(2))
        .tiny_write(dc, &[0x58, 0, 0, 0, 7])
        .transaction()
        .write_previous(dc)
        .submit()
        .unwrap();
    sensor.finish_next(0);
    assert_eq!(
        ctx.cancel(h.get(2).unwrap()),
        Err(Error::InvalidArgument),
        "between the lending read and the write: cancelled only through the read"
    );
    sensor.finish_next(0x19);
    assert_eq!(
        card.events(),
        [
            Event::Transaction(2),
            Event::Write(vec![0x58, 0, 0, 0, 7]),
            Event::Write(vec![0x19, 0x19])
        ]
    );
    let cs = drain(&ctx);
    assert_eq!(cs.len(), 4);
    assert!(matches!(cs[1].buffer(), Buffer::None));
    assert!(matches!(cs[3].buffer(), Buffer::Mut(b) if b[..] == [0x19, 0x19]));
}
