#!/usr/bin/env python3
"""Builds every firmware program and runs each under qemu-system-arm -M lm3s6965evb.

Each test starts QEMU with the devices it needs, drives it (stdin for UART0, QMP for
qom-set and screendump), collects stdout (semihosting and UART0 share it) and compares it
with examples/firmware/expected/<name>.txt. Expected lines starting with `re:` are regular
expressions (full match). Ends with a line `N passed, M failed`; exits 1 on failure.

Needs: python3 (standard library only), qemu-system-arm, cargo with thumbv7m-none-eabi.
"""
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FW = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(FW))
TARGET = "thumbv7m-none-eabi"
QEMU = os.environ.get("QEMU", "qemu-system-arm")
BASE = [QEMU, "-M", "lm3s6965evb", "-display", "none",
        "-semihosting-config", "enable=on,target=native", "-serial", "stdio"]
TIMEOUT = float(os.environ.get("QEMU_TEST_TIMEOUT", "90"))


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR") or os.path.join(FW, "target")


def elf(name):
    return os.path.join(target_dir(), TARGET, "release", name)


def build():
    print("building firmware (release) ...", flush=True)
    r = subprocess.run(["cargo", "build", "--release", "--bins"], cwd=FW)
    return r.returncode == 0


# ---- QEMU session ----------------------------------------------------------------------------

# Lines QEMU prints on stderr that are not device errors (fact sheet §1: every start prints
# the first one). Anything else on stderr, or in the `-d guest_errors,unimp` log, fails the
# test: a register the model does not implement, an unknown OLED command, a bad SD state.
STDERR_ALLOWED = [
    r"Timer with period zero, disabling",
]
# `-d unimp` entries that are expected. Each names the register and why it is written.
LOG_ALLOWED = [
]

# Every QEMU started by the current test; run_test kills them all when the test ends.
LIVE = []


