//! The owner's own completions (docs/DESIGN.md, "Two ways to the owner"): what completes while
//! the owner runs a chain in `submit` waits on the owner's local list, without the ring's
//! atomics; everything else comes through the ring. These tests check that the two ways
//! together keep S1, S6 and S16.

mod common;
use common::*;
use rtio::Error;

/// Consumes every ready completion: (userdata, result).
fn drain(ctx: &rtio::Context) -> Vec<(usize, Result<usize, Error>)> {
    let mut v = Vec::new();
    while let Some(c) = ctx.try_consume() {
        v.push((c.userdata(), c.result()));
    }
    v
}

/// S6: a chain whose first entry completes on the owner's list and whose later entries come
/// through the ring (a driver completing at once, then from the test thread) arrives in chain
/// order, whatever is consumed in between.
#[test]
fn s6_chain_order_holds_across_owner_and_ring_completions() {
    let ctx = ctx!(8, 8);
    let (_now, now) = iodev!(Inplace::new(0x11));
    let (held, later) = iodev!(Held::new(false));
    let _ = ctx
        .chain::<5>()
        .unwrap()
        .nop()
        .userdata(1)
        .write(now, &[1, 2])
        .userdata(2)
        .nop()
        .userdata(3)
        .write(later, &[3])
        .userdata(4)
        .nop()
        .userdata(5)
        .prepare()
        .unwrap();
    // An independent NOP prepared after the chain: it may come before or after the chain's
    // ring completions (S6), never disturbing the chain's own order.
    let _ = ctx.acquire().unwrap().nop().userdata(9).prepare().unwrap();
    ctx.submit(4).unwrap();
    let mut got = drain(&ctx);
    assert_eq!(held.len(), 1, "the second write waits in its driver");
    std::thread::scope(|s| {
        s.spawn(|| held.finish_next(0));
    });
    // Both came through the ring before this point (S1 counts from the call: none more).
    got.extend(drain(&ctx));
    let chain: Vec<usize> = got.iter().map(|g| g.0).filter(|&u| u != 9).collect();
    assert_eq!(chain, [1, 2, 3, 4, 5], "chain order (S6): {got:?}");
    assert!(
        got.iter().any(|g| g.0 == 9),
        "the independent NOP completed"
    );
    assert!(got.iter().all(|g| g.1.is_ok()), "{got:?}");
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S6: once a run has posted through the ring (here the `Canceled` of a pool read, whose
/// blocks the ring carries), the rest of that run follows it there, so the entries behind it
/// cannot overtake it.
#[test]
fn s6_a_run_that_used_the_ring_stays_on_it() {
    let ctx = ctx!(8, 8, pool(4, 16));
    let (_drv, dev) = iodev!(Inplace::new(0x22));
    fn fail(_: Result<usize, Error>, _: usize) -> Result<usize, Error> {
        Err(Error::Bus)
    }
    let _ = ctx
        .chain::<4>()
        .unwrap()
        .callback(fail, 0)
        .userdata(1)
        .read_pool(dev, 1, 16)
        .userdata(2)
        .nop()
        .userdata(3)
        .nop()
        .userdata(4)
        .prepare()
        .unwrap();
    ctx.submit(4).unwrap();
    assert_eq!(
        drain(&ctx),
        [
            (1, Err(Error::Bus)),
            (2, Err(Error::Canceled)),
            (3, Err(Error::Canceled)),
            (4, Err(Error::Canceled))
        ]
    );
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S1: `submit(n)` counts the owner's own completions as well as the ring's; S16: a wait for
/// more than can still come is refused at once, counting completions waiting on the owner's
/// list as ready, and `consume` returns one of those rather than refusing.
#[test]
fn s1_s16_owner_completions_count_for_submit_and_consume() {
    let ctx = ctx!(4, 4, no_clock);
    for u in 0..3 {
        let _ = ctx.acquire().unwrap().nop().userdata(u).prepare().unwrap();
    }
    ctx.submit(3).unwrap(); // all three completed on the owner's list
    assert!(ctx.has_completion());
    // Nothing else is in flight: a fourth completion can never come.
    assert_eq!(ctx.submit(1), Err(Error::WouldHang));
    let c = ctx.consume().unwrap();
    assert_eq!((c.userdata(), c.result()), (0, Ok(0)), "oldest first");
    drop(c);
    assert_eq!(drain(&ctx), [(1, Ok(0)), (2, Ok(0))]);
    assert_eq!(ctx.consume().err(), Some(Error::WouldHang));
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S3: an entry completed on the owner's list hands its buffer back like any other (a WRITE
/// refused because its device is missing is not possible to build; a transaction member's
/// NOP and a callback's result are), and its slot is reused cleanly.
#[test]
fn s3_s7_owner_completions_free_their_slots_and_stale_handles() {
    let ctx = ctx!(2, 2, no_clock);
    fn cb(prev: Result<usize, Error>, arg: usize) -> Result<usize, Error> {
        prev.map(|_| arg)
    }
    let mut last = None;
    for round in 0..100usize {
        let h = ctx
            .chain::<2>()
            .unwrap()
            .nop()
            .userdata(round)
            .callback(cb, round + 1)
            .userdata(round)
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        assert_eq!(drain(&ctx), [(round, Ok(0)), (round, Ok(round + 1))]);
        if let Some(old) = last.replace(h.head()) {
            // S7: the consumed entry's handle is stale; nothing is touched.
            assert_eq!(ctx.cancel(old), Err(Error::Stale));
        }
    }
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S6 and posting order: a completion the owner makes while the ring holds one it has not
/// consumed goes through the ring behind it, so completions are consumed in the order they
/// were posted even across the two ways (an independent NOP does not overtake a driver's
/// completion that arrived first). The NOPs are plain: the pending walk completes them
/// itself (`post_plain`), through the ring while it holds an unconsumed completion.
#[test]
fn s6_owner_completions_do_not_overtake_the_ring() {
    let ctx = ctx!(8, 8);
    let (held, dev) = iodev!(Held::new(false));
    let _ = ctx
        .acquire()
        .unwrap()
        .write(dev, &[7])
        .userdata(1)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| held.finish_next(0));
    });
    // The write's completion waits in the ring; the NOP after it must not come first.
    let _ = ctx.acquire().unwrap().nop().userdata(2).prepare().unwrap();
    ctx.submit(1).unwrap();
    let _ = ctx.acquire().unwrap().nop().userdata(3).prepare().unwrap();
    ctx.submit(1).unwrap();
    let got: Vec<usize> = drain(&ctx).into_iter().map(|g| g.0).collect();
    assert_eq!(got, [1, 2, 3], "consumed in posting order");
    // With the ring empty again, the owner's own completions take the local list.
    let _ = ctx.acquire().unwrap().nop().userdata(4).prepare().unwrap();
    ctx.submit(1).unwrap();
    assert_eq!(drain(&ctx), [(4, Ok(0))]);
}

// --- plain NOPs: completed by the pending walk itself, without the executor ----------------

/// S10: a chain of plain NOPs dropped before it is prepared, or refused by `prepare`, returns
/// every slot and completion reservation.
#[test]
fn s10_dropped_or_refused_plain_chains_return_their_entries() {
    let ctx = ctx!(2, 2);
    for _ in 0..4 {
        drop(ctx.chain::<2>().unwrap().nop().nop());
        assert_eq!(ctx.rtio().reserved(), 0);
        // One NOP short of its size: InvalidChain, and the entries come back.
        let e = ctx.chain::<2>().unwrap().nop().prepare().unwrap_err();
        assert_eq!(e, Error::InvalidChain);
        assert_eq!(ctx.rtio().reserved(), 0);
        let _ = ctx.acquire().unwrap().nop().userdata(5).prepare().unwrap();
        let _ = ctx.acquire().unwrap().nop().userdata(6).prepare().unwrap();
        ctx.submit(2).unwrap();
        assert_eq!(drain(&ctx), [(5, Ok(0)), (6, Ok(0))]);
    }
}

/// S7: a plain NOP cancelled before submit completes `Canceled` once and is not run by the
/// submit that follows; its handle is stale once consumed.
#[test]
fn s7_a_plain_nop_cancelled_before_submit_is_not_run() {
    let ctx = ctx!(2, 2);
    let h = ctx.acquire().unwrap().nop().userdata(8).prepare().unwrap();
    let _ = ctx.acquire().unwrap().nop().userdata(9).prepare().unwrap();
    ctx.cancel(h.head()).unwrap();
    ctx.submit(1).unwrap();
    assert_eq!(drain(&ctx), [(8, Err(Error::Canceled)), (9, Ok(0))]);
    assert_eq!(ctx.cancel(h.head()), Err(Error::Stale));
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S2, S12: a NOP with a flag is not plain and takes the executor (`no_response` posts
/// nothing and frees its slot), while a priority leaves it plain.
#[test]
fn s2_s12_nop_variants_take_the_right_path() {
    let ctx = ctx!(2, 2);
    let _ = ctx
        .acquire()
        .unwrap()
        .nop()
        .no_response()
        .prepare()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .nop()
        .priority(rtio::Priority::High)
        .userdata(4)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    assert_eq!(drain(&ctx), [(4, Ok(0))]);
    // The NO_RESPONSE entry returned its slot by itself: both can be acquired again.
    drop(ctx.chain::<2>().unwrap());
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S3, S6: the owner's local list holds plain completions and completions that hand a buffer
/// back, interleaved. `try_consume` takes a plain one inline and leaves any other to the
/// general path; `consume` does the same. Either way they come in posting order, each buffer
/// comes back once, and every slot and credit is returned.
#[test]
fn s3_s6_plain_and_buffer_completions_on_the_local_list_keep_their_order() {
    static BUF: [u8; 3] = *b"abc";
    fn fail(_: Result<usize, Error>, _: usize) -> Result<usize, Error> {
        Err(Error::Bus)
    }
    let ctx = ctx!(8, 8);
    let (_drv, dev) = iodev!(Inplace::new(0x33));
    for consume_blocking in [false, true] {
        // A failing callback cancels the rest of its chain in the same run: all four
        // completions are the owner's own, two of them WRITEs whose buffer comes back.
        let _ = ctx
            .chain::<4>()
            .unwrap()
            .callback(fail, 0)
            .userdata(1)
            .write(dev, &BUF)
            .userdata(2)
            .nop()
            .userdata(3)
            .write(dev, &BUF)
            .userdata(4)
            .prepare()
            .unwrap();
        ctx.submit(4).unwrap();
        let mut got = Vec::new();
        for _ in 0..4 {
            let c = if consume_blocking {
                ctx.consume().unwrap()
            } else {
                ctx.try_consume().unwrap()
            };
            let back = matches!(c.buffer(), rtio::Buffer::Ref(b) if *b == BUF);
            got.push((c.userdata(), c.result(), back));
        }
        assert_eq!(
            got,
            [
                (1, Err(Error::Bus), false),
                (2, Err(Error::Canceled), true),
                (3, Err(Error::Canceled), false),
                (4, Err(Error::Canceled), true),
            ],
            "blocking: {consume_blocking}"
        );
        assert!(ctx.try_consume().is_none());
        assert_eq!(ctx.rtio().reserved(), 0, "every credit back");
    }
    // Every slot came back: all eight can be taken at once.
    assert!(ctx.chain::<8>().is_ok());
}

/// A context whose builders made only plain NOPs links none of the general consume paths
/// (docs/DESIGN.md 5.1): the first owner call that can post anything else stores them. S7: a
/// plain NOP cancelled before submit completes `Canceled` through the ring, and that
/// completion is consumed in a context that never built anything else.
#[test]
fn s7_a_cancelled_plain_nop_is_consumed_in_a_context_of_plain_nops() {
    let ctx = ctx!(2, 2, no_clock);
    let h = ctx.acquire().unwrap().nop().userdata(5).prepare().unwrap();
    ctx.cancel(h.head()).unwrap();
    assert_eq!(drain(&ctx), [(5, Err(Error::Canceled))]);
    assert_eq!(ctx.submit(1), Err(Error::WouldHang), "nothing left to come");
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S3/S10: the first builder of a fresh context holds a caller buffer and is dropped before
/// it is prepared: its buffer comes back in a `Canceled` completion, although nothing of the
/// context was ever prepared (the give-back itself stores the general consume paths).
#[test]
fn s3_s10_the_first_builder_dropped_unprepared_hands_its_buffer_back() {
    let ctx = ctx!(2, 2, no_clock);
    let (_drv, dev) = iodev!(Inplace::new(0x22));
    drop(ctx.acquire().unwrap().write(dev, &[7, 8, 9]));
    let c = ctx.try_consume().expect("the buffer's completion");
    assert_eq!(c.result(), Err(Error::Canceled));
    assert_eq!(c.buffer().data(), Some(&[7u8, 8, 9][..]));
    drop(c);
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S16: in a context of plain NOPs every entry completes during `submit`, so a wait for more
/// than were dispatched is refused at once (not spun on), with or without a deadline, and
/// the completions that did come stay to be consumed.
#[test]
fn s16_submit_in_a_context_of_plain_nops_refuses_a_wait_that_cannot_end() {
    let ctx = ctx!(4, 4);
    let _ = ctx.acquire().unwrap().nop().userdata(1).prepare().unwrap();
    assert_eq!(ctx.submit(2), Err(Error::WouldHang));
    let _ = ctx.acquire().unwrap().nop().userdata(2).prepare().unwrap();
    assert_eq!(
        ctx.submit_timeout(2, rtio::Duration::from_secs(60)),
        Err(Error::WouldHang)
    );
    assert_eq!(drain(&ctx), [(1, Ok(0)), (2, Ok(0))]);
}

/// Counts how deeply its `submit` is nested and on which threads it runs; completes each
/// write in place (`Mode::Inplace`), from a thread it waits for (`Mode::Joined`), or from a
/// thread it does not wait for (`Mode::Detached`).
struct Nesting {
    depth: std::sync::atomic::AtomicUsize,
    deepest: std::sync::atomic::AtomicUsize,
    threads: std::sync::Mutex<Vec<std::thread::ThreadId>>,
    mode: std::sync::atomic::AtomicU8,
}

#[derive(Clone, Copy)]
#[repr(u8)]
enum Mode {
    Inplace,
    Joined,
    Detached,
}

impl Nesting {
    const fn new() -> Self {
        use std::sync::atomic::{AtomicU8, AtomicUsize};
        Nesting {
            depth: AtomicUsize::new(0),
            deepest: AtomicUsize::new(0),
            threads: std::sync::Mutex::new(Vec::new()),
            mode: AtomicU8::new(Mode::Inplace as u8),
        }
    }
    fn set(&self, m: Mode) {
        use std::sync::atomic::Ordering::SeqCst;
        self.mode.store(m as u8, SeqCst);
        self.deepest.store(0, SeqCst);
        self.threads.lock().unwrap().clear();
    }
}

impl rtio::IodevApi for Nesting {
    fn submit(&'static self, mut t: rtio::Token) {
        use std::sync::atomic::Ordering::SeqCst;
        let d = self.depth.fetch_add(1, SeqCst) + 1;
        self.deepest.fetch_max(d, SeqCst);
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        let n = match t.request() {
            rtio::Request::Write(b) => b.len(),
            _ => 0,
        };
        match self.mode.load(SeqCst) {
            m if m == Mode::Inplace as u8 => t.ok(n),
            m if m == Mode::Joined as u8 => std::thread::spawn(move || t.ok(n)).join().unwrap(),
            _ => drop(std::thread::spawn(move || t.ok(n))),
        }
        self.depth.fetch_sub(1, SeqCst);
    }
}

/// S13: what a driver that declared `Iodev::completes_in_place` completes inside its own
/// `submit`, during the owner's `submit`, the owner finishes once that `submit` returned
/// (the completion is handed back, docs/DESIGN.md 5.1): each successor starts in the same
/// run, on the owner's thread, and the driver's `submit` is never re-entered by the
/// completion of the operation it was given, whether it completed in place or from a thread
/// it waited for. A driver that did not declare it gets the same completions, in the same
/// order, through the ring.
#[test]
fn s13_a_completion_inside_the_drivers_submit_is_handed_back_to_the_owner() {
    static BUF: [u8; 2] = [1, 2];
    let ctx = ctx!(8, 8);
    let (drv, dev) = iodev!(in_place Nesting::new());
    let (plain_drv, plain_dev) = iodev!(Nesting::new());
    for (declared, mode) in [
        (true, Mode::Inplace),
        (true, Mode::Joined),
        (false, Mode::Inplace),
        (false, Mode::Joined),
    ] {
        let (drv, dev) = if declared {
            (drv, dev)
        } else {
            (plain_drv, plain_dev)
        };
        drv.set(mode);
        let _ = ctx
            .chain::<4>()
            .unwrap()
            .write(dev, &BUF)
            .userdata(1)
            .write(dev, &BUF[..1])
            .userdata(2)
            .transaction()
            .write(dev, &BUF)
            .userdata(3)
            .nop()
            .userdata(4)
            .prepare()
            .unwrap();
        ctx.submit(0).unwrap();
        // Everything completed inside the call.
        assert_eq!(
            drain(&ctx),
            [(1, Ok(2)), (2, Ok(1)), (3, Ok(2)), (4, Ok(0))],
            "chain order (S6)"
        );
        let threads = drv.threads.lock().unwrap().clone();
        assert_eq!(threads.len(), 2, "one submit per chain link");
        if declared {
            assert_eq!(drv.deepest.load(std::sync::atomic::Ordering::SeqCst), 1);
            assert!(
                threads.iter().all(|&t| t == std::thread::current().id()),
                "every link was dispatched by the owner"
            );
        }
        assert_eq!(ctx.rtio().reserved(), 0);
    }
}

/// S13: a chain of 16 links on a driver that declared `Iodev::completes_in_place` runs at
/// one level of `submit`: the hand-back keeps the stack flat however long the chain is.
#[test]
fn s13_a_long_chain_on_an_in_place_driver_does_not_nest_its_submits() {
    static BUF: [u8; 1] = [9];
    let ctx = ctx!(16, 16);
    let (drv, dev) = iodev!(in_place Nesting::new());
    drv.set(Mode::Inplace);
    let mut c = ctx.chain::<16>().unwrap();
    for i in 0..16 {
        c = c.write(dev, &BUF).userdata(i);
    }
    let _ = c.prepare().unwrap();
    ctx.submit(16).unwrap();
    let got: Vec<_> = drain(&ctx).into_iter().map(|(u, _)| u).collect();
    assert_eq!(got, (0..16).collect::<Vec<_>>(), "chain order (S6)");
    assert_eq!(drv.deepest.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S6, S13: a driver whose completion races the end of its own `submit` (another thread
/// completes the token while the owner may still be inside `submit`): either the owner
/// finishes the entry (handed back) or the completer posts it, never both and never
/// neither; the chain keeps its order and every credit comes back.
#[test]
fn s6_s13_a_completion_racing_the_end_of_submit_is_posted_exactly_once() {
    static BUF: [u8; 3] = [1, 2, 3];
    let rounds = if cfg!(miri) { 8 } else { 500 };
    let ctx = ctx!(8, 8);
    let (drv, dev) = iodev!(in_place Nesting::new());
    drv.set(Mode::Detached);
    for i in 0..rounds {
        let _ = ctx
            .chain::<3>()
            .unwrap()
            .write(dev, &BUF)
            .userdata(i * 3)
            .nop()
            .userdata(i * 3 + 1)
            .write(dev, &BUF[..2])
            .userdata(i * 3 + 2)
            .prepare()
            .unwrap();
        ctx.submit(0).unwrap();
        let got: Vec<_> = (0..3)
            .map(|_| {
                let c = ctx.consume().unwrap();
                (c.userdata(), c.result())
            })
            .collect();
        assert_eq!(
            got,
            [(i * 3, Ok(3)), (i * 3 + 1, Ok(0)), (i * 3 + 2, Ok(2))],
            "round {i}"
        );
        assert!(ctx.try_consume().is_none(), "round {i}: posted twice");
        assert_eq!(ctx.rtio().reserved(), 0, "round {i}");
    }
}

/// Nothing lost: a driver that completes its token and then panics inside `submit` (with
/// unwinding) leaves the completion it handed back to be posted, so it can be consumed.
#[test]
fn a_completion_handed_back_by_a_driver_that_then_panics_is_posted() {
    struct CompleteThenPanic;
    impl rtio::IodevApi for CompleteThenPanic {
        fn submit(&'static self, t: rtio::Token) {
            t.ok(1);
            panic!("driver bug after completing");
        }
    }
    let ctx = ctx!(4, 4);
    let (_drv, dev) = iodev!(in_place CompleteThenPanic);
    let _ = ctx
        .acquire()
        .unwrap()
        .write(dev, &[7])
        .userdata(5)
        .prepare()
        .unwrap();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ctx.submit(0)));
    std::panic::set_hook(hook);
    assert!(r.is_err(), "the driver panicked");
    assert_eq!(drain(&ctx), [(5, Ok(1))]);
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S2, S6, S9: a multishot on an iodev that completes in place. Its shots, posted inside
/// the driver's `submit`, go through the ring; its final completion, handed back to the
/// owner, follows them (it is posted behind ring completions, never ahead of them).
#[test]
fn s2_s6_a_multishot_completing_in_place_posts_its_shots_before_its_end() {
    struct Burst;
    impl rtio::IodevApi for Burst {
        fn submit(&'static self, mut t: rtio::Token) {
            for i in 0..3u8 {
                match t.pool_buf() {
                    Ok(b) => b[0] = i,
                    Err(e) => return t.err(e),
                }
                t = match t.shot(1) {
                    rtio::Shot::Rearmed(t) => t,
                    rtio::Shot::Full(t) => return t.err(Error::Overrun),
                    rtio::Shot::Stopped => return,
                };
            }
            t.err(Error::Bus); // the stream ends
        }
    }
    let ctx = ctx!(4, 8, pool(8, 16));
    let (_drv, dev) = iodev!(in_place Burst);
    let _ = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 16, 16)
        .userdata(1)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let mut got = Vec::new();
    while let Some(c) = ctx.try_consume() {
        let first = match c.buffer() {
            rtio::Buffer::Pool(p) => p.first().copied(),
            _ => None,
        };
        got.push((c.userdata(), c.result(), c.more(), first));
    }
    assert_eq!(
        got,
        [
            (1, Ok(1), true, Some(0)),
            (1, Ok(1), true, Some(1)),
            (1, Ok(1), true, Some(2)),
            (1, Err(Error::Bus), false, None),
        ]
    );
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S15: an AWAIT aimed at an iodev that completes in place, signalled from another thread
/// while the driver's `submit` waits for the signal (the driver parks the token, then the
/// signal resumes it inside `submit`): the completion is handed back and the chain goes on.
#[test]
fn s15_an_await_resumed_inside_an_in_place_submit_is_handed_back() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    static RESUMED: AtomicBool = AtomicBool::new(false);
    static HANDLE: std::sync::Mutex<Option<(&'static rtio::Rtio, rtio::OpHandle)>> =
        std::sync::Mutex::new(None);
    struct Waits;
    impl rtio::IodevApi for Waits {
        fn submit(&'static self, t: rtio::Token) {
            if let Some(t) = t.await_signal(|t| {
                RESUMED.store(true, SeqCst);
                t.finish_await()
            }) {
                return t.finish_await();
            }
            // Parked: another thread signals it; `resume` runs there, inside this call.
            let (rtio, h) = HANDLE.lock().unwrap().take().unwrap();
            std::thread::spawn(move || rtio.signal(h).unwrap())
                .join()
                .unwrap();
            assert!(RESUMED.load(SeqCst), "resumed inside submit");
        }
    }
    let ctx = ctx!(4, 4);
    let (_drv, dev) = iodev!(in_place Waits);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .await_on(dev)
        .userdata(1)
        .nop()
        .userdata(2)
        .prepare()
        .unwrap();
    *HANDLE.lock().unwrap() = Some((ctx.rtio(), h.head()));
    ctx.submit(0).unwrap();
    assert_eq!(drain(&ctx), [(1, Ok(0)), (2, Ok(0))]);
    assert_eq!(ctx.rtio().reserved(), 0);
}
