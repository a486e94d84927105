//! Regressions for the defects a review of the runtime core found (issue 9), each named for
//! the rule of docs/DESIGN.md it checks. Each test fails on the code before its fix.

mod common;
use common::*;
use rtio::time::ManualClock;
use rtio::{Buffer, Duration, Error, IodevApi, IodevQueue, Request, Rtio, Shot, Storage};
use rtio::{OpId, Token};
use std::sync::Mutex;

/// A driver that reports a length of its own choosing: it lies.
struct Liar {
    n: Mutex<usize>,
}
impl Liar {
    const fn new() -> Self {
        Liar { n: Mutex::new(0) }
    }
}
impl IodevApi for Liar {
    fn submit(&'static self, mut t: Token) {
        if matches!(t.request(), Request::ReadPool { .. }) {
            let _ = t.pool_buf().map(|b| b.fill(0xEE));
        }
        let n = *self.n.lock().unwrap();
        t.ok(n)
    }
}

#[test]
fn s11_a_pool_read_longer_than_its_blocks_is_refused_and_frees_nothing_it_does_not_own() {
    let (liar, dev) = iodev!(Liar::new());
    let (hold, hdev) = iodev!(Held::new(false));
    let ctx = ctx!(4, 4, pool(8, 16));
    let pool = ctx.rtio().pool().unwrap();
    // Another operation owns blocks after the liar's.
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(dev, 1, 16)
        .prepare()
        .unwrap();
    *liar.n.lock().unwrap() = 16 * 8; // "I filled 128 bytes" into one 16-byte block
    ctx.submit(1).unwrap();
    let c = ctx.try_consume().unwrap();
    assert_eq!(c.result(), Err(Error::BadLength));
    assert!(matches!(c.buffer(), Buffer::None));
    drop(c);
    assert_eq!(
        pool.free_blocks(),
        8,
        "the liar's block came back, nothing else moved"
    );
    // A held pool read owns blocks; a lying neighbour cannot free them.
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(hdev, 32, 32)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    let mut t = hold.take();
    t.pool_buf().unwrap().fill(1);
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(dev, 1, 16)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    assert_eq!(ctx.try_consume().unwrap().result(), Err(Error::BadLength));
    assert_eq!(pool.free_blocks(), 6, "the held read keeps its two blocks");
    t.ok(32);
    let c = ctx.try_consume().unwrap();
    assert_eq!(
        c.buffer().data().map(|d| d.iter().all(|&b| b == 1)),
        Some(true)
    );
}

#[test]
fn s3_a_read_longer_than_its_caller_buffer_is_refused() {
    let (liar, dev) = iodev!(Liar::new());
    let ctx = ctx!(2, 2);
    *liar.n.lock().unwrap() = 5;
    let [c] = ctx.acquire().unwrap().read(dev, sbuf!(4)).wait().unwrap();
    assert_eq!(c.result(), Err(Error::BadLength));
    assert_eq!(
        c.buffer().data().map(<[u8]>::len),
        Some(4),
        "the buffer still comes back"
    );
    *liar.n.lock().unwrap() = 4;
    let [c] = ctx.acquire().unwrap().read(dev, sbuf!(4)).wait().unwrap();
    assert_eq!(c.result(), Ok(4), "the truth is accepted");
}

#[test]
fn s11_a_multishot_shot_longer_than_its_blocks_ends_the_stream_with_bad_length() {
    let (stream, dev) = iodev!(Stream::new());
    let ctx = ctx!(2, 8, pool(4, 16));
    let _ = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 16, 16)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    assert_eq!(stream.produce(16, 7), "rearmed");
    assert_eq!(
        stream.produce(64, 7),
        "stopped",
        "a 64-byte shot from a 16-byte block"
    );
    let cs = drain(&ctx);
    assert_eq!(cs.len(), 2);
    assert_eq!((cs[0].result(), cs[0].more()), (Ok(16), true));
    assert_eq!(
        (cs[1].result(), cs[1].more()),
        (Err(Error::BadLength), false)
    );
    drop(cs);
    assert_eq!(ctx.rtio().pool().unwrap().free_blocks(), 4);
}

#[test]
fn s11_a_pool_read_hands_the_driver_the_requested_length_not_the_block_run() {
    let (drv, dev) = iodev!(Inplace::new(0x11));
    let ctx = ctx!(2, 2, pool(4, 64));
    let [c] = ctx.acquire().unwrap().read_pool(dev, 1, 1).wait().unwrap();
    assert_eq!(drv.events(), [Event::Read(1)], "a 1-byte read moves 1 byte");
    assert_eq!(c.result(), Ok(1));
}

