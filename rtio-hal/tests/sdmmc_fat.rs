//! Evidence: the `embedded-sdmmc` crate from crates.io, unchanged, opens a FAT volume on the
//! simulated SD card through the SPI adapter (`SpiHandle` as its `SpiDevice`, `Delay` as
//! its `DelayNs`), reads a file made by mtools, writes one, and the host's own FAT tools read
//! the result back: `mdir`/`mtype` (mtools) see the file and its bytes, `fsck.fat -n`
//! (dosfstools) finds the file system clean.
//!
//! The image is made here with `mkfs.vfat` and `mcopy`; the only user code on the driver's
//! side is constructing the adapters. Without the tools the test fails and says which
//! package is missing (`.ci/run` installs them).

use embedded_sdmmc::{Mode, SdCard as Sdmmc, TimeSource, Timestamp, VolumeIdx, VolumeManager};
use rtio::{Mempool, PoolStorage, Rtio, Storage};
use rtio_hal::{Delay, SpiHandle};
use rtio_sim::{Bus, CardType, SdCard};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Disk layout: an MBR, the FAT partition from 1 MiB on.
const DISK_MIB: u64 = 32;
const PART_LBA: u64 = 2048;

/// Finds a tool on PATH or in the sbin directories, or fails saying which package has it.
fn tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]);
    for d in dirs {
        let p = d.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` not found: this evidence test needs the `{package}` package \
         (apt-get install dosfstools mtools; .ci/run installs both)"
    );
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{text}",
        out.status
    );
    text
}

struct Clock;
impl TimeSource for Clock {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp::from_calendar(2026, 12, 3, 8, 0, 0).unwrap()
    }
}

/// A scratch directory of this test, removed when dropped.
struct Scratch(PathBuf);
impl Scratch {
    fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("rtio-sdmmc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes `disk`: an MBR with one FAT16 (LBA) partition holding `HELLO.TXT`, formatted by
/// `mkfs.vfat` and filled by `mcopy`.
fn make_disk(dir: &Scratch, disk: &Path, hello: &[u8]) {
    let part = dir.path("part.img");
    let part_kib = (DISK_MIB * 1024) - PART_LBA / 2;
    run(Command::new(tool("mkfs.vfat", "dosfstools"))
        .args(["-F", "16", "-n", "RTIO", "-C"])
        .arg(&part)
        .arg(part_kib.to_string()));
    let src = dir.path("hello.txt");
    std::fs::write(&src, hello).unwrap();
    run(Command::new(tool("mcopy", "mtools"))
        .arg("-i")
        .arg(&part)
        .arg(&src)
        .arg("::HELLO.TXT"));
    let mut image = vec![0u8; (DISK_MIB << 20) as usize];
    let entry = &mut image[446..462];
    entry[0] = 0x00; // not bootable
    entry[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]); // CHS: use LBA
    entry[4] = 0x0E; // FAT16, LBA
    entry[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    entry[8..12].copy_from_slice(&(PART_LBA as u32).to_le_bytes());
    entry[12..16].copy_from_slice(&((part_kib * 2) as u32).to_le_bytes());
    image[510] = 0x55;
    image[511] = 0xAA;
    let p = std::fs::read(&part).unwrap();
    let off = (PART_LBA * 512) as usize;
    image[off..off + p.len()].copy_from_slice(&p);
    std::fs::write(disk, image).unwrap();
}

/// Copies the partition back out of `disk` for the host tools.
fn extract_partition(dir: &Scratch, disk: &Path) -> PathBuf {
    let image = std::fs::read(disk).unwrap();
    let out = dir.path("after.img");
    std::fs::write(&out, &image[(PART_LBA * 512) as usize..]).unwrap();
    out
}

/// What the driver wrote: more than a cluster of FAT16 at this size (2 KiB), so the file
/// spans clusters and the FAT chain matters.
fn payload() -> Vec<u8> {
    (0..5000u32)
        .map(|i| b"rtio over embedded-sdmmc\n"[i as usize % 25])
        .collect()
}

/// Whether the driver can state the capacity of a card of this type.
///
/// embedded-sdmmc 0.9 reads the CSD of a version 2.0 standard-capacity card (`SD2`) as CSD
/// version 2.0, but those cards carry CSD version 1.0 (the specification keeps 2.0 for high
/// capacity), so its `num_bytes` is wrong for them, as it would be on such a real card.
/// Block access does not depend on it.
fn capacity_known(kind: CardType) -> bool {
    kind != CardType::Sdsc2
}

fn evidence(tag: &str, kind: CardType, rtio: &'static Rtio) {
    let dir = Scratch::new(tag);
    let disk = dir.path("disk.img");
    let hello = b"made by mtools\n";
    make_disk(&dir, &disk, hello);

    // The simulated card on the disk image (write-through), on a 25 MHz SPI bus.
    let card = Bus::spi(&format!("sdmmc-{tag}"), 25_000_000)
        .attach_spi(0, SdCard::open(kind, &disk).unwrap());
    let ctx = rtio.claim().unwrap();
    let t0 = std::time::Instant::now();

    // The driver's side: the adapters, then embedded-sdmmc as its README shows it.
    let sdcard = Sdmmc::new(SpiHandle::new(&ctx, card.dev()), Delay::new(&ctx));
    let bytes = sdcard.num_bytes().unwrap(); // initialises the card: CMD0, CMD8, ACMD41...
    if capacity_known(kind) {
        assert_eq!(bytes, DISK_MIB << 20, "capacity from the CSD");
    }
    let volumes = VolumeManager::new(sdcard, Clock);
    let volume = volumes.open_volume(VolumeIdx(0)).unwrap();
    let root = volume.open_root_dir().unwrap();
    let mut read_back = Vec::new();
    {
        let f = root.open_file_in_dir("HELLO.TXT", Mode::ReadOnly).unwrap();
        while !f.is_eof() {
            let mut b = [0u8; 64];
            let n = f.read(&mut b).unwrap();
            read_back.extend_from_slice(&b[..n]);
        }
    }
    assert_eq!(read_back, hello, "the driver reads the file mtools wrote");
    let data = payload();
    {
        let f = root
            .open_file_in_dir("RTIO.TXT", Mode::ReadWriteCreateOrTruncate)
            .unwrap();
        for chunk in data.chunks(700) {
            f.write(chunk).unwrap();
        }
        f.flush().unwrap();
    }
    drop(root);
    drop(volume);
    let (card_reads, card_writes, crc_on) = card.with(|c| (c.reads(), c.writes(), c.crc_enabled()));
    assert!(
        crc_on,
        "embedded-sdmmc turns CRC on (CMD59): every block was checked"
    );
    assert!(card_writes >= 4, "{card_writes} blocks written");
    assert!(card_reads > 0);
    // Figures (printed with --nocapture; they do not decide the test).
    eprintln!(
        "{tag}: {} bus transfers, {card_reads} blocks read, {card_writes} written, in {:?}",
        card.bus().transfers(),
        t0.elapsed()
    );

    // The host's FAT tools read what the driver wrote.
    let part = extract_partition(&dir, &disk);
    let fsck = run(Command::new(tool("fsck.fat", "dosfstools"))
        .arg("-n")
        .arg(&part));
    // The label, HELLO.TXT and RTIO.TXT; one cluster (2 KiB) for HELLO, three for RTIO.
    assert!(
        fsck.contains(" 3 files, 4/")
            && !fsck.contains("Dirty")
            && !fsck.to_lowercase().contains("error"),
        "fsck.fat -n:\n{fsck}"
    );
    let listing = run(Command::new(tool("mdir", "mtools"))
        .arg("-i")
        .arg(&part)
        .arg("::"));
    assert!(
        listing.contains("RTIO") && listing.contains("TXT"),
        "mdir:\n{listing}"
    );
    assert!(
        listing.contains(&data.len().to_string()),
        "mdir size:\n{listing}"
    );
    let typed = Command::new(tool("mtype", "mtools"))
        .arg("-i")
        .arg(&part)
        .arg("::RTIO.TXT")
        .output()
        .unwrap();
    assert!(typed.status.success());
    assert_eq!(typed.stdout, data, "mtype reads back the driver's bytes");
}

#[test]
#[cfg_attr(miri, ignore = "host tools and real-time simulation threads")]
fn embedded_sdmmc_writes_a_fat_file_on_sdhc_that_mtools_and_fsck_read_clean() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    evidence("sdhc", CardType::Sdhc, &RTIO);
}

#[test]
#[cfg_attr(miri, ignore = "host tools and real-time simulation threads")]
fn embedded_sdmmc_writes_a_fat_file_on_a_version_1_sdsc_card() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    evidence("sdsc1", CardType::Sdsc1, &RTIO);
}

#[test]
#[cfg_attr(miri, ignore = "host tools and real-time simulation threads")]
fn embedded_sdmmc_writes_a_fat_file_on_a_version_2_sdsc_card_byte_addressed() {
    static POOL_STORAGE: PoolStorage<8, 64> = PoolStorage::new();
    static POOL: Mempool = Mempool::new(&POOL_STORAGE);
    static STORAGE: Storage<8, 8> = Storage::new();
    static RTIO: Rtio = Rtio::new(&STORAGE)
        .with_pool(&POOL)
        .with_clock(&rtio::time::STD_CLOCK);
    evidence("sdsc2", CardType::Sdsc2, &RTIO);
}
