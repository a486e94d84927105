//! Test iodevs shared by the integration tests.
#![allow(dead_code)]

use rtio::{caps, Dev, Iodev, IodevApi, IodevQueue, OpId, Request, Token};
use std::sync::Mutex;

/// Declares a context (`$sq` entries, `$cq` completions, the host clock) and claims it.
#[macro_export]
macro_rules! ctx {
    ($sq:literal, $cq:literal) => {
        $crate::ctx!($sq, $cq, clock)
    };
    ($sq:literal, $cq:literal, no_clock) => {{
        static STORAGE: rtio::Storage<$sq, $cq> = rtio::Storage::new();
        static RTIO: rtio::Rtio = rtio::Rtio::new(&STORAGE);
        RTIO.claim().unwrap()
    }};
    ($sq:literal, $cq:literal, clock) => {{
        static STORAGE: rtio::Storage<$sq, $cq> = rtio::Storage::new();
        static RTIO: rtio::Rtio = rtio::Rtio::new(&STORAGE).with_clock(&$crate::common::HOST_CLOCK);
        RTIO.claim().unwrap()
    }};
    ($sq:literal, $cq:literal, pool($blocks:literal, $bs:literal)) => {{
        static STORAGE: rtio::Storage<$sq, $cq> = rtio::Storage::new();
        static PS: rtio::PoolStorage<$blocks, $bs> = rtio::PoolStorage::new();
        static POOL: rtio::Mempool = rtio::Mempool::new(&PS);
        static RTIO: rtio::Rtio = rtio::Rtio::new(&STORAGE)
            .with_pool(&POOL)
            .with_clock(&$crate::common::HOST_CLOCK);
        RTIO.claim().unwrap()
    }};
}

/// The host's monotonic clock, without alarms (timers advance when the owner polls or
/// waits), for tests that run with rtio's default features (no `std` clock).
pub struct HostClock;
pub static HOST_CLOCK: HostClock = HostClock;
impl rtio::Clock for HostClock {
    fn now(&self) -> rtio::Instant {
        static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let e = EPOCH.get_or_init(std::time::Instant::now);
        rtio::Instant::from_micros(e.elapsed().as_micros() as u64)
    }
}

/// Declares a `'static` mutable buffer of `$n` bytes.
#[macro_export]
macro_rules! sbuf {
    ($n:expr) => {{
        let b: &'static mut [u8] = Box::leak(vec![0u8; $n].into_boxed_slice());
        b
    }};
    ($n:expr, $fill:expr) => {{
        let b: &'static mut [u8] = Box::leak(vec![$fill; $n].into_boxed_slice());
        b
    }};
}

/// A kind that can do everything (tests only).
pub struct Any;
impl caps::Kind for Any {
    const NAME: &'static str = "any";
}
impl caps::Read for Any {}
impl caps::Write for Any {}
impl caps::Transceive for Any {}
impl caps::Stream for Any {}
impl caps::I2c for Any {}

pub fn dev(iodev: &'static Iodev) -> Dev<Any> {
    Dev::new_unchecked(iodev)
}

/// Declares a test driver and the [`Iodev`] over it, both `static` (drivers serve from
/// `&'static self`) and private to this expansion, so every use makes a fresh pair.
/// Evaluates to `(&'static Driver, Dev<Any>)`.
///
/// The argument is the driver's constant initialiser and must begin with the driver's type
/// name: `Held::new(false)`, `Inplace::new(0x5A)`, a unit struct `Short`, a tuple struct
/// `QueueOnly(IodevQueue::new())`.
///
/// ```ignore
/// let (held, dev) = iodev!(Held::new(false));
/// let ctx = ctx!(4, 4);
/// ctx.acquire().unwrap().read(dev, sbuf!(1)).submit().unwrap();
/// held.finish_next(0);
/// ```
///
/// `iodev!(in_place Driver...)` declares the iodev `Iodev::completes_in_place`.
#[macro_export]
macro_rules! iodev {
    (in_place $driver:ident $($init:tt)*) => {{
        static DRIVER: $driver = $driver $($init)*;
        static IODEV: rtio::Iodev = rtio::Iodev::new(&DRIVER).completes_in_place();
        (&DRIVER, $crate::common::dev(&IODEV))
    }};
    ($driver:ident $($init:tt)*) => {{
        static DRIVER: $driver = $driver $($init)*;
        static IODEV: rtio::Iodev = rtio::Iodev::new(&DRIVER);
        (&DRIVER, $crate::common::dev(&IODEV))
    }};
}

/// What a device saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Read(usize),
    Write(Vec<u8>),
    Transaction(usize),
    Await,
    Other,
}

/// Completes everything in place: reads fill with `fill`, writes are logged.
pub struct Inplace {
    pub log: Mutex<Vec<Event>>,
    pub fill: u8,
}

