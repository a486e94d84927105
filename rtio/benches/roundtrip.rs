//! Round-trip benchmark: prints figures, never fails on time.
//!
//! `cargo bench -p rtio --bench roundtrip` prints, per case, ns/op (median, p10, p90 over
//! many batches), instructions/op counted by callgrind when valgrind is installed (each case
//! re-runs this binary under `valgrind --tool=callgrind`, collecting only `run_case`, at two
//! iteration counts; the difference divided by the extra iterations is exact per-op work)
//! and heap allocations during the timed loops (a counting global allocator).
//!
//! Baselines measured in the same run: a `heapless::spsc` pass of an SQE-sized and a
//! CQE-sized record through two queues, and a batched io_uring NOP (Linux; skipped with a
//! note when the kernel refuses io_uring).
//!
//! Environment: `RTIO_BENCH_QUICK=1` (fewer batches), `RTIO_BENCH_NO_CALLGRIND=1`.

use rtio::{caps, Dev, Iodev, IodevApi, IodevQueue, Request, Rtio, Storage, Token};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

// --- zero allocations ------------------------------------------------------------------------

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// --- devices ---------------------------------------------------------------------------------

struct Any;
impl caps::Kind for Any {
    const NAME: &'static str = "bench";
}
impl caps::Read for Any {}
impl caps::Write for Any {}

/// Completes every operation in place (a register that is always ready).
struct Inplace;
impl IodevApi for Inplace {
    fn submit(&'static self, mut t: Token) {
        let n = match t.request() {
            Request::Write(d) => d.len(),
            _ => 0,
        };
        t.ok(n)
    }
}
static INPLACE_DRV: Inplace = Inplace;
static INPLACE: Iodev = Iodev::new(&INPLACE_DRV).completes_in_place();
const FAST: Dev<Any> = Dev::new_unchecked(&INPLACE);

/// Holds every operation until released: the "outstanding" load. Its queue links through
/// the entries themselves, so holding allocates nothing.
struct Holder {
    q: IodevQueue,
}
impl IodevApi for Holder {
    fn submit(&'static self, t: Token) {
        self.q.push(t)
    }
}
static HOLDER_DRV: Holder = Holder {
    q: IodevQueue::new(),
};
static HOLDER: Iodev = Iodev::new(&HOLDER_DRV);
const SLOW: Dev<Any> = Dev::new_unchecked(&HOLDER);

static WBUF: [u8; 4] = [1, 2, 3, 4];

// --- contexts --------------------------------------------------------------------------------

static S_SMALL: Storage<16, 16> = Storage::new();
static R_SMALL: Rtio = Rtio::new(&S_SMALL);
static S_BIG: Storage<2048, 2048> = Storage::new();
static R_BIG: Rtio = Rtio::new(&S_BIG);
/// The timed cases: a manual clock (no alarms; timers advance when the owner polls).
static CLOCK: rtio::time::ManualClock = rtio::time::ManualClock::new();
static S_TIMED: Storage<2048, 2048> = Storage::new();
static R_TIMED: Rtio = Rtio::new(&S_TIMED).with_clock(&CLOCK);

// --- cases -----------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    Nop,
    Chain4,
    Transaction2,
    Batch8,
    Outstanding(usize),
    /// A WRITE bounded by a LINK_TIMEOUT, with this many other timers armed (S18).
    Timed(usize),
    Heapless,
    IoUring,
}

