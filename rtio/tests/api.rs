//! API behaviour beyond S1-S18: builder validation, drop_all, claims, timeouts.

mod common;
use common::*;
use rtio::{Duration, Error, Rtio, Storage, TINY_MAX};

#[test]
fn one_owner_at_a_time() {
    static S: Storage<1, 1> = Storage::new();
    static R: Rtio = Rtio::new(&S);
    let a = R.claim().unwrap();
    assert_eq!(R.claim().unwrap_err(), rtio::ClaimError::AlreadyClaimed);
    drop(a);
    assert!(R.claim().is_ok());
}

/// S7/S16 need one owner and one configuration per set of slots: a second `Rtio` built over
/// the same storage can never claim it, not even while the first is unclaimed (its entries
/// and completions were made under the first one's pool and clock).
#[test]
fn s7_one_storage_serves_one_context() {
    static S: Storage<2, 2> = Storage::new();
    static A: Rtio = Rtio::new(&S);
    static B: Rtio = Rtio::new(&S);
    let a = A.claim().unwrap();
    // Held by A's owner: B is refused as a stranger, not as a second owner.
    assert_eq!(B.claim().unwrap_err(), rtio::ClaimError::StorageInUse);
    assert_eq!(A.claim().unwrap_err(), rtio::ClaimError::AlreadyClaimed);
    let _done = a.acquire().unwrap().nop().userdata(3).submit().unwrap();
    drop(a);
    // Free, but bound to A: B is refused, and the refusal leaves the claim free for A.
    let e = B.claim().unwrap_err();
    assert_eq!(e, rtio::ClaimError::StorageInUse);
    assert_eq!(Error::from(e), Error::Claimed);
    assert!(e.to_string().contains("one `Rtio` per `Storage`"), "{e}");
    let a = A.claim().unwrap();
    assert!(
        a.try_consume().is_none(),
        "the first owner's drop consumed its completion"
    );
    let h = a.acquire().unwrap().nop().userdata(4).submit().unwrap();
    let _ = h;
    assert_eq!(a.try_consume().unwrap().userdata(), 4);
}

/// A dropped owner gives back what it prepared and did not submit (buffers included, S3) and
/// the completions it did not consume: the next owner starts clean, and the old entries are
/// never dispatched by its `submit`.
#[test]
fn dropping_the_owner_leaves_nothing_for_the_next_one() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S);
    let (drv, dev) = iodev!(Inplace::new(0x5A));
    let ctx = R.claim().unwrap();
    // Submitted and completed, never consumed.
    let _done = ctx.acquire().unwrap().nop().userdata(9).submit().unwrap();
    // Prepared and never submitted: one entry holding a caller buffer, a chain without.
    let _read = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(2))
        .prepare()
        .unwrap();
    let _chain = ctx
        .chain::<2>()
        .unwrap()
        .nop()
        .tiny_write(dev, &[1])
        .prepare()
        .unwrap();
    assert_eq!(R.reserved(), 4);
    drop(ctx);

    let ctx = R.claim().unwrap();
    assert_eq!(R.reserved(), 0, "every entry and completion was given back");
    assert!(ctx.try_consume().is_none(), "no stray completion");
    ctx.submit(0).unwrap();
    assert!(ctx.try_consume().is_none(), "nothing left to dispatch");
    assert!(drv.events().is_empty(), "the prepared entries never ran");
    let _four = ctx.chain::<4>().unwrap();
}

#[test]
fn drop_all_returns_prepared_entries_without_completions() {
    let ctx = ctx!(4, 4);
    let _ = ctx.chain::<2>().unwrap().nop().nop().prepare().unwrap();
    let _ = ctx.acquire().unwrap().nop().prepare().unwrap();
    assert_eq!(ctx.rtio().reserved(), 3);
    ctx.drop_all();
    assert_eq!(ctx.rtio().reserved(), 0);
    ctx.submit(0).unwrap();
    assert!(ctx.try_consume().is_none());
    let _four = ctx.chain::<4>().unwrap();
}