impl Inplace {
    pub const fn new(fill: u8) -> Self {
        Inplace {
            log: Mutex::new(Vec::new()),
            fill,
        }
    }
    pub fn events(&self) -> Vec<Event> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(t: &mut Token, fill: u8, log: &Mutex<Vec<Event>>) -> usize {
    let n = t.transaction_len();
    if n > 1 {
        log.lock().unwrap().push(Event::Transaction(n));
    }
    let mut total = 0;
    for i in 0..n {
        let Some(req) = t.member(i) else { break };
        total = match req {
            Request::Read(b) => {
                b.fill(fill);
                log.lock().unwrap().push(Event::Read(b.len()));
                b.len()
            }
            Request::Write(d) => {
                log.lock().unwrap().push(Event::Write(d.to_vec()));
                d.len()
            }
            Request::Transceive { tx, rx } => {
                let k = tx.len().min(rx.len());
                rx[..k].copy_from_slice(&tx[..k]);
                rx.len()
            }
            _ => {
                log.lock().unwrap().push(Event::Other);
                0
            }
        };
    }
    total
}

impl IodevApi for Inplace {
    fn submit(&'static self, mut t: Token) {
        if matches!(t.request(), Request::ReadPool { .. }) {
            let fill = self.fill;
            let r = t.pool_buf().map(|b| {
                b.fill(fill);
                b.len()
            });
            self.log
                .lock()
                .unwrap()
                .push(Event::Read(*r.as_ref().unwrap_or(&0)));
            return t.complete(r);
        }
        let n = serve(&mut t, self.fill, &self.log);
        t.ok(n)
    }
}

/// Holds every token until the test completes it; can abort queued tokens (cancel hook).
pub struct Held {
    pub q: IodevQueue,
    pub cancel_hook: bool,
    pub submits: Mutex<Vec<std::thread::ThreadId>>,
}

impl Held {
    pub const fn new(cancel_hook: bool) -> Self {
        Held {
            q: IodevQueue::new(),
            cancel_hook,
            submits: Mutex::new(Vec::new()),
        }
    }
    pub fn take(&self) -> Token {
        self.q.pop().expect("a token is queued")
    }
    /// Completes the next token: reads are filled with `fill`, result = bytes.
    pub fn finish_next(&self, fill: u8) {
        let mut t = self.take();
        let log = Mutex::new(Vec::new());
        let n = serve(&mut t, fill, &log);
        t.ok(n)
    }
    pub fn fail_next(&self, e: rtio::Error) {
        self.take().err(e)
    }
    pub fn len(&self) -> usize {
        self.q.len()
    }
}

impl IodevApi for Held {
    fn submit(&'static self, t: Token) {
        self.submits
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        self.q.push(t)
    }
    fn cancel(&'static self, op: OpId) {
        if self.cancel_hook {
            self.q.cancel(op);
        }
    }
}

/// Runs its queue one at a time and completes in place, but parks at an AWAIT until
/// signalled (S15): it holds the device meanwhile.
pub struct Serial {
    pub q: IodevQueue,
    pub busy: Mutex<bool>,
    pub log: Mutex<Vec<Event>>,
}

static SERIAL_FOR_RESUME: Mutex<Option<&'static Serial>> = Mutex::new(None);

impl Serial {
    pub const fn new() -> Self {
        Serial {
            q: IodevQueue::new(),
            busy: Mutex::new(false),
            log: Mutex::new(Vec::new()),
        }
    }
    fn run(&'static self) {
        loop {
            {
                let mut b = self.busy.lock().unwrap();
                if *b {
                    return;
                }
                let Some(mut t) = self.q.pop() else { return };
                *b = true;
                drop(b);
                if matches!(t.request(), Request::Await) {
                    self.log.lock().unwrap().push(Event::Await);
                    *SERIAL_FOR_RESUME.lock().unwrap() = Some(self);
                    match t.await_signal(resume) {
                        Some(t) => t.finish_await(),
                        None => return, // held until the signal
                    }
                } else {
                    let n = serve(&mut t, 0x5A, &self.log);
                    t.ok(n);
                }
                *self.busy.lock().unwrap() = false;
            }
        }
    }
}

fn resume(t: Token) {
    t.finish_await();
    let s = SERIAL_FOR_RESUME
        .lock()
        .unwrap()
        .expect("serial registered");
    *s.busy.lock().unwrap() = false;
    s.run();
}

impl IodevApi for Serial {
    fn submit(&'static self, t: Token) {
        self.q.push(t);
        self.run();
    }
}

/// Multishot stream source: the test pushes shots.
pub struct Stream {
    pub q: IodevQueue,
}

impl Stream {
    pub const fn new() -> Self {
        Stream {
            q: IodevQueue::new(),
        }
    }
    /// Produces one shot of `n` bytes of `fill` on the queued multishot token.
    pub fn produce(&self, n: usize, fill: u8) -> &'static str {
        let Some(mut t) = self.q.pop() else {
            return "none";
        };
        match t.pool_buf() {
            Ok(b) => {
                let k = n.min(b.len());
                b[..k].fill(fill)
            }
            Err(_) => {
                t.record_overrun(1);
                self.q.push(t);
                return "nomem";
            }
        }
        match t.shot(n) {
            rtio::Shot::Rearmed(t) => {
                self.q.push(t);
                "rearmed"
            }
            rtio::Shot::Stopped => "stopped",
            rtio::Shot::Full(t) => {
                self.q.push(t);
                "full"
            }
        }
    }
    pub fn fail(&self, e: rtio::Error) {
        if let Some(t) = self.q.pop() {
            t.err(e)
        }
    }
}

impl IodevApi for Stream {
    fn submit(&'static self, t: Token) {
        self.q.push(t)
    }
    fn cancel(&'static self, _op: OpId) {
        // Multishot cancellation is seen at the next shot (S7).
    }
}

/// Drains every ready completion.
pub fn drain(ctx: &rtio::Context) -> Vec<rtio::Completion> {
    let mut v = Vec::new();
    while let Some(c) = ctx.try_consume() {
        v.push(c);
    }
    v
}

pub fn results(cs: &[rtio::Completion]) -> Vec<(usize, Result<usize, rtio::Error>)> {
    cs.iter().map(|c| (c.userdata(), c.result())).collect()
}
