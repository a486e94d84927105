//! Parse + check + generate a 10,000-node devicetree (about 2.5 MB of DTS with phandle
//! references) and compare with `dtc -I dts -O dts` on the same file, in the same run.
//!
//! `cargo bench -p rtio-devicetree --bench devicetree`
//!
//! Each side runs as its own process, 5 times; the median wall time and the peak resident
//! memory (VmHWM / `ru_maxrss` via `/usr/bin/time`) are printed. Our child also counts
//! heap bytes with a counting allocator. Figures are printed, never asserted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);
/// Counting is on only in the `--count` run, so timed runs pay nothing for it.
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is upheld by `System`; the counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s preconditions.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            COUNT.fetch_add(1, Ordering::Relaxed);
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            COUNT.fetch_sub(1, Ordering::Relaxed);
        }
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const BUSES: usize = 100;
const PER_BUS: usize = 100;

/// The benchmark input: 100 I2C controllers with 100 TMP105-style sensors each, every
/// sensor referencing the previous one by phandle and its bus by path.
fn generate() -> String {
    let mut s = String::with_capacity(3 << 20);
    s.push_str("/dts-v1/;\n\n/ {\n\tcompatible = \"rtio,bench\";\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\n\taliases {\n\t\tfirst = &s0_0;\n\t};\n\n\tsoc {\n\t\tcompatible = \"simple-bus\";\n\t\t#address-cells = <1>;\n\t\t#size-cells = <1>;\n\t\tranges;\n");
    for b in 0..BUSES {
        let _ = write!(
            s,
            "\n\t\ti2c{b}: i2c@{:x} {{\n\t\t\tcompatible = \"rtio,i2c-controller\";\n\t\t\treg = <0x{:x} 0x1000>;\n\t\t\t#address-cells = <1>;\n\t\t\t#size-cells = <0>;\n\t\t\tclock-frequency = <400000>;\n",
            0x4000_0000 + b * 0x1000,
            0x4000_0000 + b * 0x1000
        );
        for d in 0..PER_BUS {
            let addr = 0x08 + d;
            let prev = if d == 0 {
                format!("i2c{b}")
            } else {
                format!("s{b}_{}", d - 1)
            };
            let _ = write!(
                s,
                "\n\t\t\ts{b}_{d}: sensor@{addr:x} {{\n\t\t\t\tcompatible = \"ti,tmp105\";\n\t\t\t\treg = <0x{addr:x}>;\n\t\t\t\tinterrupts = <{b} {d}>;\n\t\t\t\tvendor,calibration = <0x1234 0x5678 (0x9abc + {d}) 0xdef0>;\n\t\t\t\tvendor,name = \"temp-{b}-{d}\";\n\t\t\t\tvendor,link = <&{prev}>;\n\t\t\t\tvendor,bus = &i2c{b};\n\t\t\t\tvendor,bytes = [01 02 03 04 05 06 07 08];\n\t\t\t}};\n"
            );
        }
        s.push_str("\t\t};\n");
    }
    s.push_str("\t};\n};\n");
    s
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Child mode: one full run, then print `micros heap_peak_bytes vmhwm_kib out_bytes`.
fn child(path: &Path) {
    if std::env::var_os("RTIO_BENCH_STAGES").is_some() {
        COUNTING.store(true, Ordering::Relaxed);
        use rtio_devicetree::{model, parser, passes, source};
        eprintln!(
            "sizes: Node {} Property {} Piece {} Cell {} Label {}",
            std::mem::size_of::<model::Node>(),
            std::mem::size_of::<model::Property>(),
            std::mem::size_of::<model::Piece>(),
            std::mem::size_of::<model::Cell>(),
            std::mem::size_of::<model::Label>()
        );
        let text = std::fs::read_to_string(path).expect("read");
        let mut sources = source::SourceMap::new();
        let id = sources.add(path, text);
        eprintln!(
            "after read: live {} peak {}",
            LIVE.load(Ordering::Relaxed) >> 20,
            PEAK.load(Ordering::Relaxed) >> 20
        );
        let mut diags = Vec::new();
        let mut files = Vec::new();
        let mut tree =
            parser::parse(&mut sources, &mut diags, &mut files, id, Vec::new()).expect("parse");
        eprintln!(
            "after parse: live {} peak {} allocations {}",
            LIVE.load(Ordering::Relaxed) >> 20,
            PEAK.load(Ordering::Relaxed) >> 20,
            COUNT.load(Ordering::Relaxed)
        );
        passes::run_dtc_checks(&mut tree, &mut diags);
        eprintln!(
            "after dtc checks: live {} peak {}",
            LIVE.load(Ordering::Relaxed) >> 20,
            PEAK.load(Ordering::Relaxed) >> 20
        );
    }
    let t = Instant::now();
    let checked =
        match rtio_devicetree::pipeline::load_file(path, &rtio_devicetree::Options::default()) {
            Ok(c) => c,
            Err(d) => {
                eprint!("{}", d.render());
                std::process::exit(1);
            }
        };
    let t1 = t.elapsed();
    let live1 = LIVE.load(Ordering::Relaxed);
    // Rust goes to a file, as from build.rs; canonical DTS is discarded, as dtc's -o /dev/null.
    let out = path.with_extension("rs");
    let f = std::fs::File::create(&out).expect("create output");
    let mut rust = rtio_devicetree::builder::IoSink::new(std::io::BufWriter::new(f));
    rtio_devicetree::codegen::generate_to(&checked, &mut rust).expect("write Rust");
    let rust_len = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let t2 = t.elapsed();
    let mut dts = rtio_devicetree::builder::IoSink::new(CountingSink(0));
    rtio_devicetree::canonical::write_dts(&checked.tree, &mut dts).expect("write DTS");
    let micros = t.elapsed().as_micros();
    if std::env::var_os("RTIO_BENCH_STAGES").is_some() {
        eprintln!(
            "load {t1:?} (live {} MiB, peak {} MiB), codegen {:?} ({} KiB), dts {:?} ({} KiB)",
            live1 >> 20,
            PEAK.load(Ordering::Relaxed) >> 20,
            t2 - t1,
            rust_len >> 10,
            t.elapsed() - t2,
            dts.inner.0 >> 10
        );
    }
    println!(
        "{micros} {} {} {}",
        PEAK.load(Ordering::Relaxed),
        vm_hwm_kib().unwrap_or(0),
        rust_len as usize + dts.inner.0
    );
}

/// `io::sink` that counts bytes.
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--count") {
        COUNTING.store(true, Ordering::Relaxed);
    }
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("bench-10k.dts");
    let src = generate();
    std::fs::write(&path, &src).expect("write benchmark input");
    let nodes = src.matches(" {\n").count();
    println!(
        "input: {} ({} nodes, {:.2} MB)",
        path.display(),
        nodes,
        src.len() as f64 / 1e6
    );

    let exe = std::env::current_exe().expect("current exe");
    let runs = 5;
    let time_bin = Path::new("/usr/bin/time");
    // Both sides run as processes under `/usr/bin/time -f "%e %U %S %M"` (wall, user, sys,
    // max RSS) when it exists, so they are measured the same way.
    let measure = |cmd: &mut Command| -> Option<Sample> {
        let out = if time_bin.exists() {
            let mut t = Command::new(time_bin);
            t.args(["-f", "TIME %e %U %S %M"])
                .arg(cmd.get_program())
                .args(cmd.get_args());
            t.output()
        } else {
            cmd.output()
        }
        .ok()?;
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            return None;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let t = err.lines().rev().find(|l| l.starts_with("TIME "));
        let f: Vec<f64> = t
            .map(|l| {
                l[5..]
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        Some(Sample {
            wall: f.first().copied().unwrap_or(f64::NAN),
            cpu: f.get(1).copied().unwrap_or(f64::NAN) + f.get(2).copied().unwrap_or(f64::NAN),
            rss_mib: f.get(3).copied().unwrap_or(f64::NAN) / 1024.0,
            stdout,
        })
    };
    let mut ours = Vec::new();
    for _ in 0..runs {
        let s = measure(Command::new(&exe).arg("--child").arg(&path)).expect("rtio-devicetree run");
        ours.push(s);
    }
    let inproc: Vec<f64> = ours
        .iter()
        .filter_map(|s| {
            s.stdout
                .split_whitespace()
                .next()
                .and_then(|x| x.parse::<f64>().ok())
        })
        .map(|us| us / 1e3)
        .collect();
    let heap = {
        let out = Command::new(&exe)
            .args(["--count", "--child"])
            .arg(&path)
            .output()
            .expect("run child");
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        f.get(1).copied().unwrap_or(0.0) / (1 << 20) as f64
    };
    let ours_wall = median(ours.iter().map(|s| s.wall).collect());
    let ours_cpu = median(ours.iter().map(|s| s.cpu).collect());
    println!(
        "rtio-devicetree (parse+check+generate Rust+DTS): wall {:7.0} ms  cpu {:7.0} ms  max RSS {:5.1} MiB  (in-process {:.0} ms, heap peak {:.1} MiB)",
        ours_wall * 1e3,
        ours_cpu * 1e3,
        median(ours.iter().map(|s| s.rss_mib).collect()),
        median(inproc),
        heap
    );

    let dtc_ok = Command::new("dtc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !dtc_ok {
        println!("dtc: not installed (apt-get install device-tree-compiler) -- no baseline");
        return;
    }
    let mut theirs = Vec::new();
    for _ in 0..runs {
        let s = measure(
            Command::new("dtc")
                .args(["-q", "-I", "dts", "-O", "dts", "-o", "/dev/null"])
                .arg(&path),
        )
        .expect("dtc run");
        theirs.push(s);
    }
    let dtc_wall = median(theirs.iter().map(|s| s.wall).collect());
    let dtc_cpu = median(theirs.iter().map(|s| s.cpu).collect());
    println!(
        "dtc -I dts -O dts                               : wall {:7.0} ms  cpu {:7.0} ms  max RSS {:5.1} MiB",
        dtc_wall * 1e3,
        dtc_cpu * 1e3,
        median(theirs.iter().map(|s| s.rss_mib).collect())
    );
    println!(
        "speedup: {:.1}x by wall time, {:.1}x by CPU time",
        dtc_wall / ours_wall,
        dtc_cpu / ours_cpu
    );
}

struct Sample {
    wall: f64,
    cpu: f64,
    rss_mib: f64,
    stdout: String,
}