#[test]
fn s11_s14_a_pool_read_holds_the_same_blocks_however_it_is_waited_for() {
    /// Fills only 10 bytes of what it is handed.
    struct Short;
    impl IodevApi for Short {
        fn submit(&'static self, mut t: Token) {
            let r = t.pool_buf().map(|b| {
                b[..10].fill(3);
                10
            });
            t.complete(r)
        }
    }
    let (_, dev) = iodev!(Short);
    let ctx = ctx!(2, 2, pool(8, 16));
    let pool = ctx.rtio().pool().unwrap();
    let capacity = |c: &rtio::Completion| match c.buffer() {
        Buffer::Pool(p) => (p.len(), p.capacity()),
        other => panic!("a pool buffer, got {other:?}"),
    };
    // Submit and consume: through the ring.
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(dev, 1, 64)
        .prepare()
        .unwrap();
    ctx.submit(1).unwrap();
    let ring = ctx.try_consume().unwrap();
    // Wait, and run().await: kept in the slot.
    let [waited] = ctx.acquire().unwrap().read_pool(dev, 1, 64).wait().unwrap();
    let [ran] = rtio::block_on(ctx.acquire().unwrap().read_pool(dev, 1, 64).run().unwrap());
    assert_eq!(capacity(&ring), (10, 16));
    assert_eq!(
        capacity(&waited),
        (10, 16),
        "wait() keeps the same one block"
    );
    assert_eq!(capacity(&ran), (10, 16), "run() keeps the same one block");
    assert_eq!(pool.free_blocks(), 5, "three reads, one block each");
}

/// Completes every token from a worker thread after a short, varying spin.
struct Worker {
    tx: Mutex<Option<std::sync::mpsc::Sender<Token>>>,
}
impl Worker {
    const fn new() -> Self {
        Worker {
            tx: Mutex::new(None),
        }
    }
    fn start(&'static self) {
        let (tx, rx) = std::sync::mpsc::channel::<Token>();
        *self.tx.lock().unwrap() = Some(tx);
        std::thread::spawn(move || {
            let mut k = 0u32;
            for t in rx {
                k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                for _ in 0..(k >> 22) {
                    std::hint::spin_loop();
                }
                t.ok(0);
            }
        });
    }
}
impl IodevApi for Worker {
    fn submit(&'static self, t: Token) {
        let tx = self.tx.lock().unwrap().clone().expect("started");
        tx.send(t).ok();
    }
}

#[test]
#[cfg_attr(miri, ignore = "a real-time race across threads")]
fn s8_a_link_timeout_never_cancels_a_later_user_of_its_targets_slot() {
    static CLOCK: ManualClock = ManualClock::new();
    static STORAGE: Storage<2, 2> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
    let (worker, dev) = iodev!(Worker::new());
    worker.start();
    let ctx = RTIO.claim().unwrap();
    // An "alarm interrupt" that fires due timers all the time.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let alarm = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                CLOCK.advance(Duration::from_micros(1));
                RTIO.on_alarm();
            }
        })
    };
    for round in 0..3000 {
        // A write bounded by a LINK_TIMEOUT that is due at once: the worker's completion and
        // the alarm race.
        let _ = ctx
            .chain::<2>()
            .unwrap()
            .write(dev, b"w")
            .link_timeout(Duration::from_micros(1))
            .prepare()
            .unwrap();
        ctx.submit(2).unwrap();
        drain(&ctx);
        // Both slots now belong to two AWAITs nobody cancels.
        let h = ctx
            .chain::<2>()
            .unwrap()
            .await_signal()
            .hardlink()
            .await_signal()
            .prepare()
            .unwrap();
        ctx.submit(0).unwrap();
        for _ in 0..50 {
            std::hint::spin_loop();
        }
        ctx.rtio().signal(h.get(0).unwrap()).unwrap();
        ctx.rtio().signal(h.get(1).unwrap()).unwrap();
        ctx.submit(0).unwrap();
        let got = results(&drain(&ctx));
        assert_eq!(
            got,
            [(0, Ok(0)), (0, Ok(0))],
            "round {round}: a stale timer cancelled"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    alarm.join().unwrap();
}

#[test]
#[cfg_attr(
    miri,
    ignore = "65,536 round trips; slot::tests::s7_generation_survives_tag_wrap runs under Miri"
)]
fn s7_a_handle_stays_stale_after_65536_reuses_of_its_slot() {
    let ctx = ctx!(1, 1);
    let old = ctx.acquire().unwrap().nop().prepare().unwrap().head();
    ctx.submit(1).unwrap();
    ctx.try_consume().unwrap();
    for _ in 0..65_535 {
        let _ = ctx.acquire().unwrap().nop().prepare().unwrap();
        ctx.submit(1).unwrap();
        ctx.try_consume().unwrap();
    }
    // The 65,537th use of the one slot: its 16-bit tag equals the old handle's.
    let live = ctx
        .acquire()
        .unwrap()
        .await_signal()
        .submit()
        .unwrap()
        .head();
    assert_eq!(ctx.cancel(old), Err(Error::Stale));
    assert_eq!(ctx.rtio().signal(old), Err(Error::Stale));
    assert!(
        ctx.try_consume().is_none(),
        "the live AWAIT was not touched"
    );
    ctx.rtio().signal(live).unwrap();
    assert_eq!(ctx.consume().unwrap().result(), Ok(0));
}