#[test]
fn builder_mistakes_are_reported_and_return_every_slot() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(8, 8, pool(4, 8));
    let long = [0u8; TINY_MAX + 1];
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "tiny write too long",
            ctx.acquire()
                .unwrap()
                .tiny_write(dev, &long)
                .prepare()
                .map(|_| ()),
        ),
        (
            "link timeout heads the chain",
            ctx.acquire()
                .unwrap()
                .link_timeout(Duration::from_millis(1))
                .prepare()
                .map(|_| ()),
        ),
        (
            "multishot inside a chain",
            ctx.chain::<2>()
                .unwrap()
                .read_multishot(dev, 8, 8)
                .nop()
                .prepare()
                .map(|_| ()),
        ),
        (
            "no response on a buffer op",
            ctx.acquire()
                .unwrap()
                .read(dev, sbuf!(1))
                .no_response()
                .prepare()
                .map(|_| ()),
        ),
        (
            "fewer entries than declared",
            ctx.chain::<3>().unwrap().nop().prepare().map(|_| ()),
        ),
        (
            "more entries than declared",
            ctx.acquire().unwrap().nop().nop().prepare().map(|_| ()),
        ),
        (
            "dangling transaction link",
            ctx.acquire()
                .unwrap()
                .write(dev, b"x")
                .transaction()
                .prepare()
                .map(|_| ()),
        ),
        (
            "a valid entry",
            ctx.acquire().unwrap().nop().prepare().map(|_| ()),
        ),
    ];
    let errs: Vec<(&str, Result<(), Error>)> = cases;
    assert_eq!(errs[0].1, Err(Error::InvalidArgument), "{}", errs[0].0);
    assert_eq!(errs[1].1, Err(Error::InvalidChain), "{}", errs[1].0);
    assert_eq!(errs[2].1, Err(Error::InvalidChain), "{}", errs[2].0);
    assert_eq!(errs[3].1, Err(Error::InvalidArgument), "{}", errs[3].0);
    assert_eq!(errs[4].1, Err(Error::InvalidChain), "{}", errs[4].0);
    assert_eq!(errs[5].1, Err(Error::InvalidChain), "{}", errs[5].0);
    assert_eq!(errs[6].1, Err(Error::InvalidChain), "{}", errs[6].0);
    // S3: the two failed cases that were handed a buffer give it back, in a completion
    // carrying the reason; the valid last case holds its entry.
    assert_eq!(ctx.rtio().reserved(), 3);
    let back: Vec<_> = std::iter::from_fn(|| ctx.try_consume())
        .map(|c| (c.result(), c.buffer().data().map(<[u8]>::len)))
        .collect();
    assert_eq!(
        back,
        [
            (Err(Error::InvalidArgument), Some(1)),
            (Err(Error::InvalidChain), Some(1))
        ]
    );
    ctx.drop_all();
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// S8: a LINK_TIMEOUT bounds one operation, and a chain's mistakes are checked as its entries
/// are added: `prepare` reports the first, in the order they were made.
#[test]
fn s8_link_timeout_rules_are_checked_as_entries_are_added_and_the_first_mistake_is_reported() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(8, 8, clock);
    let ms = Duration::from_millis(1);
    let twice = ctx
        .chain::<3>()
        .unwrap()
        .write(dev, b"x")
        .link_timeout(ms)
        .link_timeout(ms)
        .prepare();
    assert_eq!(
        twice.unwrap_err(),
        Error::InvalidChain,
        "a timeout of a timeout"
    );
    let member = ctx
        .chain::<3>()
        .unwrap()
        .write(dev, b"x")
        .transaction()
        .link_timeout(ms)
        .write(dev, b"y")
        .prepare();
    assert_eq!(
        member.unwrap_err(),
        Error::InvalidChain,
        "a timeout inside a transaction (S5: a member needs the head's iodev)"
    );
    let bounded = ctx
        .chain::<2>()
        .unwrap()
        .write(dev, b"x")
        .link_timeout(ms)
        .prepare();
    assert!(bounded.is_ok(), "one operation and its timeout");
    ctx.drop_all();
    // Without a clock: the timer is the first mistake, the tiny write the second.
    let no_clock = ctx!(2, 2, no_clock);
    let long = [0u8; TINY_MAX + 1];
    let first = no_clock
        .chain::<2>()
        .unwrap()
        .delay(ms)
        .tiny_write(dev, &long)
        .prepare();
    assert_eq!(first.unwrap_err(), Error::NoClock);
    let first = no_clock
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &long)
        .delay(ms)
        .prepare();
    assert_eq!(first.unwrap_err(), Error::InvalidArgument);
    // Every slot came back, and every buffer (the writes' completions carry them, S3).
    while no_clock.try_consume().is_some() {}
    while ctx.try_consume().is_some() {}
    assert_eq!((ctx.rtio().reserved(), no_clock.rtio().reserved()), (0, 0));
}

