//! S8 and S18 with many timers: the timer heap fires in deadline order, equal deadlines in
//! arming order, and cancelled or early-completed timers leave it whatever their place.

use rtio::time::ManualClock;
use rtio::{Duration, Error, Instant, Rtio, Storage};

/// A small deterministic generator (no dependency, same sequence on every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// Slots of the two big contexts below: 1024, or 128 under Miri.
const SLOTS: usize = if cfg!(miri) { 128 } else { 1024 };

#[test]
fn s8_s18_a_thousand_timers_fire_in_deadline_then_arming_order_whatever_is_cancelled() {
    static CLOCK: ManualClock = ManualClock::new();
    // Under Miri (thousands of times slower) the same program with fewer timers, on a
    // context sized for them: Miri's cost grows with the statics' size, not only the work.
    const TIMERS: usize = if cfg!(miri) { 96 } else { 1024 };
    static STORAGE: Storage<SLOTS, SLOTS> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
    let ctx = RTIO.claim().unwrap();
    let mut rng = Lcg(7);
    let mut armed = Vec::new();
    for ud in 0..TIMERS {
        // Few distinct deadlines: many ties, which must keep arming order.
        let at = Instant::from_micros(1 + rng.next() % 64);
        let h = ctx
            .acquire()
            .unwrap()
            .delay_until(at)
            .userdata(ud)
            .submit()
            .unwrap();
        armed.push((at, ud, h.head()));
    }
    // Cancel a third of them, anywhere in the heap.
    let mut cancelled = Vec::new();
    for &(_, ud, h) in &armed {
        if rng.next().is_multiple_of(3) {
            ctx.cancel(h).unwrap();
            cancelled.push(ud);
        }
    }
    let got_cancelled: Vec<usize> = std::iter::from_fn(|| ctx.try_consume())
        .map(|c| {
            assert_eq!(c.result(), Err(Error::Canceled));
            c.userdata()
        })
        .collect();
    assert_eq!(got_cancelled, cancelled);
    // Walk the clock: each step fires exactly the timers due, in (deadline, arming) order.
    let mut want: Vec<(Instant, usize)> = armed
        .iter()
        .filter(|(_, ud, _)| !cancelled.contains(ud))
        .map(|&(at, ud, _)| (at, ud))
        .collect();
    want.sort();
    let mut fired = Vec::new();
    for _ in 0..70 {
        CLOCK.advance(Duration::from_micros(1));
        while let Some(c) = ctx.try_consume() {
            assert_eq!(c.result(), Ok(0));
            assert!(
                armed[c.userdata()].0 <= rtio::Clock::now(&CLOCK),
                "fired early"
            );
            fired.push(c.userdata());
        }
    }
    let want: Vec<usize> = want.into_iter().map(|(_, ud)| ud).collect();
    assert_eq!(fired, want);
    assert_eq!(ctx.rtio().reserved(), 0);
}

#[test]
fn s8_s18_link_timeouts_removed_early_leave_the_heap_consistent() {
    static CLOCK: ManualClock = ManualClock::new();
    static STORAGE: Storage<64, 64> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE).with_clock(&CLOCK);
    let ctx = RTIO.claim().unwrap();
    // Long DELAYs armed first, then chains whose NOP completes before its LINK_TIMEOUT: each
    // LINK_TIMEOUT is armed and removed again from the middle of the heap.
    for ud in 0..20 {
        let _ = ctx
            .acquire()
            .unwrap()
            .delay(Duration::from_micros(100 + ud as u64))
            .userdata(ud)
            .submit()
            .unwrap();
    }
    for round in 0..if cfg!(miri) { 20 } else { 200 } {
        let h = ctx
            .chain::<2>()
            .unwrap()
            .await_signal()
            .link_timeout(Duration::from_micros(50))
            .prepare()
            .unwrap();
        ctx.submit(0).unwrap();
        ctx.rtio().signal(h.head()).unwrap();
        let (x, y) = (ctx.consume().unwrap(), ctx.consume().unwrap());
        assert_eq!((x.result(), y.result()), (Ok(0), Ok(0)), "round {round}");
    }
    CLOCK.advance(Duration::from_micros(200));
    let fired: Vec<usize> = std::iter::from_fn(|| ctx.try_consume())
        .map(|c| c.userdata())
        .collect();
    assert_eq!(fired, (0..20).collect::<Vec<_>>());
}

