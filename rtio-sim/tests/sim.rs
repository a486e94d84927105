//! Simulation tests: timing, transactions, priorities, every fault kind, and a stress run.

use rtio::{Buffer, Error, Mempool, PoolStorage, Priority, Rtio, Storage};
use rtio_sim::*;
use std::boxed::Box;
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec;
use std::vec::Vec;

fn buf<const N: usize>() -> &'static mut [u8; N] {
    Box::leak(Box::new([0u8; N]))
}

/// Waits until the device has started `n` transfers (the bus thread took them).
fn wait_started(f: &Faults, n: u64) {
    let t0 = StdInstant::now();
    while f.transfers() < n {
        assert!(
            t0.elapsed() < StdDuration::from_secs(5),
            "the bus never started transfer {n}"
        );
        std::thread::sleep(StdDuration::from_micros(200));
    }
}

fn seen(ctx: &rtio::Context, n: usize) -> Vec<(usize, Result<usize, Error>)> {
    (0..n)
        .map(|_| {
            let c = ctx.consume().unwrap();
            (c.userdata(), c.result())
        })
        .collect()
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn transaction_member_pool_read_gets_a_buffer() {
    static PS: PoolStorage<4, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&PS);
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let tmp = Bus::i2c("t-pool", 400_000).attach_i2c(0x48, Tmp105::new(25.5));
    let [w, mut r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(tmp.dev(), &[0])
        .transaction()
        .read_pool(tmp.dev(), 2, 2)
        .wait()
        .unwrap();
    assert_eq!(w.result(), Ok(1));
    assert_eq!(r.result(), Ok(2));
    match r.take_buffer() {
        Buffer::Pool(p) => assert_eq!(&p[..2], &[0x19, 0x80]),
        other => panic!("no pool buffer: {other:?}"),
    }
    assert_eq!(POOL.free_blocks(), 4);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn i2c_transfer_takes_bus_time_and_does_not_block_the_submitter() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    // 1 kHz: writing 2 bytes is 1 START + 9 address + 18 data + 1 STOP = 29 bits = 29 ms.
    let tmp = Bus::i2c("t-time", 1_000).attach_i2c(0x48, Tmp105::new(0.0));
    let t0 = StdInstant::now();
    let _ = ctx
        .acquire()
        .unwrap()
        .tiny_write(tmp.dev(), &[1, 0x60])
        .submit()
        .unwrap();
    let submit_took = t0.elapsed();
    assert!(
        !ctx.has_completion(),
        "submit returned before the transfer ended"
    );
    let c = ctx.consume().unwrap();
    let total = t0.elapsed();
    assert_eq!(c.result(), Ok(2));
    assert!(
        submit_took < StdDuration::from_millis(15),
        "{submit_took:?}"
    );
    assert!(total >= StdDuration::from_millis(29), "{total:?}");
    assert_eq!(tmp.with(|t| t.config()), 0x60);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn eeprom_page_write_wraps_and_nacks_during_the_write_cycle() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let bus = Bus::i2c("t-eeprom", 1_000_000);
    let ee = bus.attach_i2c(
        0x50,
        At24c::new(256, 8).with_write_cycle(rtio::Duration::from_millis(100)),
    );
    // Address 0x0006 in an 8-byte page: bytes 1..=4 land at 6, 7, then wrap to 0, 1.
    let [c] = ctx
        .acquire()
        .unwrap()
        .tiny_write(ee.dev(), &[0x00, 0x06, 1, 2, 3, 4])
        .wait()
        .unwrap();
    assert_eq!(c.result(), Ok(6));
    // During the write cycle (100 ms here) the part does not answer.
    let [w, r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(ee.dev(), &[0x00, 0x00])
        .read(ee.dev(), buf::<8>())
        .wait()
        .unwrap();
    assert_eq!(w.result(), Err(Error::Nack));
    assert_eq!(r.result(), Err(Error::Canceled));
    std::thread::sleep(StdDuration::from_millis(110));
    let [w, mut r] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(ee.dev(), &[0x00, 0x00])
        .transaction() // repeated START, one STOP
        .read(ee.dev(), buf::<8>())
        .wait()
        .unwrap();
    assert_eq!((w.result(), r.result()), (Ok(2), Ok(8)));
    match r.take_buffer() {
        Buffer::Mut(b) => assert_eq!(b, &[3, 4, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2]),
        other => panic!("{other:?}"),
    }
    assert_eq!(ee.with(|e| e.writes()), 1);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn the_bus_serves_higher_priority_first() {
    static S: Storage<8, 8> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let bus = Bus::i2c("t-prio", 100_000);
    let tmp = bus.attach_i2c(0x48, Tmp105::new(0.0));
    bus.record();
    // A long transfer occupies the bus while the others queue behind it.
    tmp.faults()
        .next(Fault::Stall(rtio::Duration::from_millis(200)));
    let _ = ctx
        .acquire()
        .unwrap()
        .tiny_write(tmp.dev(), &[0])
        .userdata(0)
        .submit()
        .unwrap();
    wait_started(tmp.faults(), 1);
    for (ud, p) in [
        (1, Priority::Low),
        (2, Priority::Normal),
        (3, Priority::Urgent),
        (4, Priority::Normal),
    ] {
        let _ = ctx
            .acquire()
            .unwrap()
            .tiny_write(tmp.dev(), &[0])
            .userdata(ud)
            .priority(p)
            .submit()
            .unwrap();
    }
    let order: Vec<usize> = seen(&ctx, 5).into_iter().map(|(u, _)| u).collect();
    assert_eq!(order, vec![0, 3, 2, 4, 1]);
    // The bus's own record agrees: the stalled transfer, then by priority, FIFO among equals.
    let prios: Vec<Priority> = bus.trace().iter().map(|t| t.priority).collect();
    assert_eq!(
        prios,
        vec![
            Priority::Normal,
            Priority::Urgent,
            Priority::Normal,
            Priority::Normal,
            Priority::Low
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn every_fault_kind_gives_its_completion() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let tmp = Bus::i2c("t-faults", 1_000_000).attach_i2c(0x48, Tmp105::new(25.5));
    let read = |ctx: &rtio::Context| {
        let [w, mut r] = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(tmp.dev(), &[0])
            .transaction()
            .read(tmp.dev(), buf::<2>())
            .wait()
            .unwrap();
        let data = match r.take_buffer() {
            Buffer::Mut(b) => [b[0], b[1]],
            _ => [0, 0],
        };
        (w.result(), r.result(), data)
    };
    tmp.faults().next(Fault::Nack);
    assert_eq!(read(&ctx), (Err(Error::Nack), Err(Error::Canceled), [0, 0]));
    tmp.faults().next(Fault::Bus);
    assert_eq!(read(&ctx), (Err(Error::Bus), Err(Error::Canceled), [0, 0]));
    tmp.faults().next(Fault::Overrun);
    assert_eq!(
        read(&ctx),
        (Err(Error::Overrun), Err(Error::Canceled), [0, 0])
    );
    tmp.faults().next(Fault::Corrupt(0xFF));
    assert_eq!(read(&ctx), (Ok(1), Ok(2), [!0x19, !0x80]));
    tmp.faults()
        .next(Fault::Stall(rtio::Duration::from_millis(10)));
    let t0 = StdInstant::now();
    assert_eq!(read(&ctx), (Ok(1), Ok(2), [0x19, 0x80]));
    assert!(t0.elapsed() >= StdDuration::from_millis(10));
    // A hang is resolved by a cancel: the hook aborts the transfer.
    tmp.faults().next(Fault::Hang);
    let h = ctx
        .acquire()
        .unwrap()
        .read(tmp.dev(), buf::<2>())
        .userdata(9)
        .submit()
        .unwrap();
    std::thread::sleep(StdDuration::from_millis(5));
    assert!(!ctx.has_completion(), "a hung device does not answer");
    ctx.cancel(h.head()).unwrap();
    assert_eq!(seen(&ctx, 1), vec![(9, Err(Error::Canceled))]);
    assert_eq!(read(&ctx), (Ok(1), Ok(2), [0x19, 0x80]));
    assert_eq!(tmp.faults().transfers(), 7);
    assert_eq!(tmp.bus().queued(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn sd_card_block_write_and_read_are_one_transaction_each() {
    static S: Storage<8, 8> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let card = Bus::spi("t-sd", 25_000_000).attach_spi(1, SdCard::new(1024).ready());
    let data: &'static [u8] = Box::leak(vec![0xA5u8; 512].into_boxed_slice());
    // CMD24, then N_CR + R1, the start token, the block, its CRC, the data response.
    let resp = buf::<8>();
    let [_, _, d, _, r] = ctx
        .chain::<5>()
        .unwrap()
        .tiny_write(card.dev(), &sd::command(sd::CMD24, 2))
        .transaction()
        .tiny_write(card.dev(), &[0xFF, 0xFF, sd::START_BLOCK])
        .transaction()
        .write(card.dev(), data)
        .transaction()
        .tiny_write(card.dev(), &sd::crc16(data).to_be_bytes())
        .transaction()
        .read(card.dev(), resp)
        .wait()
        .unwrap();
    assert_eq!(d.result(), Ok(512));
    assert!(matches!(r.buffer(), Buffer::Mut(b) if b[0] == sd::DATA_ACCEPTED));
    assert!(card.with(|c| c.block(2).unwrap().iter().all(|&b| b == 0xA5)));
    // CMD17: R1 after N_CR, N_AC, the start token, the block, its CRC.
    let [_, mut rd] = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(card.dev(), &sd::command(sd::CMD17, 2))
        .transaction()
        .read(card.dev(), buf::<{ 2 + 2 + 1 + 512 + 2 }>())
        .wait()
        .unwrap();
    assert_eq!(rd.result(), Ok(519));
    match rd.take_buffer() {
        Buffer::Mut(b) => {
            assert_eq!(&b[..5], &[0xFF, 0x00, 0xFF, 0xFF, sd::START_BLOCK]);
            assert!(b[5..517].iter().all(|&x| x == 0xA5));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(card.with(|c| (c.reads(), c.writes())), (1, 1));
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn stream_overrun_fault_drops_the_fifo_and_counts_it() {
    let adc = Adc::ramp().device("t-adc", 20_000, 64, 32);
    let t0 = StdInstant::now();
    while adc.overruns() == 0 {
        assert!(
            t0.elapsed() < StdDuration::from_secs(5),
            "nobody reads: the FIFO must overflow"
        );
        std::thread::sleep(StdDuration::from_millis(1));
    }
    let (_, fifo, _) = adc.snapshot();
    assert_eq!(fifo, 64);
    adc.faults().next(Fault::Overrun);
    std::thread::sleep(StdDuration::from_millis(10));
    adc.stop();
    let (produced, fifo, overruns) = adc.snapshot();
    assert_eq!(
        produced,
        fifo as u64 + overruns as u64,
        "nothing delivered, all accounted"
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn stress_several_threads_contexts_complete_every_submission_exactly_once() {
    static S0: Storage<8, 8> = Storage::new();
    static S1: Storage<8, 8> = Storage::new();
    static S2: Storage<8, 8> = Storage::new();
    static S3: Storage<8, 8> = Storage::new();
    static R0: Rtio = Rtio::new(&S0).with_clock(&rtio::time::STD_CLOCK);
    static R1: Rtio = Rtio::new(&S1).with_clock(&rtio::time::STD_CLOCK);
    static R2: Rtio = Rtio::new(&S2).with_clock(&rtio::time::STD_CLOCK);
    static R3: Rtio = Rtio::new(&S3).with_clock(&rtio::time::STD_CLOCK);
    const PER_THREAD: usize = 300;
    let i2c = Bus::i2c("t-stress-i2c", 3_400_000);
    let spi = Bus::spi("t-stress-spi", 50_000_000);
    i2c.record();
    spi.record();
    let tmp = i2c.attach_i2c(0x48, Tmp105::new(1.0));
    let ee = i2c.attach_i2c(0x50, At24c::new(1024, 16));
    let card = spi.attach_spi(0, SdCard::new(1024).ready());
    let ctxs: [&'static Rtio; 4] = [&R0, &R1, &R2, &R3];
    let threads: Vec<_> = ctxs
        .into_iter()
        .enumerate()
        .map(|(t, r)| {
            std::thread::spawn(move || {
                let ctx = r.claim().unwrap();
                let mut seen = vec![0u8; PER_THREAD];
                let (mut next, mut done) = (0, 0);
                while done < PER_THREAD {
                    while next < PER_THREAD {
                        let ud = next;
                        let ch = match ctx.chain::<2>() {
                            Ok(c) => c,
                            Err(_) => break, // queue full: consume first
                        };
                        let ch = match (ud + t) % 3 {
                            0 => ch.tiny_write(tmp.dev(), &[0]).read(tmp.dev(), buf::<2>()),
                            1 => ch
                                .tiny_write(ee.dev(), &[0, 0])
                                .transaction()
                                .read(ee.dev(), buf::<4>()),
                            _ => ch
                                .tiny_write(card.dev(), &sd::command(sd::CMD13, 0))
                                .transaction()
                                .read(card.dev(), buf::<16>()),
                        };
                        let _ = ch.userdata(ud).prepare().unwrap();
                        next += 1;
                    }
                    ctx.submit(1).unwrap();
                    while let Some(c) = ctx.try_consume() {
                        if c.userdata() < PER_THREAD && matches!(c.buffer(), Buffer::Mut(_)) {
                            seen[c.userdata()] += 1;
                            done += 1;
                        }
                    }
                }
                // The whole queue is free again: nothing was lost.
                assert!(ctx.chain::<8>().is_ok());
                seen
            })
        })
        .collect();
    for th in threads {
        let seen = th.join().unwrap();
        assert!(
            seen.iter().all(|&n| n == 1),
            "every read completed exactly once"
        );
    }
    // Each bus did one transfer at a time, each transaction as one transfer.
    for bus in [i2c, spi] {
        let trace = bus.trace();
        assert!(
            trace.windows(2).all(|w| w[1].start_us >= w[0].end_us),
            "no overlap"
        );
        assert!(trace.iter().all(|t| t.result.is_ok()));
    }
    // 1200 chains, a third of each kind: the sensor's plain chains are two transfers each,
    // the EEPROM's and the card's transactions one each.
    let count = |bus: &Bus, dev: u8| bus.trace().iter().filter(|t| t.device == dev).count();
    assert_eq!(count(i2c, 0x48), 800);
    assert_eq!(count(i2c, 0x50), 400);
    assert_eq!(count(spi, 0), 400);
    let whole = |bus: &Bus, dev: u8, bytes: usize| {
        bus.trace()
            .iter()
            .filter(|t| t.device == dev)
            .all(|t| t.entries == 2 && t.bytes == bytes)
    };
    assert!(whole(i2c, 0x50, 2 + 4) && whole(spi, 0, 6 + 16));
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn imu_register_map_rate_watermark_and_fifo_data() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let imu = Imu::still().device("t-imu-regs", 0, 64, 8);
    let dev = imu.dev();
    let read_reg = |r: u8, n: usize| -> Vec<u8> {
        let out: &'static mut [u8] = Box::leak(vec![0u8; n].into_boxed_slice());
        let [w, mut rd] = ctx
            .chain::<2>()
            .unwrap()
            .tiny_write(dev, &[r])
            .transaction()
            .read(dev, out)
            .wait()
            .unwrap();
        assert_eq!(w.result(), Ok(1));
        assert_eq!(rd.result(), Ok(n));
        match rd.take_buffer() {
            Buffer::Mut(b) => b.to_vec(),
            _ => vec![],
        }
    };
    assert_eq!(read_reg(reg::WHO_AM_I, 1), vec![0x6C]);
    assert_eq!(read_reg(reg::CTRL1, 1), vec![0x00], "powered down");
    // Watermark 4 frames, then 1660 Hz.
    let [c] = ctx
        .acquire()
        .unwrap()
        .tiny_write(dev, &[reg::FIFO_CTRL1, 4, 0])
        .wait()
        .unwrap();
    assert_eq!(c.result(), Ok(3));
    assert_eq!(imu.config().watermark, 4);
    let [c] = ctx
        .acquire()
        .unwrap()
        .tiny_write(dev, &[reg::CTRL1, 0x80])
        .wait()
        .unwrap();
    assert_eq!(c.result(), Ok(2));
    assert_eq!(imu.config().rate_hz, 1660);
    assert_eq!(read_reg(reg::CTRL1, 1), vec![0x80]);
    std::thread::sleep(StdDuration::from_millis(10));
    let st = read_reg(reg::FIFO_STATUS1, 2);
    assert!(
        st[0] >= 4 && st[1] & 0x80 != 0,
        "level {} and watermark flag: {st:?}",
        st[0]
    );
    // Two frames of FIFO data: a still IMU reads (0, 0, 1 g) and no rotation.
    let d = read_reg(reg::FIFO_DATA_OUT, 24);
    for f in d.chunks(12) {
        let az = i16::from_le_bytes([f[4], f[5]]);
        assert_eq!(az, Imu::ACCEL_LSB_PER_G as i16);
        assert!(f[6..].iter().all(|&b| b == 0));
    }
    imu.stop();
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn stress_hangs_and_link_timeouts_across_threads_complete_once_each() {
    static S0: Storage<8, 8> = Storage::new();
    static S1: Storage<8, 8> = Storage::new();
    static S2: Storage<8, 8> = Storage::new();
    static R0: Rtio = Rtio::new(&S0).with_clock(&rtio::time::STD_CLOCK);
    static R1: Rtio = Rtio::new(&S1).with_clock(&rtio::time::STD_CLOCK);
    static R2: Rtio = Rtio::new(&S2).with_clock(&rtio::time::STD_CLOCK);
    const PER_THREAD: usize = 60;
    let bus = Bus::i2c("t-stress-hang", 1_000_000);
    let tmp = bus.attach_i2c(0x48, Tmp105::new(5.0));
    // Every third transfer on the bus hangs until its LINK_TIMEOUT aborts it.
    for n in (0..(3 * PER_THREAD as u64)).step_by(3) {
        tmp.faults().at(n, Fault::Hang);
    }
    let threads: Vec<_> = [&R0, &R1, &R2]
        .into_iter()
        .map(|r: &'static Rtio| {
            std::thread::spawn(move || {
                let ctx = r.claim().unwrap();
                let (mut ok, mut timed_out) = (0, 0);
                let mut seen = vec![0u8; PER_THREAD];
                for i in 0..PER_THREAD {
                    let _ = ctx
                        .chain::<2>()
                        .unwrap()
                        .read(tmp.dev(), buf::<2>())
                        .userdata(i)
                        .link_timeout(rtio::Duration::from_millis(3))
                        .userdata(1000 + i)
                        .submit()
                        .unwrap();
                    for _ in 0..2 {
                        let mut c = ctx.consume().unwrap();
                        if c.userdata() < 1000 {
                            seen[c.userdata()] += 1;
                            match c.result() {
                                Ok(2) => ok += 1,
                                Err(Error::TimedOut) => timed_out += 1,
                                other => panic!("unexpected {other:?}"),
                            }
                            assert!(matches!(c.take_buffer(), Buffer::Mut(_)), "buffer back");
                        }
                    }
                }
                assert!(ctx.chain::<8>().is_ok(), "no entry lost");
                (seen, ok, timed_out)
            })
        })
        .collect();
    let (mut ok, mut timed_out) = (0, 0);
    for th in threads {
        let (seen, o, t) = th.join().unwrap();
        assert!(
            seen.iter().all(|&n| n == 1),
            "each read completed exactly once"
        );
        ok += o;
        timed_out += t;
    }
    assert_eq!(ok + timed_out, 3 * PER_THREAD);
    // Every transfer that hung timed out; so did some that waited behind a hung one (the
    // LINK_TIMEOUT bounds the entry from its start, queueing included, S8).
    let started = tmp.faults().transfers() as usize;
    let hung = started.div_ceil(3);
    assert!(ok > 0 && ok <= started - hung, "ok {ok}, started {started}");
    assert!(timed_out >= hung, "timed out {timed_out}, hung {hung}");
    assert_eq!(bus.queued(), 0);
}

/// A small deterministic generator for randomized tests (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn random_chains_with_random_faults_match_the_chain_rules() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let tmp = Bus::i2c("t-random", 3_400_000).attach_i2c(0x48, Tmp105::new(25.5));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..150 {
        // Three reads of the temperature register, each transfer with a random fault.
        let faults: Vec<Option<Fault>> = (0..3)
            .map(|_| match rng.below(6) {
                0 => Some(Fault::Nack),
                1 => Some(Fault::Bus),
                2 => Some(Fault::Corrupt(0x0F)),
                _ => None,
            })
            .collect();
        let first = tmp.faults().transfers();
        for (k, f) in faults.iter().enumerate() {
            if let Some(f) = f {
                tmp.faults().at(first + k as u64, *f);
            }
        }
        let hard = rng.below(2) == 0; // hardlink after the first read
        let mut ch = ctx.chain::<3>().unwrap().read(tmp.dev(), buf::<2>());
        if hard {
            ch = ch.hardlink();
        }
        let got = ch
            .read(tmp.dev(), buf::<2>())
            .read(tmp.dev(), buf::<2>())
            .wait()
            .unwrap();
        // The rules: an entry runs while nothing before it failed (a hardlink lets the one
        // after it run anyway); a failed entry carries its error; skipped ones `Canceled`.
        let mut skip = false;
        let mut ran = 0;
        for (k, c) in got.iter().enumerate() {
            let expect = if skip {
                Err(Error::Canceled)
            } else {
                ran += 1;
                match faults[k] {
                    Some(Fault::Nack) => Err(Error::Nack),
                    Some(Fault::Bus) => Err(Error::Bus),
                    _ => Ok(2),
                }
            };
            assert_eq!(
                c.result(),
                expect,
                "round {round}, entry {k}, faults {faults:?}, hardlink {hard}"
            );
            assert!(
                matches!(c.buffer(), Buffer::Mut(b) if b.len() == 2),
                "buffer back"
            );
            if let (Ok(_), Buffer::Mut(b)) = (c.result(), c.buffer()) {
                let want = if faults[k] == Some(Fault::Corrupt(0x0F)) {
                    [0x19 ^ 0x0F, 0x80 ^ 0x0F]
                } else {
                    [0x19, 0x80]
                };
                assert_eq!(**b, want);
            }
            if expect.is_err() && !(k == 0 && hard) {
                skip = true;
            }
        }
        // Scripted faults for entries that never ran are dropped with the transfer count.
        assert_eq!(tmp.faults().transfers(), first + ran);
        tmp.faults().clear();
    }
    assert!(ctx.chain::<4>().is_ok(), "no entry lost");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn independent_chains_complete_in_hardware_order_chains_in_their_own_order() {
    static S: Storage<8, 8> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let slow = Bus::i2c("t-order-i2c", 1_000).attach_i2c(0x48, Tmp105::new(1.0));
    let fast = Bus::spi("t-order-spi", 20_000_000).attach_spi(0, SdCard::new(1024).ready());
    // A slow I2C chain (about 20 + 29 ms), then a fast SPI write (a few µs), both in flight.
    let _ = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(slow.dev(), &[0])
        .userdata(1)
        .read(slow.dev(), buf::<2>())
        .userdata(2)
        .submit()
        .unwrap();
    let _ = ctx
        .acquire()
        .unwrap()
        .tiny_write(fast.dev(), &sd::command(sd::CMD13, 0))
        .userdata(3)
        .submit()
        .unwrap();
    let order: Vec<usize> = seen(&ctx, 3).into_iter().map(|(u, _)| u).collect();
    assert_eq!(
        order,
        vec![3, 1, 2],
        "S6: independent chains finish as the hardware does"
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn cancelling_a_chain_queued_behind_a_busy_bus_cancels_it_whole() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let tmp = Bus::i2c("t-cancel-queued", 400_000).attach_i2c(0x48, Tmp105::new(1.0));
    tmp.faults()
        .next(Fault::Stall(rtio::Duration::from_millis(100)));
    let _ = ctx
        .acquire()
        .unwrap()
        .tiny_write(tmp.dev(), &[0])
        .userdata(1)
        .submit()
        .unwrap();
    wait_started(tmp.faults(), 1);
    let h = ctx
        .chain::<2>()
        .unwrap()
        .read(tmp.dev(), buf::<2>())
        .userdata(2)
        .read(tmp.dev(), buf::<2>())
        .userdata(3)
        .submit()
        .unwrap();
    assert_eq!(
        tmp.bus().queued(),
        1,
        "the chain's head waits behind the stalled transfer"
    );
    ctx.cancel(h.head()).unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        let c = ctx.consume().unwrap();
        got.push((
            c.userdata(),
            c.result(),
            matches!(c.buffer(), Buffer::Mut(_)),
        ));
    }
    assert_eq!(
        got,
        vec![
            (2, Err(Error::Canceled), true),
            (3, Err(Error::Canceled), true),
            (1, Ok(1), false),
        ]
    );
    assert_eq!(
        tmp.faults().transfers(),
        1,
        "the cancelled reads never reached the bus"
    );
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_stream_that_finds_the_completion_queue_full_waits_and_loses_nothing() {
    static PS: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&PS);
    static S: Storage<1, 2> = Storage::new();
    static R: Rtio = Rtio::new(&S)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let adc = Adc::ramp().device("t-cq-full", 20_000, 1024, 16);
    let h = ctx
        .acquire()
        .unwrap()
        .read_multishot(adc.dev(), Header::SIZE + 2, 64)
        .submit()
        .unwrap();
    // Nobody consumes: after one shot the completion side is full (the cell the entry
    // reserved holds it), the device keeps its next buffer and the FIFO fills meanwhile.
    let t0 = StdInstant::now();
    while adc.stalls() == 0 {
        assert!(
            t0.elapsed() < StdDuration::from_secs(5),
            "shots find the completion side full"
        );
        std::thread::sleep(StdDuration::from_millis(1));
    }
    std::thread::sleep(StdDuration::from_millis(10));
    let mut samples = Vec::new();
    let mut seqs = Vec::new();
    let mut canceled = false;
    loop {
        let mut c = ctx.consume().unwrap();
        if let Buffer::Pool(p) = c.take_buffer() {
            let hdr = Header::read(&p).unwrap();
            seqs.push(hdr.seq);
            let data = &p[Header::SIZE..Header::SIZE + 2 * hdr.frames as usize];
            samples.extend(data.chunks(2).map(|b| u16::from_le_bytes([b[0], b[1]])));
        }
        if !c.more() {
            assert_eq!(c.result(), Err(Error::Canceled));
            break;
        }
        if samples.len() >= 600 && !canceled {
            adc.stop();
            ctx.cancel(h.head()).unwrap();
            canceled = true;
        }
    }
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no buffer lost: {seqs:?}"
    );
    // No sample lost silently: every gap in the ramp is a counted overrun (on an idle host
    // there are none: the 1024-sample FIFO rides out the wait).
    let gaps: u64 = samples
        .windows(2)
        .map(|w| (w[1] as u64 + 4096 - w[0] as u64 - 1) % 4096)
        .sum();
    assert_eq!(samples[0], 0);
    assert!(
        gaps <= adc.overruns() as u64,
        "gaps {gaps} > overruns {}",
        adc.overruns()
    );
    if adc.overruns() == 0 {
        assert!(samples
            .iter()
            .enumerate()
            .all(|(i, &v)| v as usize == i % 4096));
    }
    assert_eq!(POOL.free_blocks(), 8);
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn dropping_a_chain_future_mid_transfer_cancels_the_rest_and_gives_the_entries_back() {
    use core::future::Future;
    static S: Storage<2, 2> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let tmp = Bus::i2c("t-orphan", 10_000).attach_i2c(0x48, Tmp105::new(1.0));
    let fut = ctx
        .chain::<2>()
        .unwrap()
        .tiny_write(tmp.dev(), &[0])
        .read(tmp.dev(), buf::<2>())
        .run()
        .unwrap();
    let mut fut = Box::pin(fut);
    let waker = rtio::wait::sev_waker();
    let mut cx = core::task::Context::from_waker(&waker);
    assert!(
        fut.as_mut().poll(&mut cx).is_pending(),
        "the write takes 2 ms on the bus"
    );
    drop(fut); // e.g. a select! that took another branch
               // S16: the chain is cancelled: the queued read comes back at once; the write, queued
               // on the bus or in flight, is aborted by the bus's cancel hook or lands.
    let one = ctx
        .chain::<1>()
        .expect("the cancelled read's entry came back");
    drop(one);
    let t0 = StdInstant::now();
    while ctx.chain::<2>().is_err() {
        assert!(
            t0.elapsed() < StdDuration::from_secs(5),
            "both came back once the transfers landed"
        );
        std::thread::sleep(StdDuration::from_millis(1));
    }
}

/// An I2C target that records the bus events it sees.
#[derive(Default)]
struct Recorder(Vec<std::string::String>);
impl I2cTarget for Recorder {
    fn start(&mut self, read: bool) -> Result<(), Error> {
        self.0.push(if read { "Sr".into() } else { "Sw".into() });
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.0.push(std::format!("W{}", data.len()));
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        self.0.push(std::format!("R{}", buf.len()));
        Ok(())
    }
    fn stop(&mut self) {
        self.0.push("P".into());
    }
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn i2c_transactions_follow_the_embedded_hal_framing() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let rec = Bus::i2c("t-framing", 1_000_000).attach_i2c(0x30, Recorder::default());
    let d = rec.dev();
    // One transaction: write, write (no new START), read (repeated START), one STOP.
    ctx.chain::<3>()
        .unwrap()
        .tiny_write(d, &[1])
        .transaction()
        .tiny_write(d, &[2, 3])
        .transaction()
        .read(d, buf::<4>())
        .wait()
        .unwrap();
    // A plain chain: each entry its own START ... STOP.
    ctx.chain::<2>()
        .unwrap()
        .tiny_write(d, &[1])
        .read(d, buf::<1>())
        .wait()
        .unwrap();
    let events = rec.with(|r| r.0.join(" "));
    assert_eq!(events, "Sw W1 W2 Sr R4 P Sw W1 P Sr R1 P");
}

/// A SPI target that records chip-select and transfer events.
#[derive(Default)]
struct CsRecorder(Vec<std::string::String>);
impl SpiTarget for CsRecorder {
    fn select(&mut self) {
        self.0.push("CS".into());
    }
    fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result<(), Error> {
        self.0.push(std::format!("T{}/{}", tx.len(), rx.len()));
        Ok(())
    }
    fn deselect(&mut self) {
        self.0.push("/CS".into());
    }
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn spi_transactions_hold_chip_select() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let rec = Bus::spi("t-cs", 8_000_000).attach_spi(3, CsRecorder::default());
    let d = rec.dev();
    ctx.chain::<3>()
        .unwrap()
        .tiny_write(d, &[0x9F])
        .transaction()
        .read(d, buf::<3>())
        .transaction()
        .transceive(d, &[1, 2], buf::<2>())
        .wait()
        .unwrap();
    ctx.chain::<2>()
        .unwrap()
        .tiny_write(d, &[0x9F])
        .read(d, buf::<3>())
        .wait()
        .unwrap();
    let events = rec.with(|r| r.0.join(" "));
    assert_eq!(events, "CS T1/0 T0/3 T2/2 /CS CS T1/0 /CS CS T0/3 /CS");
}

#[test]
fn tmp105_resolution_follows_the_config_register() {
    let mut t = Tmp105::new(19.3125); // 0x135 in 1/16 °C
    let read = |t: &mut Tmp105| {
        let mut b = [0u8; 2];
        t.write(&[0x00]).unwrap();
        t.read(&mut b).unwrap();
        Tmp105::decode(b)
    };
    assert_eq!(read(&mut t), 19.3125, "12 bits: 0.0625 °C");
    t.write(&[0x01, 0x00]).unwrap();
    assert_eq!(read(&mut t), 19.0, "9 bits: 0.5 °C");
    t.write(&[0x01, 0x20]).unwrap();
    assert_eq!(read(&mut t), 19.25, "10 bits: 0.25 °C");
    t.write(&[0x01, 0x40]).unwrap();
    assert_eq!(read(&mut t), 19.25, "11 bits: 0.125 °C");
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn a_hung_fifo_device_is_recovered_by_link_timeout() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let uart = Uart::device("t-uart-hang", 1_000_000, 64);
    uart.faults().next(Fault::Hang);
    uart.inject(b"hi"); // the data is there, but the device does not answer
    let [r, lt] = ctx
        .chain::<2>()
        .unwrap()
        .read(uart.dev(), buf::<2>())
        .link_timeout(rtio::Duration::from_millis(10))
        .wait()
        .unwrap();
    assert_eq!(
        (r.result(), lt.result()),
        (Err(Error::TimedOut), Err(Error::TimedOut))
    );
    assert!(matches!(r.buffer(), Buffer::Mut(_)), "buffer back");
    // The cancel hook ended the hang: the next read gets the bytes.
    let [mut r] = ctx
        .acquire()
        .unwrap()
        .read(uart.dev(), buf::<2>())
        .wait()
        .unwrap();
    assert_eq!(r.result(), Ok(2));
    assert!(matches!(r.take_buffer(), Buffer::Mut(b) if b == b"hi"));
}

#[test]
#[cfg_attr(miri, ignore = "real-time simulation threads")]
fn await_on_a_device_holds_its_bus_until_signalled_or_cancelled() {
    static S: Storage<4, 4> = Storage::new();
    static R: Rtio = Rtio::new(&S).with_clock(&rtio::time::STD_CLOCK);
    let ctx = R.claim().unwrap();
    let bus = Bus::i2c("t-await", 1_000_000);
    let tmp = bus.attach_i2c(0x48, Tmp105::new(1.0));
    let ee = bus.attach_i2c(0x50, At24c::new(256, 8));
    bus.record();
    for cancel in [false, true] {
        let h = ctx
            .acquire()
            .unwrap()
            .await_on(tmp.dev())
            .userdata(1)
            .submit()
            .unwrap();
        // Another device on the same bus waits behind the held bus.
        let _ = ctx
            .acquire()
            .unwrap()
            .tiny_write(ee.dev(), &[0, 0])
            .userdata(2)
            .submit()
            .unwrap();
        std::thread::sleep(StdDuration::from_millis(20));
        assert!(!ctx.has_completion(), "the bus is held by the AWAIT");
        if cancel {
            ctx.cancel(h.head()).unwrap();
        } else {
            R.signal(h.head()).unwrap();
        }
        let got = seen(&ctx, 2);
        let first = if cancel { Err(Error::Canceled) } else { Ok(0) };
        assert_eq!(got, vec![(1, first), (2, Ok(2))]);
    }
    let t = bus.trace();
    let shape: Vec<(u8, usize)> = t.iter().map(|t| (t.device, t.bytes)).collect();
    assert_eq!(shape, vec![(0x48, 0), (0x50, 2), (0x48, 0), (0x50, 2)]);
    assert!(t[0].end_us - t[0].start_us >= 15_000, "held about 20 ms");
    // A signal that comes first lets the AWAIT complete as soon as the bus reaches it.
    let h = ctx
        .acquire()
        .unwrap()
        .await_on(tmp.dev())
        .userdata(3)
        .prepare()
        .unwrap();
    R.signal(h.head()).unwrap();
    ctx.submit(1).unwrap();
    assert_eq!(seen(&ctx, 1), vec![(3, Ok(0))]);
}