class Qemu:
    """One QEMU run, in its own process group: raw stdout bytes (UART0 and semihosting share
    it) and its lines in a queue, stdin for UART0, optional QMP. A watchdog kills it after
    TIMEOUT seconds."""

    def __init__(self, prog, extra=(), qmp=False, icount=False, workdir=None, args=(),
                 kernel=None):
        self.workdir = workdir
        self.name = prog
        self.qmp_path = os.path.join(workdir, "qmp.sock") if qmp else None
        self.log_path = os.path.join(workdir, "qemu-debug.log")
        base = list(BASE)
        if args:
            # Semihosting command line (SYS_GET_CMDLINE): "a b" for arg=a,arg=b.
            i = base.index("-semihosting-config")
            base[i + 1] += "".join(f",arg={a}" for a in args)
        cmd = base + ["-d", "guest_errors,unimp", "-D", self.log_path]
        if icount:
            cmd += ["-icount", "shift=0"]
        if qmp:
            if os.path.exists(self.qmp_path):
                os.unlink(self.qmp_path)
            cmd += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        cmd += list(extra) + ["-kernel", kernel or elf(prog)]
        self.args = cmd
        self.log_allowed = []  # patterns a test expects in the -d log (its subject)
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd=workdir, start_new_session=True)
        LIVE.append(self)
        self.lines = queue.Queue()
        self.out = []
        self.raw = bytearray()
        self.err = b""
        self.killed = None
        self._done = threading.Event()
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._readers:
            t.start()
        threading.Thread(target=self._watchdog, daemon=True).start()
        self.qmp = None
        self.post = None  # extra output lines computed after the run (card image, ...)

    def _read(self):
        pending = b""
        while True:
            chunk = self.p.stdout.read1(65536)
            if not chunk:
                break
            self.raw += chunk
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                self.out.append(line)
                self.lines.put(line)
        if pending:
            line = pending.decode("utf-8", "replace").rstrip("\r")
            self.out.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        self.err = self.p.stderr.read()

    def _watchdog(self):
        if not self._done.wait(TIMEOUT):
            self.kill(f"still running after {TIMEOUT:.0f} s")

    def kill(self, why):
        """Kills QEMU (its whole process group) if it still runs; records why."""
        if self.p.poll() is None:
            self.killed = why
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._done.set()

    def expect(self, pattern, timeout=20.0):
        """Waits for a stdout line matching `pattern` (regex search); returns the match."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError(f"no line matching {pattern!r} within {timeout:.0f} s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise EOFError(f"QEMU ended before a line matching {pattern!r}")
            m = re.search(pattern, line)
            if m:
                return m

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass

    def qmp_cmd(self, execute, **arguments):
        if self.qmp is None:
            for _ in range(100):
                if os.path.exists(self.qmp_path):
                    break
                time.sleep(0.05)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(20)
            s.connect(self.qmp_path)
            self.qmp = s.makefile("rw")
            self.qmp.readline()  # greeting
            self._qmp_send("qmp_capabilities", {})
        return self._qmp_send(execute, arguments)

    def _qmp_send(self, execute, arguments):
        msg = {"execute": execute}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.write(json.dumps(msg) + "\n")
        self.qmp.flush()
        while True:
            r = json.loads(self.qmp.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError(f"QMP {execute}: {r['error']}")
            # events are skipped

    def hmp(self, line):
        return self.qmp_cmd("human-monitor-command", **{"command-line": line})

    def icount(self):
        """QEMU's instruction counter (`-icount`): virtual nanoseconds at shift=0 while the
        guest never idles."""
        return self.qmp_cmd("query-replay")["icount"]

    def wait(self, timeout=None):
        """Waits for QEMU to exit (killing it after `timeout` s); returns its exit status."""
        try:
            rc = self.p.wait(timeout=timeout if timeout is not None else TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill(f"did not exit within {timeout if timeout is not None else TIMEOUT:.0f} s")
            rc = self.p.wait()
        self._done.set()
        for t in self._readers:
            t.join(timeout=5)
        return rc

    def device_errors(self):
        """stderr lines and debug-log lines that are not on the allow-lists."""
        bad = []
        for l in self.err.decode("utf-8", "replace").splitlines():
            if l.strip() and not any(re.search(a, l) for a in STDERR_ALLOWED):
                bad.append(f"stderr: {l}")
        try:
            with open(self.log_path, errors="replace") as f:
                for l in f:
                    l = l.rstrip("\n")
                    if l.strip() and not any(re.search(a, l)
                                             for a in LOG_ALLOWED + self.log_allowed):
                        bad.append(f"-d log: {l}")
        except FileNotFoundError:
            pass
        return bad


# ---- images ------------------------------------------------------------------------------------

def read_ppm(path):
    """(w, h, rgb, problems) of a binary PPM; `problems` lists what is wrong with the file
    (header, maxval, a pixel array that is not exactly w*h*3 bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        return 0, 0, b"", [f"{path} is not a binary PPM (starts {data[:16]!r})"]
    w, h, maxval = int(m[1]), int(m[2]), int(m[3])
    rgb = data[m.end():]
    problems = []
    if maxval != 255:
        problems.append(f"PPM maxval {maxval}, expected 255")
    if len(rgb) != w * h * 3:
        problems.append(f"PPM pixel data is {len(rgb)} bytes, {w}x{h} needs {w * h * 3}")
    return w, h, rgb, problems


def write_png(path, w, h, rgb):
    raw = b"".join(b"\x00" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def fnv1a(data, h=0x811C9DC5):
    """FNV-1a, 32 bits: the digest the firmware prints (src/report.rs)."""
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def shown(data):
    """Bytes as text, non-printable ones as `.`."""
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)


def yes(b):
    return "true" if b else "false"


def seed_for(name):
    """Seed of the random fills of one test: RTIO_SEED, or fresh each run (printed on
    failure, so a failing run can be repeated)."""
    env = os.environ.get("RTIO_SEED")
    return int(env) if env else int.from_bytes(os.urandom(4), "little")


def printable(rng, n):
    """n random printable bytes with a newline every 40-80 bytes (never CR)."""
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_+*=/()"
    out = bytearray()
    nl = rng.randint(40, 80)
    for i in range(n):
        if i == nl:
            out += b"\n"
            nl += rng.randint(40, 80)
        else:
            out.append(alphabet[rng.randrange(len(alphabet))])
    return bytes(out)


# ---- sizes ---------------------------------------------------------------------------------------

def elf_sizes(path):
    """(flash, ram, rtio_flash) of an ARM ELF32: flash = alloc sections that occupy the image
    (text, rodata, vector table, .data's load copy), RAM = .data + .bss + .uninit; rtio_flash =
    sizes of the functions and objects whose mangled path starts in the `rtio` crate."""
    with open(path, "rb") as f:
        d = f.read()
    assert d[:4] == b"\x7fELF" and d[4] == 1, "not an ELF32 file"
    shoff, = struct.unpack_from("<I", d, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x2E)
    secs = []
    for i in range(shnum):
        name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
            "<IIIIIIIIII", d, shoff + i * shentsize)
        secs.append(dict(name=name, type=typ, flags=flags, addr=addr, off=off, size=size,
                         link=link, entsize=entsize))
    strtab = secs[shstrndx]

    def sname(s, tab=strtab):
        start = tab["off"] + s
        return d[start:d.index(b"\0", start)].decode()
    flash = ram = 0
    flash_ranges = []
    for s in secs:
        n = sname(s["name"])
        alloc = s["flags"] & 0x2
        if not alloc or s["size"] == 0:
            continue
        nobits = s["type"] == 8
        if n in (".data",):
            flash += s["size"]
            ram += s["size"]
        elif nobits:
            ram += s["size"]
        else:
            flash += s["size"]
            flash_ranges.append((s["addr"], s["addr"] + s["size"]))
    rtio = 0
    for s in secs:
        if s["type"] != 2:  # SHT_SYMTAB
            continue
        tab = secs[s["link"]]
        for i in range(s["size"] // 16):
            st_name, value, size, info, other, shndx = struct.unpack_from(
                "<IIIBBH", d, s["off"] + i * 16)
            if size == 0 or (info & 0xF) not in (1, 2):  # OBJECT, FUNC
                continue
            name = sname(st_name, tab)
            if not (name.startswith("_ZN4rtio") or name.startswith("_RNvNtCs") and "4rtio" in name[:20]):
                continue
            addr = value & ~1
            if any(a <= addr < b for a, b in flash_ranges):
                rtio += size
    return flash, ram, rtio


def update_readme(marker, rows):
    """With RTIO_UPDATE_README=1: puts `rows` between the README's marker comments."""
    if os.environ.get("RTIO_UPDATE_README") != "1" or not rows:
        return
    path = os.path.join(REPO, "README.md")
    with open(path) as f:
        text = f.read()
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    if begin not in text or end not in text:
        return
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + "\n".join(rows) + "\n" + end + tail)