/// Queues every token; its cancel hook removes the token from the queue (O(1), S18).
struct Queue(rtio::IodevQueue);
impl rtio::IodevApi for Queue {
    fn submit(&'static self, t: rtio::Token) {
        self.0.push(t)
    }
    fn cancel(&'static self, op: rtio::OpId) {
        self.0.cancel(op);
    }
}

#[test]
fn s12_s18_a_queue_of_a_thousand_cancels_from_anywhere_and_keeps_its_order() {
    use rtio::{caps, Dev, Iodev, Priority};
    struct K;
    impl caps::Kind for K {
        const NAME: &'static str = "k";
    }
    impl caps::Write for K {}
    static Q: Queue = Queue(rtio::IodevQueue::new());
    static DEV: Iodev = Iodev::new(&Q);
    static OTHER: Queue = Queue(rtio::IodevQueue::new());
    // Under Miri fewer operations on a context sized for them (see above).
    const OPS: usize = if cfg!(miri) { 64 } else { 1024 };
    static STORAGE: Storage<SLOTS, SLOTS> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE);
    let ctx = RTIO.claim().unwrap();
    let dev = Dev::<K>::new_unchecked(&DEV);
    let mut rng = Lcg(3);
    let mut handles = Vec::new();
    for ud in 0..OPS {
        let p = [Priority::Low, Priority::Normal, Priority::High][rng.next() as usize % 3];
        let h = ctx
            .acquire()
            .unwrap()
            .write(dev, b"x")
            .priority(p)
            .userdata(ud)
            .submit()
            .unwrap();
        handles.push((p, ud, h.head()));
    }
    assert_eq!(Q.0.len(), OPS);
    // Another queue does not hold a token of this one: its remove finds nothing and touches
    // nothing. (The token popped goes back at the end of its level.)
    let t = Q.0.pop().unwrap();
    assert!(OTHER.0.remove(t.id()).is_none());
    let first_high = handles.iter().find(|h| h.0 == Priority::High).unwrap().1;
    Q.0.push(t);
    // Cancel a third, anywhere in the queue.
    let mut cancelled = Vec::new();
    for &(_, ud, h) in &handles {
        if rng.next().is_multiple_of(3) {
            ctx.cancel(h).unwrap();
            cancelled.push(ud);
        }
    }
    let got: Vec<usize> = std::iter::from_fn(|| ctx.try_consume())
        .map(|c| {
            assert_eq!(c.result(), Err(Error::Canceled));
            c.userdata()
        })
        .collect();
    assert_eq!(got, cancelled, "each cancel took its own token, at once");
    assert_eq!(Q.0.len(), OPS - cancelled.len());
    // What is left is served by priority, FIFO among equals (the token popped and pushed
    // back is last of its level).
    while let Some(t) = Q.0.pop() {
        t.ok(1);
    }
    let served: Vec<(Priority, usize)> = std::iter::from_fn(|| ctx.try_consume())
        .map(|c| (handles[c.userdata()].0, c.userdata()))
        .collect();
    let rank = |ud: usize| if ud == first_high { OPS } else { ud };
    let mut want: Vec<(Priority, usize)> = handles
        .iter()
        .filter(|h| !cancelled.contains(&h.1))
        .map(|&(p, ud, _)| (p, ud))
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then(rank(a.1).cmp(&rank(b.1))));
    assert_eq!(served, want);
    assert!(Q.0.is_empty());
}