#[test]
fn consume_timeout_gives_up() {
    let ctx = ctx!(1, 1, clock);
    // An AWAIT nobody signals: a completion could come, but does not in time.
    let h = ctx.acquire().unwrap().await_signal().submit().unwrap();
    assert_eq!(
        ctx.consume_timeout(Duration::from_millis(5)).unwrap_err(),
        Error::TimedOut
    );
    ctx.cancel(h.head()).unwrap();
    assert_eq!(ctx.consume().unwrap().result(), Err(Error::Canceled));
}

#[test]
fn transceive_hands_both_buffers_back() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(1, 1);
    let [c] = ctx
        .acquire()
        .unwrap()
        .transceive(dev, b"ping", sbuf!(4))
        .wait()
        .unwrap();
    match c.buffer() {
        rtio::Buffer::Pair { tx, rx } => {
            assert_eq!(*tx, b"ping");
            assert_eq!(&rx[..], b"ping");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dropped_token_completes_with_dropped() {
    struct Dropper;
    impl rtio::IodevApi for Dropper {
        fn submit(&'static self, t: rtio::Token) {
            drop(t);
        }
    }
    let (_, dev) = iodev!(Dropper);
    let ctx = ctx!(1, 1);
    let _ = ctx.acquire().unwrap().read(dev, sbuf!(1)).submit().unwrap();
    let c = ctx.consume().unwrap();
    assert_eq!(c.result(), Err(Error::Dropped));
    assert!(
        matches!(c.buffer(), rtio::Buffer::Mut(_)),
        "the buffer still came back"
    );
}

#[test]
fn async_future_dropped_early_returns_its_slot_when_done() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(1, 1);
    let fut = ctx.acquire().unwrap().read(dev, sbuf!(1)).run().unwrap();
    drop(fut);
    assert_eq!(
        ctx.acquire().unwrap_err(),
        Error::QueueFull,
        "still in flight"
    );
    held.finish_next(0);
    let _chain = ctx
        .acquire()
        .expect("the orphaned entry came back once it completed");
}

#[test]
fn a_shot_on_a_single_shot_entry_is_its_one_completion() {
    let (src, dev) = iodev!(Stream::new());
    let ctx = ctx!(2, 2, pool(4, 8));
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(dev, 8, 8)
        .submit()
        .unwrap();
    assert_eq!(src.produce(8, 3), "stopped");
    let cs = drain(&ctx);
    assert_eq!(cs.len(), 1, "S2: one completion");
    assert!(!cs[0].more());
    assert_eq!(cs[0].buffer().data(), Some(&[3u8; 8][..]));
}

#[test]
fn a_signal_to_an_entry_that_is_not_an_await_has_no_effect() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(2, 2);
    let h = ctx.acquire().unwrap().read(dev, sbuf!(1)).submit().unwrap();
    ctx.rtio().signal(h.head()).unwrap();
    assert!(ctx.try_consume().is_none());
    held.finish_next(0);
    assert_eq!(ctx.consume().unwrap().result(), Ok(1));
}

/// Completes writes, NACKs reads.
struct NackReads;
impl rtio::IodevApi for NackReads {
    fn submit(&'static self, mut t: rtio::Token) {
        match t.request() {
            rtio::Request::Read(_) => t.err(Error::Nack),
            rtio::Request::Write(d) => {
                let n = d.len();
                t.ok(n)
            }
            _ => t.ok(0),
        }
    }
}