#[test]
fn s8_polling_alone_advances_timers_on_a_clock_without_alarms() {
    static CLOCK: ManualClock = ManualClock::new();
    static STORAGE: Storage<2, 2> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
    let ctx = RTIO.claim().unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .delay(Duration::from_millis(10))
        .userdata(9)
        .submit()
        .unwrap();
    assert!(ctx.try_consume().is_none());
    CLOCK.advance(Duration::from_millis(10));
    assert!(ctx.has_completion(), "has_completion advances timers");
    let c = ctx.try_consume().expect("try_consume advances timers");
    assert_eq!((c.userdata(), c.result()), (9, Ok(0)));
}

/// S8, S6: polling advances timers behind the owner's own completions too: those come
/// first (they were posted first), and the polls that follow fire the due timer.
#[test]
fn s8_polling_fires_due_timers_once_the_local_completions_are_taken() {
    static CLOCK: ManualClock = ManualClock::new();
    static STORAGE: Storage<4, 4> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
    let ctx = RTIO.claim().unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .delay(Duration::from_millis(5))
        .userdata(1)
        .submit()
        .unwrap();
    CLOCK.advance(Duration::from_millis(5)); // due, not fired yet: nobody polled
    for u in [2, 3] {
        let _ = ctx.acquire().unwrap().nop().userdata(u).prepare().unwrap();
    }
    ctx.submit(0).unwrap(); // both NOPs complete in place, on the local list
    let order: Vec<usize> = std::iter::from_fn(|| ctx.try_consume())
        .map(|c| c.userdata())
        .collect();
    assert_eq!(
        order,
        [2, 3, 1],
        "local completions, then the timer the next poll fired"
    );
    assert_eq!(ctx.rtio().reserved(), 0);
}

#[test]
fn s8_s16_a_timer_on_a_context_without_a_clock_is_refused_at_prepare() {
    let ctx = ctx!(2, 2, no_clock);
    assert_eq!(ctx.rtio().now(), None, "no feature gives a context a clock");
    let delay = ctx
        .acquire()
        .unwrap()
        .delay(Duration::from_millis(1))
        .prepare();
    assert_eq!(delay.unwrap_err(), Error::NoClock);
    let bounded = ctx
        .chain::<2>()
        .unwrap()
        .nop()
        .link_timeout(Duration::from_millis(1))
        .prepare();
    assert_eq!(bounded.unwrap_err(), Error::NoClock);
    assert_eq!(ctx.rtio().reserved(), 0);
}

#[test]
fn s9_a_shot_waiting_for_room_when_its_multishot_is_cancelled_is_counted() {
    let (stream, dev) = iodev!(Stream::new());
    // One completion cell: the stream's own terminal reservation; a shot finds no room.
    let ctx = ctx!(1, 1, pool(4, 16));
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 8, 8)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    assert_eq!(stream.produce(8, 1), "full", "the shot waits for room");
    ctx.cancel(h.head()).unwrap();
    assert_eq!(stream.produce(8, 1), "stopped");
    assert_eq!(
        dev.iodev().overruns(),
        1,
        "the shot that found no room is counted"
    );
    let c = ctx.try_consume().unwrap();
    assert_eq!((c.result(), c.more()), (Err(Error::Canceled), false));
    drop(c);
    assert_eq!(ctx.rtio().pool().unwrap().free_blocks(), 4);
}