impl Case {
    fn all() -> Vec<Case> {
        vec![
            Case::Nop,
            Case::Chain4,
            Case::Transaction2,
            Case::Batch8,
            Case::Outstanding(1),
            Case::Outstanding(16),
            Case::Outstanding(256),
            Case::Outstanding(1024),
            Case::Timed(0),
            Case::Timed(16),
            Case::Timed(256),
            Case::Timed(1024),
            Case::Heapless,
            Case::IoUring,
        ]
    }
    fn name(self) -> String {
        match self {
            Case::Nop => "nop".into(),
            Case::Chain4 => "chain4".into(),
            Case::Transaction2 => "transaction2".into(),
            Case::Batch8 => "batch8".into(),
            Case::Outstanding(k) => format!("outstanding{k}"),
            Case::Timed(k) => format!("timed{k}"),
            Case::Heapless => "heapless".into(),
            Case::IoUring => "io_uring".into(),
        }
    }
    fn label(self) -> String {
        match self {
            Case::Nop => "NOP round trip".into(),
            Case::Chain4 => "chain of 4 (per op)".into(),
            Case::Transaction2 => "transaction of 2 (per op)".into(),
            Case::Batch8 => "batch of 8 (per op)".into(),
            Case::Outstanding(k) => format!("NOP, {k} outstanding"),
            Case::Timed(k) => format!("WRITE + LINK_TIMEOUT, {k} timers armed"),
            Case::Heapless => "baseline: heapless::spsc SQE+CQE".into(),
            Case::IoUring => "baseline: io_uring NOP, batch 32 (per op)".into(),
        }
    }
    fn parse(s: &str) -> Option<Case> {
        Case::all().into_iter().find(|c| c.name() == s)
    }
    /// Operations per iteration of `run_case`.
    fn ops(self) -> usize {
        match self {
            Case::Chain4 => 4,
            Case::Transaction2 => 2,
            Case::Batch8 => 8,
            Case::IoUring => IOURING_BATCH,
            _ => 1,
        }
    }
    /// Zephyr's C executor on this kind of machine (instructions per op), and the target.
    fn target(self) -> Option<(u32, u32)> {
        match self {
            Case::Nop => Some((194, 97)),
            Case::Chain4 => Some((162, 81)),
            Case::Transaction2 => Some((150, 75)),
            Case::Batch8 => Some((158, 79)),
            _ => None,
        }
    }
}

/// What a case needs besides its loop: the context (with its outstanding load in place), or
/// the baseline's queues.
#[allow(clippy::large_enum_variant)] // one per case, never moved in the loop
enum Fixture {
    Rtio(rtio::Context),
    Heapless(Box<HeaplessPair>),
    IoUring(Option<io::Ring>),
}

fn setup(case: Case) -> Fixture {
    match case {
        Case::Outstanding(k) => {
            let ctx = R_BIG.claim().expect("big context");
            for _ in 0..k {
                let _ = ctx.acquire().unwrap().write(SLOW, &WBUF).prepare().unwrap();
            }
            ctx.submit(0).unwrap();
            assert_eq!(HOLDER_DRV.q.len(), k);
            Fixture::Rtio(ctx)
        }
        Case::Timed(k) => {
            let ctx = R_TIMED.claim().expect("timed context");
            for _ in 0..k {
                let _ = ctx
                    .acquire()
                    .unwrap()
                    .delay(rtio::Duration::from_secs(3600))
                    .prepare()
                    .unwrap();
            }
            ctx.submit(0).unwrap();
            Fixture::Rtio(ctx)
        }
        Case::Heapless => Fixture::Heapless(Box::default()),
        Case::IoUring => Fixture::IoUring(io::Ring::new()),
        _ => Fixture::Rtio(R_SMALL.claim().expect("small context")),
    }
}

fn teardown(f: Fixture) {
    if let Fixture::Rtio(ctx) = f {
        while let Some(t) = HOLDER_DRV.q.pop() {
            t.ok(0);
        }
        // The timed cases' DELAYs come due (polling advances timers).
        CLOCK.advance(rtio::Duration::from_secs(7200));
        while ctx.try_consume().is_some() {}
        assert_eq!(ctx.rtio().reserved(), 0, "every operation consumed");
    }
}

