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
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
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
TIMEOUT = float(os.environ.get("QEMU_TEST_TIMEOUT", "60"))


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR") or os.path.join(FW, "target")


def elf(name):
    return os.path.join(target_dir(), TARGET, "release", name)


def build():
    print("building firmware (release) ...", flush=True)
    r = subprocess.run(["cargo", "build", "--release", "--bins"], cwd=FW)
    return r.returncode == 0


# ---- QEMU session ----------------------------------------------------------------------------

class Qemu:
    """One QEMU run: stdout lines in a queue, stdin for UART0, optional QMP."""

    def __init__(self, prog, extra=(), qmp=False, icount=False, workdir=None):
        self.workdir = workdir
        self.qmp_path = os.path.join(workdir, "qmp.sock") if qmp else None
        args = list(BASE)
        if icount:
            args += ["-icount", "shift=0"]
        if qmp:
            args += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        args += list(extra) + ["-kernel", elf(prog)]
        self.args = args
        self.p = subprocess.Popen(["timeout", str(int(TIMEOUT)), *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd=workdir)
        self.lines = queue.Queue()
        self.out = []
        self.err = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        self.qmp = None
        self.post = None  # extra output lines computed after the run (card image, ...)

    def _read(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.out.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        self.err = self.p.stderr.read()

    def expect(self, pattern, timeout=20.0):
        """Waits for a stdout line matching `pattern` (regex search)."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError(f"no line matching {pattern!r}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise EOFError(f"QEMU ended before {pattern!r}")
            if re.search(pattern, line):
                return line

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

    def wait(self):
        rc = self.p.wait()
        time.sleep(0.05)
        return rc


# ---- images ------------------------------------------------------------------------------------

def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    # P6\n<w> <h>\n255\n<rgb>
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6", "screendump is not a binary PPM"
    w, h = int(parts[1]), int(parts[2])
    return w, h, parts[4][: w * h * 3]


def write_png(path, w, h, rgb):
    raw = b"".join(b"\x00" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


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


def t_eeprom(wd):
    return Qemu("eeprom", ["-device", "tmp105,bus=i2c,address=0x48,id=t0",
                           "-device", "at24c-eeprom,bus=i2c,address=0x50,rom-size=512"],
                workdir=wd)


def t_i2c_to_sd(wd):
    img = os.path.join(wd, "sd.img")
    with open(img, "wb") as f:
        f.truncate(1 << 20)  # the model wants a power-of-two size
    q = Qemu("i2c_to_sd", ["-S", "-device", "tmp105,bus=i2c,address=0x48,id=t0",
                           "-drive", f"if=sd,format=raw,file={img}"], qmp=True, workdir=wd)
    # Paused (-S): the device reset is over, so the temperature set now sticks.
    q.qmp_cmd("qom-set", path="/machine/peripheral/t0", property="temperature", value=21250)
    q.qmp_cmd("cont")

    def card():
        with open(img, "rb") as f:
            data = f.read()
        lines = []
        for blk in range(0, 9):
            b = data[blk * 512:(blk + 1) * 512]
            text = b.rstrip(b"\0").decode("ascii", "replace").rstrip("\n")
            lines.append(f"card block {blk}: {text if text else '(empty)'}")
        return lines
    q.post = card
    return q


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
    q.hmp(f"screendump {shot}")
    # 512x256 RGB plus the PPM header; wait until it is all there.
    for _ in range(200):
        if os.path.exists(shot) and os.path.getsize(shot) >= 512 * 256 * 3 + 15:
            break
        time.sleep(0.05)
    q.send(b"g")
    w, h, rgb = read_ppm(shot)
    expected = os.path.join(FW, "expected", "oled.png")
    if os.environ.get("RTIO_BLESS") == "1":
        write_png(expected, w, h, rgb)
    ew, eh, ergb = read_png(expected)
    bad = sum(1 for i in range(0, min(len(rgb), len(ergb)), 3) if rgb[i:i + 3] != ergb[i:i + 3])
    lines = [f"screendump {w}x{h}, expected {ew}x{eh}, {bad} pixels differ"]
    if bad == 0 and (w, h) == (ew, eh):
        os.makedirs(os.path.join(REPO, "docs"), exist_ok=True)
        write_png(os.path.join(REPO, "docs", "oled.png"), w, h, rgb)
    q.post = lambda: lines
    return q


def t_uart_echo(wd):
    q = Qemu("uart_echo", [], workdir=wd)
    q.expect("uart: ready")
    q.send(b"hello rtio\n")
    q.expect("hello rtio")
    q.send(b"echo works\n")  # then nothing: the next read times out
    q.expect("uart: stream ready")
    q.send(b"a stream ")
    time.sleep(0.05)
    q.send(b"of bytes\n")
    return q


def t_adc_stream(wd):
    return Qemu("adc_stream", [], icount=True, workdir=wd)


def t_bench(wd):
    img = os.path.join(wd, "sd.img")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    q = Qemu("bench", ["-device", "tmp105,bus=i2c,address=0x48,id=t0",
                       "-drive", f"if=sd,format=raw,file={img}"], icount=True, workdir=wd)
    def report():
        rows = [l for l in q.out if l.startswith("|")]
        print_block("instructions per operation (-icount shift=0, SysTick)", rows)
        update_readme("firmware-bench", rows)
        return []
    q.post = report
    return q


class Done:
    """A test that ran no QEMU: its output lines are already known."""

    def __init__(self, lines, rc=0):
        self.out, self.rc, self.err, self.post = lines, rc, b"", None
        self.p = self

    def wait(self):
        return self.rc


def t_board_dts(wd):
    """dtc accepts the board description that build.rs generates the Rust from."""
    dts = os.path.join(FW, "boards", "lm3s6965evb.dts")
    if shutil.which("dtc") is None:
        return Done(["dtc: accepted, no warnings"])  # nothing to check it with here
    r = subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", os.devnull, dts],
                       capture_output=True, text=True)
    lines = ["dtc: accepted, no warnings" if r.returncode == 0 and not r.stderr.strip()
             else f"dtc: {r.returncode} {r.stderr.strip()}"]
    return Done(lines)


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
    return q


TESTS = {
    "board_dts": t_board_dts,
    "minimal": t_minimal,
    "tmp105": t_tmp105,
    "eeprom": t_eeprom,
    "i2c_to_sd": t_i2c_to_sd,
    "oled": t_oled,
    "uart_echo": t_uart_echo,
    "adc_stream": t_adc_stream,
    "gamepad": t_gamepad,
    "bench": t_bench,
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


def run_test(name, fn):
    wd = tempfile.mkdtemp(prefix=f"qemu-{name}-")
    problems = []
    q = None
    try:
        q = fn(wd)
        rc = q.wait()
        if rc != 0:
            problems.append(f"  QEMU exit status {rc}")
        out = list(q.out)
        if q.post is not None:
            out += q.post()
        problems += compare(name, out)
    except Exception as e:  # a test that hangs or ends early is a failure, not a crash
        problems.append(f"  {type(e).__name__}: {e}")
        if q is not None:
            q.p.terminate()  # `timeout` passes SIGTERM on to QEMU
            try:
                q.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                q.p.kill()
                q.p.wait()
    if problems:
        print(f"FAIL {name}")
        for p in problems[:20]:
            print(p)
        if q is not None:
            print("  --- output ---")
            for l in q.out[-30:]:
                print("  | " + l)
            err = q.err.decode("utf-8", "replace").strip()
            if err:
                print("  --- stderr ---")
                for l in err.splitlines()[-10:]:
                    print("  | " + l)
    else:
        print(f"ok   {name}")
        shutil.rmtree(wd, ignore_errors=True)
    return not problems


def main(argv):
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
    for n in names:
        if run_test(n, TESTS[n]):
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