#[test]
fn s7_chain_handle_cancel_cancels_what_is_left_after_the_head_completed() {
    let (held, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    let h = ctx
        .chain::<3>()
        .unwrap()
        .nop()
        .userdata(1)
        .read(dev, sbuf!(1))
        .userdata(2)
        .write(dev, b"x")
        .userdata(3)
        .submit()
        .unwrap();
    assert_eq!(
        ctx.try_consume().unwrap().userdata(),
        1,
        "the head completed"
    );
    assert_eq!(held.len(), 1, "the read is in the driver");
    // The head's handle is stale now; cancelling the chain still works.
    assert_eq!(ctx.cancel(h.head()), Err(Error::Stale));
    assert!(ctx.try_consume().is_none());
    h.cancel(&ctx).unwrap();
    assert_eq!(
        results(&drain(&ctx)),
        [(2, Err(Error::Canceled)), (3, Err(Error::Canceled))]
    );
    assert_eq!(h.cancel(&ctx), Err(Error::Stale), "nothing is left");
}

#[test]
fn s5_a_nop_aimed_at_an_iodev_is_a_transaction_member() {
    let (drv, dev) = iodev!(Inplace::new(0x42));
    let ctx = ctx!(4, 4);
    let cs = ctx
        .chain::<3>()
        .unwrap()
        .write(dev, b"\x10")
        .transaction()
        .nop_on(dev)
        .transaction()
        .read(dev, sbuf!(2))
        .wait()
        .unwrap();
    assert_eq!(
        drv.events(),
        [
            Event::Transaction(3),
            Event::Write(vec![0x10]),
            Event::Other,
            Event::Read(2)
        ],
        "the driver walked three members, the NOP among them"
    );
    let got: Vec<_> = cs.iter().map(|c| c.result()).collect();
    assert_eq!(got, [Ok(1), Ok(0), Ok(2)]);
}

#[test]
fn s16_submit_for_more_completions_than_can_come_is_refused_at_once() {
    let (_, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    assert_eq!(ctx.submit(1), Err(Error::WouldHang), "nothing outstanding");
    let h = ctx
        .acquire()
        .unwrap()
        .read(dev, sbuf!(1))
        .prepare()
        .unwrap();
    assert_eq!(
        ctx.submit(2),
        Err(Error::WouldHang),
        "one outstanding, two asked"
    );
    // What can come is still waited for.
    ctx.cancel(h.head()).unwrap();
    ctx.submit(0).unwrap();
    assert_eq!(ctx.consume().unwrap().result(), Err(Error::Canceled));
}

#[test]
fn s16_consume_with_nothing_outstanding_is_refused_at_once() {
    let ctx = ctx!(2, 2);
    assert_eq!(ctx.consume().unwrap_err(), Error::WouldHang);
    assert_eq!(
        ctx.consume_timeout(Duration::from_secs(3600)).unwrap_err(),
        Error::WouldHang,
        "not after an hour: at once"
    );
    let _ = ctx.acquire().unwrap().nop().submit().unwrap();
    assert_eq!(ctx.consume().unwrap().result(), Ok(0));
}

#[test]
fn s16_waiting_for_a_free_entry_sleeps_until_one_comes_back() {
    let (held, dev) = iodev!(Held::new(false));
    let ctx = ctx!(2, 2, no_clock);
    // Both entries are fire-and-forget writes the device holds.
    for _ in 0..2 {
        let _ = ctx
            .acquire()
            .unwrap()
            .nop_on(dev)
            .no_response()
            .submit()
            .unwrap();
    }
    assert_eq!(ctx.acquire().unwrap_err(), Error::QueueFull);
    let finisher = std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(20));
        held.take().ok(0);
    });
    let c = ctx.acquire_wait().expect("an entry came back");
    drop(c);
    finisher.join().unwrap();
    held.take().ok(0);
    // Entries held by completions nobody consumed cannot come back by themselves.
    let _ = ctx.chain::<2>().unwrap().nop().nop().submit().unwrap();
    assert_eq!(ctx.acquire_wait().unwrap_err(), Error::WouldHang);
    drain(&ctx);
}