/// The measured loop: `iters` iterations of `case`. Callgrind collects only this function.
#[inline(never)]
fn run_case(case: Case, f: &mut Fixture, iters: usize) {
    match (case, f) {
        (Case::Nop | Case::Outstanding(_), Fixture::Rtio(ctx)) => {
            for i in 0..iters {
                let _ = ctx.acquire().unwrap().nop().userdata(i).prepare().unwrap();
                ctx.submit(1).unwrap();
                let c = ctx.try_consume().unwrap();
                black_box(c.result().unwrap());
                drop(c); // release
            }
        }
        (Case::Timed(_), Fixture::Rtio(ctx)) => {
            for i in 0..iters {
                let _ = ctx
                    .chain::<2>()
                    .unwrap()
                    .write(FAST, &WBUF)
                    .userdata(i)
                    .link_timeout(rtio::Duration::from_secs(1))
                    .prepare()
                    .unwrap();
                ctx.submit(2).unwrap();
                for _ in 0..2 {
                    black_box(ctx.try_consume().unwrap().result().unwrap());
                }
            }
        }
        (Case::Chain4, Fixture::Rtio(ctx)) => {
            for i in 0..iters {
                let c = ctx.chain::<4>().unwrap();
                let _ = c.nop().userdata(i).nop().nop().nop().prepare().unwrap();
                ctx.submit(4).unwrap();
                for _ in 0..4 {
                    black_box(ctx.try_consume().unwrap().result().unwrap());
                }
            }
        }
        (Case::Transaction2, Fixture::Rtio(ctx)) => {
            for i in 0..iters {
                let c = ctx.chain::<2>().unwrap();
                let _ = c
                    .write(FAST, &WBUF)
                    .userdata(i)
                    .transaction()
                    .write(FAST, &WBUF)
                    .prepare()
                    .unwrap();
                ctx.submit(2).unwrap();
                for _ in 0..2 {
                    black_box(ctx.try_consume().unwrap().result().unwrap());
                }
            }
        }
        (Case::Batch8, Fixture::Rtio(ctx)) => {
            for i in 0..iters {
                for k in 0..8 {
                    let _ = ctx
                        .acquire()
                        .unwrap()
                        .nop()
                        .userdata(i + k)
                        .prepare()
                        .unwrap();
                }
                ctx.submit(8).unwrap();
                for _ in 0..8 {
                    black_box(ctx.try_consume().unwrap().result().unwrap());
                }
            }
        }
        (Case::Heapless, Fixture::Heapless(p)) => {
            for i in 0..iters {
                p.round_trip(i);
            }
        }
        (Case::IoUring, Fixture::IoUring(Some(r))) => {
            for _ in 0..iters {
                r.batch();
            }
        }
        (Case::IoUring, Fixture::IoUring(None)) => {}
        (c, _) => unreachable!("fixture for {c:?}"),
    }
}

// --- heapless baseline -----------------------------------------------------------------------

/// An SQE-sized record (the same size as `rtio::Sqe` on this target).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct PlainSqe {
    op: u8,
    flags: u8,
    prio: u8,
    carry: u8,
    next: u32,
    iodev: usize,
    userdata: usize,
    payload: [usize; SQE_PAYLOAD_WORDS],
}
const SQE_PAYLOAD_WORDS: usize =
    (std::mem::size_of::<rtio::Sqe>() - 8 - 2 * std::mem::size_of::<usize>()) / 8;
const _: () = assert!(std::mem::size_of::<PlainSqe>() == std::mem::size_of::<rtio::Sqe>());

/// A CQE-sized record (the same size as `rtio::CqeCell`).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct PlainCqe {
    result: i32,
    tag: u32,
}
const _: () = assert!(std::mem::size_of::<PlainCqe>() == std::mem::size_of::<rtio::CqeCell>());

#[derive(Default)]
struct HeaplessPair {
    sq: heapless::spsc::Queue<PlainSqe, 16>,
    cq: heapless::spsc::Queue<PlainCqe, 16>,
}

impl HeaplessPair {
    #[inline(always)]
    fn round_trip(&mut self, i: usize) {
        let (mut sp, mut sc) = self.sq.split();
        sp.enqueue(PlainSqe {
            userdata: i,
            ..Default::default()
        })
        .ok()
        .unwrap();
        let s = sc.dequeue().unwrap();
        let (mut cp, mut cc) = self.cq.split();
        // "Execute" the NOP: complete with result 0, tagged with the entry.
        cp.enqueue(PlainCqe {
            result: s.op as i32,
            tag: s.userdata as u32,
        })
        .ok()
        .unwrap();
        black_box(cc.dequeue().unwrap());
    }
}