def print_block(title, lines):
    print(f"  {title}:")
    for l in lines:
        print("    " + l)


def size_table():
    rows = ["| program | flash (bytes) | RAM (bytes) | rtio runtime in flash |", "|---|---:|---:|---:|"]
    for prog in PROGRAMS:
        try:
            fl, ram, rt = elf_sizes(elf(prog))
        except (OSError, AssertionError, ValueError) as e:
            rows.append(f"| {prog} | ? | ? | {e} |")
            continue
        rows.append(f"| {prog} | {fl} | {ram} | {rt} ({100 * rt / fl:.0f} %) |")
    return rows


PROGRAMS = ["minimal", "tmp105", "eeprom", "i2c_to_sd", "oled", "uart_echo", "adc_stream", "gamepad", "bench"]


# ---- the tests ---------------------------------------------------------------------------------
#
# A test function gets its work directory (under target/qemu-test/, the only place tests
# write) and returns a Qemu (or Done). Its output lines, plus the lines its `post` computes
# after the run (what the runner found in the device images, ...), are compared with
# expected/<test>.txt. `EXPECT_RC` lists tests whose program must fail (exit status 1).

EXPECT_RC = {}


def t_tmp105(wd):
    q = Qemu("tmp105", ["-device", "tmp105,bus=i2c,address=0x48,id=t0"], qmp=True, workdir=wd)
    q.expect("tmp105: ready")
    # milli-°C; the model truncates to 1/256 °C, the firmware reads 12 bits (1/16 °C).
    for milli in (25563, -12500, 100000, 0, -40000):
        q.qmp_cmd("qom-set", path="/machine/peripheral/t0", property="temperature", value=milli)
        q.send(b"g")
        q.expect(r"tmp105: 0x")
    q.send(b"q")
    return q


EEPROM_SIZE = 512  # the smallest at24c with a backing file (fact sheet §7)
EEPROM_WRITES = {0x0010: b"hello, rtio!", 0x0100: b"The quick brown fox jumps over!!"}


def t_eeprom(wd):
    """The EEPROM's backing file starts as random bytes; afterwards the bytes the program
    wrote must be there and every other byte unchanged."""
    seed = seed_for("eeprom")
    before = random.Random(seed).randbytes(EEPROM_SIZE)
    img = os.path.join(wd, "eeprom.bin")
    with open(img, "wb") as f:
        f.write(before)
    q = Qemu("eeprom", ["-device", "tmp105,bus=i2c,address=0x48,id=t0",
                        "-drive", f"if=none,id=eed,file={img},format=raw",
                        "-device", f"at24c-eeprom,bus=i2c,address=0x50,rom-size={EEPROM_SIZE},drive=eed"],
              workdir=wd)
    q.seed = seed

    def inspect():
        with open(img, "rb") as f:
            after = f.read()
        want = bytearray(before)
        for at, data in EEPROM_WRITES.items():
            want[at:at + len(data)] = data
        lines = []
        for at, data in EEPROM_WRITES.items():
            got = after[at:at + len(data)]
            lines.append(f"eeprom image: at {at:#06x}: {shown(got)!r}")
        diff = [i for i in range(max(len(after), len(want)))
                if i >= len(after) or i >= len(want) or after[i] != want[i]]
        lines.append(f"eeprom image: {len(after)} bytes, {len(diff)} differ from the expected "
                     f"image" + (f" (first at {diff[0]:#06x})" if diff else ""))
        m = [re.search(r"32 bytes at 0x01e0: Ok\(32\), fnv (0x[0-9a-f]+)", l) for l in q.out]
        got = next((x[1] for x in m if x), None)
        lines.append(f"eeprom image: the program read the file's bytes at 0x01e0: "
                     f"{yes(got == f'{fnv1a(before[0x1E0:0x200]):#010x}')}")
        return lines
    q.post = inspect
    return q