#[test]
fn s3_buffers_come_back_from_a_dropped_builder_a_failed_prepare_and_drop_all() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(8, 8);
    // Dropped before prepare.
    drop(ctx.acquire().unwrap().read(dev, sbuf!(3)));
    // A failed prepare (fewer entries than declared).
    let err = ctx
        .chain::<2>()
        .unwrap()
        .write(dev, b"ab")
        .prepare()
        .unwrap_err();
    assert_eq!(err, Error::InvalidChain);
    // drop_all of a prepared chain.
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .nop()
        .transceive(dev, b"tx", sbuf!(2))
        .prepare()
        .unwrap();
    ctx.drop_all();
    let back: Vec<_> = drain(&ctx)
        .into_iter()
        .map(|c| {
            let res = c.result();
            let buf = match c.buffer() {
                Buffer::Mut(b) => format!("mut {}", b.len()),
                Buffer::Ref(b) => format!("ref {}", b.len()),
                Buffer::Pair { tx, rx } => format!("pair {} {}", tx.len(), rx.len()),
                other => format!("{other:?}"),
            };
            (res, buf)
        })
        .collect();
    assert_eq!(
        back,
        [
            (Err(Error::Canceled), "mut 3".to_string()),
            (Err(Error::InvalidChain), "ref 2".to_string()),
            (Err(Error::Canceled), "pair 2 2".to_string()),
        ]
    );
    assert_eq!(ctx.rtio().reserved(), 0, "and every entry with them");
}

#[test]
fn queue_cancel_hook_sees_the_generation_of_the_live_use() {
    // OpId matching stays exact across slot reuse: a cancel hook never removes a later use.
    let (q, dev) = iodev!(QueueOnly(IodevQueue::new()));
    struct QueueOnly(IodevQueue);
    impl IodevApi for QueueOnly {
        fn submit(&'static self, t: Token) {
            self.0.push(t)
        }
        fn cancel(&'static self, op: OpId) {
            self.0.cancel(op);
        }
    }
    let ctx = ctx!(1, 1);
    let h = ctx.acquire().unwrap().write(dev, b"1").submit().unwrap();
    let t = q.0.pop().unwrap();
    t.ok(1);
    ctx.consume().unwrap();
    let _ = ctx.acquire().unwrap().write(dev, b"2").submit().unwrap();
    assert_eq!(ctx.cancel(h.head()), Err(Error::Stale));
    assert_eq!(q.0.len(), 1, "the new write is still queued");
    q.0.pop().unwrap().ok(1);
    assert_eq!(ctx.consume().unwrap().result(), Ok(1));
}

#[test]
fn s9_shot_full_then_room_delivers_in_order() {
    // The Shot::Full path still delivers once room is made.
    let (stream, dev) = iodev!(Stream::new());
    let ctx = ctx!(1, 2, pool(4, 16));
    let _ = ctx
        .acquire()
        .unwrap()
        .read_multishot(dev, 8, 8)
        .prepare()
        .unwrap();
    ctx.submit(0).unwrap();
    assert_eq!(stream.produce(8, 1), "rearmed");
    assert_eq!(stream.produce(8, 2), "full");
    let first = ctx.try_consume().unwrap();
    assert_eq!(first.buffer().data().unwrap()[0], 1);
    drop(first);
    let mut t = stream.q.pop().unwrap();
    t.pool_buf().unwrap().fill(2);
    match t.shot(8) {
        Shot::Rearmed(t) => stream.q.push(t),
        other => panic!("{other:?}"),
    }
    assert_eq!(ctx.try_consume().unwrap().buffer().data().unwrap()[0], 2);
    stream.fail(Error::Bus);
    assert_eq!(ctx.try_consume().unwrap().result(), Err(Error::Bus));
}

#[test]
fn s5_s11_a_transaction_member_pool_read_reports_only_the_blocks_it_was_handed() {
    // Found while writing docs/DESIGN.md: a member reported its preferred length, and the
    // pool buffer built from it spanned blocks another operation held.
    /// Serves a header write and a pool read in one transaction, filling what it is handed.
    struct HeaderThenPool;
    impl IodevApi for HeaderThenPool {
        fn submit(&'static self, mut t: Token) {
            let r = t.member_pool_buf(1).map(|b| {
                b.fill(0x77);
                b.len()
            });
            t.complete(r.map(|n| n + 1))
        }
    }
    let (hold, hdev) = iodev!(Held::new(false));
    let (_, dev) = iodev!(HeaderThenPool);
    let ctx = ctx!(4, 4, pool(4, 16));
    let pool = ctx.rtio().pool().unwrap();
    // Another operation holds three of the four blocks.
    let _ = ctx
        .acquire()
        .unwrap()
        .read_pool(hdev, 48, 48)
        .submit()
        .unwrap();
    let mut held = hold.take();
    held.pool_buf().unwrap().fill(1);
    assert_eq!(pool.free_blocks(), 1);
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(dev, &[0x10])
        .transaction()
        .read_pool(dev, 1, 64)
        .prepare()
        .unwrap();
    ctx.submit(2).unwrap();
    let cs = drain(&ctx);
    assert_eq!(cs[0].result(), Ok(1));
    assert_eq!(
        cs[1].result(),
        Ok(16),
        "the one free block, not the 64 preferred"
    );
    match cs[1].buffer() {
        Buffer::Pool(p) => assert_eq!((p.len(), p.capacity()), (16, 16)),
        other => panic!("a pool buffer, got {other:?}"),
    }
    drop(cs);
    assert_eq!(pool.free_blocks(), 1, "the held blocks were not freed");
    held.ok(48);
    let c = ctx.try_consume().unwrap();
    assert_eq!(
        c.buffer().data().map(|d| d.iter().all(|&b| b == 1)),
        Some(true)
    );
}