/// S17 through the chain APIs: `wait_checked` (what `chain!(..) => wait` calls) and
/// `ChainError::check` on a future's output are `Err` when an entry failed, naming the entry
/// that failed first and its own error, not the `Canceled` after it; every buffer comes
/// back inside the error (S3). `wait` itself keeps returning every completion.
#[test]
fn s17_wait_checked_and_check_name_the_entry_that_failed_first() {
    let (_, dev) = iodev!(NackReads);
    let ctx = ctx!(4, 4);
    let e = ctx
        .chain::<3>()
        .unwrap()
        .write(dev, b"\x00")
        .read(dev, sbuf!(2))
        .write(dev, b"x")
        .wait_checked()
        .unwrap_err();
    assert_eq!((e.entry(), e.error()), (Some(1), Error::Nack));
    let done = e.into_completions().unwrap();
    assert_eq!(
        done.iter().map(|c| c.result()).collect::<Vec<_>>(),
        [Ok(1), Err(Error::Nack), Err(Error::Canceled)]
    );
    assert_eq!(done[1].buffer().data().map(<[u8]>::len), Some(2));

    let fut = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .nop()
        .run()
        .unwrap();
    let e = rtio::ChainError::check(rtio::block_on(fut)).unwrap_err();
    assert_eq!((e.entry(), e.error()), (Some(0), Error::Nack));

    let [w] = ctx
        .acquire()
        .unwrap()
        .write(dev, b"ok")
        .wait_checked()
        .unwrap();
    assert_eq!(w.result(), Ok(2));
    // A chain that never ran: the builder's mistake, no entry.
    let e = ctx.chain::<2>().unwrap().nop().wait_checked().unwrap_err();
    assert_eq!((e.entry(), e.error()), (None, Error::InvalidChain));
    assert_eq!(ctx.rtio().reserved(), 0);
}

/// A `Context` is `Send` (an owner may move to another thread or task) and not `Sync`
/// (a `compile_fail` example in its rustdoc checks that half).
#[test]
fn a_context_moves_between_threads() {
    fn send<T: Send>(_: &T) {}
    let ctx = ctx!(2, 2, no_clock);
    send(&ctx);
    let _ = ctx.acquire().unwrap().nop().userdata(3).prepare().unwrap();
    let ctx = std::thread::spawn(move || {
        ctx.submit(1).unwrap();
        ctx
    })
    .join()
    .unwrap();
    assert_eq!(ctx.try_consume().map(|c| c.userdata()), Some(3));
}

/// The claim and the storage's binding share one word: of many threads claiming at once,
/// exactly one owner wins each round, a stranger `Rtio` never does, and giving the claim back
/// lets the next round win again.
#[test]
fn racing_claims_elect_one_owner_per_round() {
    static S: Storage<1, 1> = Storage::new();
    static A: Rtio = Rtio::new(&S);
    static B: Rtio = Rtio::new(&S);
    // Bind the storage to A.
    drop(A.claim().unwrap());
    // Miri runs each thread some thousand times slower: a few rounds there.
    let rounds = if cfg!(miri) { 3 } else { 50 };
    for _ in 0..rounds {
        let barrier = std::sync::Barrier::new(4);
        let wins: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|k| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        let r = if k == 3 { &B } else { &A };
                        match r.claim() {
                            // Held until every thread tried.
                            Ok(ctx) => Some(ctx),
                            Err(e) => {
                                let want = if k == 3 {
                                    rtio::ClaimError::StorageInUse
                                } else {
                                    rtio::ClaimError::AlreadyClaimed
                                };
                                assert_eq!(e, want, "thread {k}");
                                None
                            }
                        }
                    })
                })
                .collect();
            let owners: Vec<_> = hs.into_iter().filter_map(|h| h.join().unwrap()).collect();
            owners.len()
        });
        assert_eq!(wins, 1);
    }
}