SD_SIZE = 1 << 20  # a power of two (fact sheet §6); 2048 blocks, SDSC (byte addresses)
SD_TEXT = "written once the OLED's AWAIT released the bus\n"


def sd_block(text):
    b = text.encode()
    return b + bytes(512 - len(b))


def sd_test(wd, args=(), sensor=True, records_at=1, records=4, bus_hold=True):
    """i2c_to_sd on a card image of random bytes; afterwards the runner checks every block:
    the ones the program should write hold exactly their record, every other byte is as
    before."""
    seed = seed_for("i2c_to_sd")
    before = random.Random(seed).randbytes(SD_SIZE)
    img = os.path.join(wd, "sd.img")
    with open(img, "wb") as f:
        f.write(before)
    dev = ["-device", "tmp105,bus=i2c,address=0x48,id=t0"] if sensor else []
    q = Qemu("i2c_to_sd", ["-S", *dev, "-drive", f"if=sd,format=raw,file={img}"],
             qmp=True, workdir=wd, args=args)
    q.seed = seed
    if sensor:
        # Paused (-S): the device reset is over, so the temperature set now sticks.
        q.qmp_cmd("qom-set", path="/machine/peripheral/t0", property="temperature", value=21250)
    q.qmp_cmd("cont")
    want = {}
    for i in range(records):
        if (records_at + i) * 512 < SD_SIZE:
            want[records_at + i] = sd_block(f"rtio record {i}: 21.2500 C\n")
    if bus_hold:
        want[6] = want[7] = sd_block(SD_TEXT)

    def card():
        with open(img, "rb") as f:
            after = f.read()
        lines = []
        for blk in sorted(want):
            got = after[blk * 512:(blk + 1) * 512]
            text = shown(got.split(b"\n")[0][:48])
            first = next((i for i, (a, b) in enumerate(zip(got, want[blk])) if a != b), None)
            ok = ("exact" if got == want[blk] else
                  f"NOT the expected 512 bytes (first difference at byte {first})")
            lines.append(f"card block {blk}: {text!r}: {ok}")
        changed = [blk for blk in range(SD_SIZE // 512) if blk not in want
                   and after[blk * 512:(blk + 1) * 512] != before[blk * 512:(blk + 1) * 512]]
        lines.append(f"card: {len(after)} bytes; blocks changed that the program should not "
                     f"write: {changed[:8] if changed else 'none'}")
        return lines
    q.post = card
    return q


def t_i2c_to_sd(wd):
    return sd_test(wd)


def t_i2c_to_sd_no_sensor(wd):
    """Without the TMP105 the first record's chain fails at its pointer write (Nack); the
    program must say so, not `Canceled`, and write nothing."""
    return sd_test(wd, sensor=False, records=0, bus_hold=False)


EXPECT_RC["i2c_to_sd_no_sensor"] = 1


def t_i2c_to_sd_past_end(wd):
    """Records from block 2046 of a 2048-block card: the third write is past the end; the
    card answers with an address error and the program must report that entry and error."""
    q = sd_test(wd, args=["first-block=2046"], records_at=2046, records=4, bus_hold=False)
    # QEMU's card logs the refused write (a guest error): here it is the subject.
    q.log_allowed.append(r"^WRITE_BLOCK offset 1048576 > card 1048576 \[%512\]$")
    return q


EXPECT_RC["i2c_to_sd_past_end"] = 1


def read_png(path):
    """Decodes the PNGs this runner writes (8-bit RGB, filter 0 on every row)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if t == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif t == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * 3 + 1
    return w, h, b"".join(raw[y * stride + 1:(y + 1) * stride] for y in range(h))


def t_oled(wd):
    q = Qemu("oled", [], qmp=True, workdir=wd)
    q.expect("oled: frame on screen")
    shot = os.path.join(wd, "oled.ppm")
    q.hmp(f"screendump {shot}")  # returns once the file is written
    q.send(b"g")
    w, h, rgb, problems = read_ppm(shot)
    expected = os.path.join(FW, "expected", "oled.png")
    if os.environ.get("RTIO_BLESS") == "1" and not problems:
        write_png(expected, w, h, rgb)
    ew, eh, ergb = read_png(expected)
    # Every pixel of both images; a pixel missing on either side counts as different.
    n = max(len(rgb), len(ergb)) // 3
    bad = sum(1 for i in range(0, n * 3, 3) if rgb[i:i + 3] != ergb[i:i + 3])
    lines = [f"screendump {w}x{h} ({len(rgb)} bytes of pixels), expected {ew}x{eh} "
             f"({len(ergb)} bytes), {bad} pixels differ"] + problems
    if not problems:
        # To look at (docs/oled.png is a copy of it, made by hand): under target/ only.
        write_png(os.path.join(os.path.dirname(wd), "oled.png"), w, h, rgb)
    q.post = lambda: lines
    return q


UART_RING = 1024  # drivers/uart.rs RING
UART_POOL = 64  # uart_echo's pool: 4 blocks of 16 bytes


def uart_session(q, echo, pace=None, stream=(b"a stream ", b"of bytes\n"), overflow=4096,
                 seed=0):
    """Drives uart_echo: `echo` into the echo phase (in one write, or in 64-byte chunks at
    `pace` bytes/s), `stream` parts into the stream phase, `overflow` bytes into the slow
    consumer. Checks from outside what came back; returns the lines to compare."""
    rng = random.Random(seed)
    lines = []
    q.expect(r"^uart: ready$")
    start = bytes(q.raw).index(b"uart: ready\n") + len(b"uart: ready\n")
    if pace:
        for i in range(0, len(echo), 64):
            q.send(echo[i:i + 64])
            time.sleep(64 / pace)
    else:
        q.send(echo)
    m = q.expect(r"uart: echoed (\d+) bytes", timeout=60)
    raw = bytes(q.raw)
    end = raw.index(b"uart: echoed", start)
    back = raw[start:end]
    first = next((i for i, (a, b) in enumerate(zip(back, echo)) if a != b),
                 None if len(back) == len(echo) else min(len(back), len(echo)))
    lines.append(f"uart (outside): sent {len(echo)} bytes, {len(back)} came back, "
                 f"identical and in order: {yes(back == echo)}"
                 + ("" if first is None else f" (first difference at offset {first})"))
    q.cut = (start, end, len(back))
    m = q.expect(r"uart: (\d+) bytes seen on the line, (\d+) dropped")
    lines.append(f"uart (outside): the driver saw every byte sent: {yes(int(m[1]) == len(echo))}")

    q.expect(r"^uart: stream ready$")
    sent = b""
    for part in stream:
        q.send(part)
        sent += part
        time.sleep(0.05)
    m = q.expect(r"uart: (?:streamed .*\((\d+) bytes in \d+ shots, fnv (0x[0-9a-f]+)\)|"
                 r"stream idle for 1 s after (\d+) bytes .*fnv (0x[0-9a-f]+))", timeout=30)
    n, digest = (m[1], m[2]) if m[1] else (m[3], m[4])
    lines.append(f"uart (outside): stream: length and digest match the {len(sent)} bytes sent: "
                 f"{yes(int(n) == len(sent) and digest == f'{fnv1a(sent):#010x}')}")

    q.expect(r"^uart: overflow ready$")
    burst = printable(rng, overflow)
    q.send(burst)
    m = q.expect(r"uart: overflow: (\d+) bytes seen, (\d+) received \(fnv (0x[0-9a-f]+)\), "
                 r"(\d+) dropped", timeout=30)
    seen, got, digest, dropped = int(m[1]), int(m[2]), m[3], int(m[4])
    lines.append(f"uart (outside): overflow: {len(burst)} sent, all seen: {yes(seen == len(burst))}, "
                 f"the {got} received are the first {got} sent: "
                 f"{yes(digest == f'{fnv1a(burst[:got]):#010x}')}, "
                 f"dropped = sent - received: {yes(dropped == len(burst) - got)}, "
                 f"kept what the ring and the pool hold ({UART_RING} to {UART_RING + UART_POOL}): "
                 f"{yes(UART_RING <= got <= UART_RING + UART_POOL)}")
    return lines


def uart_test(wd, echo_len, pace=None, stream=None):
    seed = seed_for("uart")
    q = Qemu("uart_echo", [], workdir=wd)
    q.seed = seed
    rng = random.Random(seed)
    echo = printable(rng, echo_len) if echo_len else b"hello rtio\necho works\n"
    kw = {"stream": stream} if stream is not None else {}
    lines = uart_session(q, echo, pace=pace, seed=seed, **kw)
    q.post = lambda: lines
    return q


def t_uart_echo(wd):
    return uart_test(wd, 0)


def t_uart_burst_4k(wd):
    """4 KiB in one write (as fast as QEMU takes it); a 120-byte line in one write into the
    stream (it used to hang: its newline was dropped)."""
    line = printable(random.Random(7), 119).replace(b"\n", b" ") + b"\n"
    return uart_test(wd, 4096, stream=(line,))


def t_uart_burst_16k(wd):
    """16 KiB at 115200 8N1 line rate (11,520 bytes/s, in 64-byte chunks); a stream that
    never sends its newline must end after 1 s idle and report its length."""
    part = printable(random.Random(8), 70).replace(b"\n", b" ")
    return uart_test(wd, 16384, pace=11520, stream=(part,))


ADC_HZ = 1000
ADC_PER_TRIGGER = 2  # QEMU's ADC pushes two samples per trigger (fact sheet §10)


def t_adc_stream(wd):
    """The runner opens and closes each stream's window by QEMU's virtual clock (paused,
    icount read, command byte sent, resumed) and checks the firmware's received + dropped
    against it: one trigger of tolerance on each side."""
    q = Qemu("adc_stream", [], icount=True, qmp=True, workdir=wd)
    q.expect(r"adc: ready at 1000 Hz")
    lines = []
    for phase, hold in (("kept up", 0.6), ("stalled", 0.4)):
        q.qmp_cmd("stop")
        t0 = q.icount()
        q.send(b"g")
        q.qmp_cmd("cont")
        q.expect(r"^adc: consuming$", timeout=30)
        time.sleep(hold)
        q.qmp_cmd("stop")
        t1 = q.icount()
        q.send(b"s")
        try:
            q.qmp_cmd("cont")
        except (OSError, ValueError):
            # After the last stream the program exits at once: QEMU may close the QMP socket
            # before its reply to `cont`. Anything else is an error.
            if phase != "stalled" or q.wait(timeout=10) is None:
                raise
        m = q.expect(rf"adc: {phase}: (\d+) received \+ (\d+) dropped")
        total = int(m[1]) + int(m[2])
        triggers = (t1 - t0) * ADC_HZ // 1_000_000_000
        want = triggers * ADC_PER_TRIGGER
        ok = abs(total - want) <= ADC_PER_TRIGGER
        lines.append(f"adc (outside): {phase}: {total} samples in {(t1 - t0) // 1000} us of "
                     f"virtual time, expected {want} +- {ADC_PER_TRIGGER}: "
                     f"{'ok' if ok else 'MISMATCH'}")
    q.post = lambda: lines
    return q


def parse_budget(path):
    """(tolerance %, its floor in instructions, {figure: instructions}) from a budget file (see expected/bench-budget.txt)."""
    tol, floor, budget = None, 0, {}
    with open(path) as f:
        for l in f:
            l = l.strip()
            if not l or l.startswith("#"):
                continue
            m = re.fullmatch(r"tolerance:\s*(\d+(?:\.\d+)?)\s*%\s*"
                             r"(?:\(at least (\d+) instructions[^)]*\))?", l)
            if m:
                tol, floor = float(m[1]), int(m[2] or 0)
                continue
            name, _, n = l.rpartition(":")
            budget[name.strip()] = int(n)
    if tol is None:
        raise ValueError(f"{path}: no `tolerance: N %` line")
    return tol, floor, budget


def check_budget(test, rows):
    """Compares the `| figure | N |` rows of a bench run with expected/<test>-budget.txt: each
    figure within the stated tolerance of its budget, either way (above: a regression;
    below: the budget or the benchmark needs a look), and no figure missing on either side.
    With RTIO_BLESS=1 the budgets are rewritten from this run (the tolerance is kept)."""
    path = os.path.join(FW, "expected", f"{test}-budget.txt")
    figures = {}
    for r in rows:
        cells = [c.strip() for c in r.strip().strip("|").split("|")]
        if len(cells) == 2 and re.fullmatch(r"\d+", cells[1]):
            figures[cells[0]] = int(cells[1])
    tol, floor, budget = parse_budget(path)
    if os.environ.get("RTIO_BLESS") == "1":
        with open(path) as f:
            head = [l for l in f if l.startswith("#") or l.startswith("tolerance")]
        with open(path, "w") as f:
            f.writelines(head)
            for name, n in figures.items():
                f.write(f"{name}: {n}\n")
        budget = figures
    lines = []
    for name in list(budget) + [n for n in figures if n not in budget]:
        if name not in figures:
            lines.append(f"budget: {name}: not measured")
        elif name not in budget:
            lines.append(f"budget: {name}: {figures[name]}, no budget")
        else:
            n, b = figures[name], budget[name]
            allowed = max(b * tol / 100.0, floor)
            dev = 100.0 * (n - b) / b if b else float("inf")
            lines.append(f"budget: {name}: ok" if abs(n - b) <= allowed else
                         f"budget: {name}: {n} against {b} ({dev:+.1f} %; allowed +-{allowed:g}:"
                         f" {tol:g} %, at least {floor})")
    return lines


def bench_run(wd, test, kernel=None):
    img = os.path.join(wd, "sd.img")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    q = Qemu("bench", ["-device", "tmp105,bus=i2c,address=0x48,id=t0",
                       "-drive", f"if=sd,format=raw,file={img}"],
             icount=True, qmp=True, workdir=wd, kernel=kernel)
    # Interrupt latency of the UART and the gamepad: the program asks for each input.
    for _ in range(4):
        q.expect(r"^bench: send a byte on UART0$", timeout=60)
        q.send(b"x")
    # One edge per trial. QEMU's pin reads "pressed" until the key's first release, and its
    # gamepad model only signals changes of its own key state (initially released): so a
    # press first (no edge), then release, press, release, press.
    def key(down):
        q.qmp_cmd("input-send-event", events=[
            {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": "up"}}}])
    for i, down in enumerate((False, True, False, True)):
        q.expect(r"^bench: change a key$")
        if i == 0:
            key(True)
        key(down)

    def report():
        rows = [l for l in q.out if l.startswith("|")]
        print_block("bench (-icount shift=0, SysTick)", rows)
        if test == "bench":
            update_readme("firmware-bench", rows)
        return check_budget(test, rows)
    q.post = report
    return q


def t_bench(wd):
    return bench_run(wd, "bench")


def t_bench_masking(wd):
    """The bench program built with the masking monitor (feature `mask-monitor`): the
    longest interrupt-masked sections, checked against their budget."""
    tdir = os.path.join(target_dir(), "mask-monitor")
    r = subprocess.run(["cargo", "build", "--release", "--bin", "bench", "--features",
                        "mask-monitor", "--target-dir", tdir],
                       cwd=FW, capture_output=True, text=True)
    if r.returncode != 0:
        return Done(["mask-monitor build failed"] + r.stderr.splitlines()[-15:])
    return bench_run(wd, "bench_masking",
                     kernel=os.path.join(tdir, TARGET, "release", "bench"))


class Done:
    """A test that ran no QEMU: its output lines are already known."""

    def __init__(self, lines, rc=0):
        self.out, self.rc, self.post = lines, rc, None

    def wait(self):
        return self.rc


def t_board_dts(wd):
    """dtc accepts the board description that build.rs generates the Rust from. dtc is
    required: without it this test fails."""
    dts = os.path.join(FW, "boards", "lm3s6965evb.dts")
    dtc = shutil.which(os.environ.get("DTC", "dtc"))
    if dtc is None:
        return Done(["dtc: not found (apt-get install device-tree-compiler)"], rc=1)
    r = subprocess.run([dtc, "-I", "dts", "-O", "dtb", "-o", os.path.join(wd, "board.dtb"),
                        dts], capture_output=True, text=True)
    if r.returncode == 0 and not r.stderr.strip():
        return Done(["dtc: accepted, no warnings"])
    msgs = r.stderr.strip().splitlines()
    return Done([f"dtc: exit status {r.returncode}, {len(msgs)} lines on stderr"]
                + [f"dtc: {m}" for m in msgs[:5]])


def t_silicon_build(wd):
    """The silicon variants (repeated START, TAILR - 1) build too."""
    r = subprocess.run(["cargo", "build", "--release", "--bins", "--features", "silicon",
                        "--target-dir", os.path.join(target_dir(), "silicon")],
                       cwd=FW, capture_output=True, text=True)
    if r.returncode != 0:
        return Done(["silicon build failed"] + r.stderr.splitlines()[-15:])
    return Done(["silicon build: ok"])


def t_minimal(wd):
    return Qemu("minimal", [], workdir=wd)


def t_gamepad(wd):
    q = Qemu("gamepad", [], qmp=True, workdir=wd)
    q.expect("gamepad: ready")
    # QEMU reads the keys as pressed until their first release, so the first sendkey of a
    # key gives only its release edge.
    for key, last in (("up", "Up released"), ("up", "Up released"),
                      ("ctrl", "Select released"), ("ctrl", "Select released")):
        q.hmp(f"sendkey {key}")
        q.expect(last)
    # A press and its release in one QMP command: both edges happen before the guest runs,
    # so the pin shows one interrupt; the driver must still report both events.
    q.qmp_cmd("input-send-event", events=[
        {"type": "key", "data": {"down": d, "key": {"type": "qcode", "data": "up"}}}
        for d in (True, False)])
    return q


TESTS = {
    "board_dts": t_board_dts,
    "minimal": t_minimal,
    "tmp105": t_tmp105,
    "eeprom": t_eeprom,
    "i2c_to_sd": t_i2c_to_sd,
    "i2c_to_sd_no_sensor": t_i2c_to_sd_no_sensor,
    "i2c_to_sd_past_end": t_i2c_to_sd_past_end,
    "oled": t_oled,
    "uart_echo": t_uart_echo,
    "uart_burst_4k": t_uart_burst_4k,
    "uart_burst_16k": t_uart_burst_16k,
    "adc_stream": t_adc_stream,
    "gamepad": t_gamepad,
    "bench": t_bench,
    "bench_masking": t_bench_masking,
    "silicon_build": t_silicon_build,
}


def compare(name, out):
    path = os.path.join(FW, "expected", name + ".txt")
    with open(path) as f:
        want = [l.rstrip("\n") for l in f]
    got = [l for l in out if l.strip() != ""]
    want = [l for l in want if l.strip() != ""]
    problems = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else "<end>"
        g = got[i] if i < len(got) else "<end>"
        ok = re.fullmatch(w[3:], g) is not None if w.startswith("re:") else w == g
        if not ok:
            problems.append(f"  line {i + 1}: expected {w!r}, got {g!r}")
    return problems


def output_lines(q):
    """The output to compare: stdout lines, with an echoed region (q.cut) replaced by one
    placeholder line (the runner checks those bytes itself)."""
    cut = getattr(q, "cut", None)
    if cut is None:
        return [l for l in q.out if l != ""] if q.out and q.out[-1] == "" else list(q.out)
    start, end, n = cut
    raw = bytes(q.raw)
    text = raw[:start] + f"<{n} echoed bytes>\n".encode() + raw[end:]
    return [l.rstrip("\r") for l in text.decode("utf-8", "replace").split("\n")]


def run_test(name, fn):
    wd = os.path.join(target_dir(), "qemu-test", name)
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    problems = []
    LIVE.clear()
    q = None
    try:
        q = fn(wd)
        rc = q.wait()
        want_rc = EXPECT_RC.get(name, 0)
        if rc != want_rc:
            problems.append(f"  exit status {rc}, expected {want_rc}")
        out = output_lines(q) if isinstance(q, Qemu) else list(q.out)
        if q.post is not None:
            out += q.post()
        problems += compare(name, out)
        if os.environ.get("RTIO_VERBOSE") == "1":
            for l in out:
                print(f"  > {l[:200]}")
    except Exception as e:  # a test that hangs or ends early is a failure, not a crash
        problems.append(f"  {type(e).__name__}: {e}")
    finally:
        for live in LIVE:
            live.kill("the test ended")
    for live in LIVE:
        if live.killed and live.killed != "the test ended":
            problems.append(f"  QEMU killed: {live.killed}")
        problems += [f"  QEMU {l}" for l in live.device_errors()]
    if problems:
        print(f"FAIL {name}")
        for p in problems[:25]:
            print(p)
        for live in LIVE:
            print(f"  --- {live.name}: {' '.join(live.args)}")
            if getattr(live, "seed", None) is not None:
                print(f"  --- random fill seed {live.seed} (RTIO_SEED={live.seed} repeats it)")
            print("  --- output (last 40 lines; echoed bytes cut) ---")
            for l in output_lines(live)[-40:]:
                print("  | " + l[:200])
            err = live.err.decode("utf-8", "replace").strip()
            if err:
                print("  --- stderr ---")
                for l in err.splitlines()[-15:]:
                    print("  | " + l)
        if q is not None and not isinstance(q, Qemu):
            for l in q.out[-20:]:
                print("  | " + l)
        print(f"  (work directory kept: {wd})")
    else:
        print(f"ok   {name}")
        shutil.rmtree(wd, ignore_errors=True)
    return not problems


def main(argv):
    # SIGTERM unwinds like Ctrl-C, so the `finally` below kills every QEMU still running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = argv or list(TESTS)
    unknown = [n for n in names if n not in TESTS]
    if unknown:
        print(f"unknown test(s): {', '.join(unknown)}; known: {', '.join(TESTS)}")
        print(f"0 passed, {len(names)} failed")
        return 1
    if not build():
        print(f"0 passed, {len(names)} failed")
        return 1
    sizes = size_table()
    print_block("sizes (release, opt-level s, LTO)", sizes)
    update_readme("firmware-sizes", sizes)
    passed = failed = 0
    try:
        for n in names:
            if run_test(n, TESTS[n]):
                passed += 1
            else:
                failed += 1
    finally:
        for live in LIVE:  # Ctrl-C: no QEMU outlives the runner
            live.kill("the runner was interrupted")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