#[test]
fn s16_a_dropped_chain_future_cancels_what_is_left_of_its_chain() {
    use core::future::Future;
    let (held, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    let fut = ctx
        .chain::<2>()
        .unwrap()
        .read(dev, sbuf!(1))
        .write(dev, b"x")
        .run()
        .unwrap();
    let mut fut = Box::pin(fut);
    let waker = rtio::wait::sev_waker();
    let mut cx = core::task::Context::from_waker(&waker);
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(held.len(), 1, "the read is in the driver");
    drop(fut); // a select! that took another branch
    assert_eq!(held.len(), 0, "the driver's cancel hook took the read back");
    assert_eq!(ctx.rtio().reserved(), 0, "both entries came back");
    assert!(
        held.submits.lock().unwrap().len() == 1,
        "the write never started"
    );
    assert_eq!(
        ctx.consume().unwrap_err(),
        Error::WouldHang,
        "nothing in the ring"
    );
}

#[test]
fn s16_next_with_nothing_outstanding_resolves_to_would_hang() {
    let ctx = ctx!(2, 2);
    assert_eq!(rtio::block_on(ctx.next()).unwrap_err(), Error::WouldHang);
    let _ = ctx.acquire().unwrap().nop().userdata(4).submit().unwrap();
    assert_eq!(rtio::block_on(ctx.next()).unwrap().userdata(), 4);
}

#[test]
fn s17_the_first_failure_of_a_chain_is_reported_with_its_own_error() {
    let (held, dev) = iodev!(Held::new(true));
    let ctx = ctx!(4, 4);
    let _ = ctx
        .chain::<3>()
        .unwrap()
        .write(dev, b"\x00")
        .read(dev, sbuf!(2))
        .write(dev, b"x")
        .submit()
        .unwrap();
    held.finish_next(0);
    held.fail_next(Error::Nack); // the read NACKs; the last write is cancelled for it
    let cs = drain(&ctx);
    assert_eq!(
        results(&cs).iter().map(|r| r.1).collect::<Vec<_>>(),
        [Ok(1), Err(Error::Nack), Err(Error::Canceled)]
    );
    assert_eq!(
        rtio::first_failure(&cs),
        Some((1, Error::Nack)),
        "not the Canceled"
    );
    // A chain cancelled whole reports its first entry's Canceled; a clean one nothing.
    let h = ctx
        .chain::<2>()
        .unwrap()
        .write(dev, b"a")
        .write(dev, b"b")
        .prepare()
        .unwrap();
    ctx.cancel(h.head()).unwrap();
    let cs = drain(&ctx);
    assert_eq!(rtio::first_failure(&cs), Some((0, Error::Canceled)));
    let cs = ctx.acquire().unwrap().nop().wait().unwrap();
    assert_eq!(rtio::first_failure(&cs), None);
}

#[test]
fn s3_a_mutable_write_buffer_comes_back_mutable_to_be_refilled() {
    let (_, dev) = iodev!(Inplace::new(0));
    let ctx = ctx!(2, 2);
    let mut buf: &'static mut [u8] = sbuf!(4, 1);
    for round in 0..3u8 {
        let [c] = ctx.acquire().unwrap().write_mut(dev, buf).wait().unwrap();
        assert_eq!(c.result(), Ok(4));
        let mut c = c;
        buf = match c.take_buffer() {
            Buffer::Mut(b) => b,
            other => panic!("round {round}: {other:?}"),
        };
        buf.fill(round + 2); // refill in place for the next write
    }
}