// --- io_uring baseline -----------------------------------------------------------------------

const IOURING_BATCH: usize = 32;

#[cfg(target_os = "linux")]
mod io {
    use super::IOURING_BATCH;
    use io_uring::{opcode, IoUring};

    pub struct Ring(IoUring);

    impl Ring {
        pub fn new() -> Option<Ring> {
            match IoUring::new(64) {
                Ok(r) => {
                    let mut r = Ring(r);
                    r.batch(); // the kernel may accept setup yet refuse submissions
                    Some(r)
                }
                Err(e) => {
                    eprintln!("note: io_uring unavailable ({e}); baseline skipped");
                    None
                }
            }
        }
        /// Pushes a batch of NOPs, submits them with one system call, reaps the completions.
        pub fn batch(&mut self) {
            let r = &mut self.0;
            {
                let mut sq = r.submission();
                for i in 0..IOURING_BATCH {
                    let e = opcode::Nop::new().build().user_data(i as u64);
                    // SAFETY: a NOP references no memory.
                    unsafe { sq.push(&e).expect("room in the submission queue") };
                }
            }
            r.submit_and_wait(IOURING_BATCH).expect("io_uring submit");
            let mut n = 0;
            for c in r.completion() {
                std::hint::black_box(c.result());
                n += 1;
            }
            assert_eq!(n, IOURING_BATCH);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod io {
    pub struct Ring;
    impl Ring {
        pub fn new() -> Option<Ring> {
            eprintln!("note: io_uring is Linux only; baseline skipped");
            None
        }
        pub fn batch(&mut self) {}
    }
}

// --- timing ----------------------------------------------------------------------------------

struct Timing {
    median: f64,
    p10: f64,
    p90: f64,
    allocs: usize,
}

/// Operations per timed batch: short enough (about 0.1 ms) that most batches run without
/// being preempted on a shared machine.
const BATCH_OPS: usize = 1024;

/// This thread's CPU time in ns (Linux), so time spent descheduled by other load on the
/// machine does not count; wall-clock time elsewhere.
fn now_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut ts = Timespec { sec: 0, nsec: 0 };
        // SAFETY: clock_gettime writes one timespec to a valid pointer.
        if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return ts.sec as u64 * 1_000_000_000 + ts.nsec as u64;
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

fn time_case(case: Case, batches: usize) -> Option<Timing> {
    let mut f = setup(case);
    if let Fixture::IoUring(None) = f {
        return None;
    }
    let iters = BATCH_OPS / case.ops();
    run_case(case, &mut f, iters * 8); // warm up
    let mut per_op = Vec::with_capacity(batches);
    let a0 = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..batches {
        let t = now_ns();
        run_case(case, &mut f, iters);
        per_op.push((now_ns() - t) as f64 / (iters * case.ops()) as f64);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - a0;
    teardown(f);
    per_op.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| per_op[((per_op.len() - 1) as f64 * p).round() as usize];
    Some(Timing {
        median: q(0.5),
        p10: q(0.1),
        p90: q(0.9),
        allocs,
    })
}

// --- instructions (callgrind) ----------------------------------------------------------------

const CG_SHORT: usize = 1_000;
const CG_LONG: usize = 11_000;

/// Child mode: `--callgrind-case NAME ITERS` runs one case under valgrind.
fn callgrind_child(name: &str, iters: usize) {
    let case = Case::parse(name).expect("case name");
    let mut f = setup(case);
    run_case(case, &mut f, iters);
    teardown(f);
}

fn callgrind_total(exe: &str, case: Case, iters: usize) -> Option<u64> {
    let out = std::env::temp_dir().join(format!(
        "rtio-cg-{}-{}-{iters}.out",
        std::process::id(),
        case.name()
    ));
    let status = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=*run_case*",
        ])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(["--callgrind-case", &case.name(), &iters.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let text = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn instructions_per_op(exe: &str, case: Case) -> Option<f64> {
    let (short, long) = match case {
        Case::IoUring => (10, 60),
        _ => (CG_SHORT / case.ops(), CG_LONG / case.ops()),
    };
    let a = callgrind_total(exe, case, short)?;
    let b = callgrind_total(exe, case, long)?;
    Some(b.saturating_sub(a) as f64 / ((long - short) * case.ops()) as f64)
}

fn have_valgrind() -> bool {
    std::env::var_os("RTIO_BENCH_NO_CALLGRIND").is_none()
        && Command::new("valgrind")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

// --- main ------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--callgrind-case") {
        let iters = args[i + 2].parse().expect("iterations");
        return callgrind_child(&args[i + 1], iters);
    }
    let quick = std::env::var_os("RTIO_BENCH_QUICK").is_some();
    let batches = if quick { 101 } else { 1001 };
    let exe = std::env::current_exe().expect("own path");
    let exe = exe.to_str().expect("utf-8 path");
    let cg = have_valgrind();
    if !cg {
        eprintln!(
            "note: valgrind not found (or RTIO_BENCH_NO_CALLGRIND set): no instruction counts"
        );
    }

    println!(
        "rtio round trip: {} batches of {} ops per case, thread CPU time per op; sizes: Sqe {} B, \
         CqeCell {} B (host), Storage<8, 8> {} B, Rtio {} B",
        batches,
        BATCH_OPS,
        std::mem::size_of::<rtio::Sqe>(),
        std::mem::size_of::<rtio::CqeCell>(),
        std::mem::size_of::<Storage<8, 8>>(),
        std::mem::size_of::<Rtio>(),
    );
    println!();
    println!("| case | ns/op median | p10 | p90 | instructions/op | target (Zephyr) | allocs |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut nop_ns = None;
    let mut heapless_ns = None;
    let mut flat = Vec::new();
    let mut timed: Vec<f64> = Vec::new();
    for case in Case::all() {
        let t = time_case(case, batches);
        let ir = if cg {
            instructions_per_op(exe, case)
        } else {
            None
        };
        let target = case
            .target()
            .map_or("".into(), |(z, t)| format!("<= {t} ({z})"));
        let ir_s = ir.map_or("-".into(), |v| format!("{v:.1}"));
        match t {
            Some(t) => {
                println!(
                    "| {} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
                    case.label(),
                    t.median,
                    t.p10,
                    t.p90,
                    ir_s,
                    target,
                    t.allocs
                );
                match case {
                    Case::Nop => nop_ns = Some(t.median),
                    Case::Heapless => heapless_ns = Some(t.median),
                    Case::Outstanding(_) => flat.push((t.median, ir)),
                    Case::Timed(_) => timed.extend(ir),
                    _ => {}
                }
            }
            None => println!("| {} | skipped | | | | | |", case.label()),
        }
    }
    println!();
    if let (Some(n), Some(h)) = (nop_ns, heapless_ns) {
        println!(
            "NOP round trip / heapless baseline: {:.2}x (target <= 1.5x)",
            n / h
        );
    }
    if let (Some(lo), Some(hi)) = (
        flat.iter().map(|f| f.0).reduce(f64::min),
        flat.iter().map(|f| f.0).reduce(f64::max),
    ) {
        println!(
            "NOP with 1..1024 outstanding: time spread {:.1}% (target <= 10%)",
            (hi / lo - 1.0) * 100.0
        );
    }
    if let (Some(lo), Some(hi)) = (
        timed.iter().copied().reduce(f64::min),
        timed.iter().copied().reduce(f64::max),
    ) {
        println!(
            "WRITE + LINK_TIMEOUT with 0..1024 timers armed: instruction spread {:.1}% (target <= 10%)",
            (hi / lo - 1.0) * 100.0
        );
    }
    let irs: Vec<f64> = flat.iter().filter_map(|f| f.1).collect();
    if irs.len() == flat.len() && !irs.is_empty() {
        let lo = irs.iter().copied().reduce(f64::min).unwrap();
        let hi = irs.iter().copied().reduce(f64::max).unwrap();
        println!(
            "NOP with 1..1024 outstanding: instruction spread {:.1}%",
            (hi / lo - 1.0) * 100.0
        );
    }
}
