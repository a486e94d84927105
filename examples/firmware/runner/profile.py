#!/usr/bin/env python3
"""Instruction profile of a firmware program under QEMU, per function.

    python3 runner/profile.py bench [--qemu-args '...'] [--top 25]

Runs the program with `-d in_asm,exec,nochain` (every translated block's instructions and
every block executed), then charges each executed instruction to the function that contains
it (from the ELF symbol table; legacy Rust symbol names are demangled). Counts are exact
instruction counts, not samples. The log can be large for long programs.
"""
import argparse
import collections
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (shares paths and the QEMU command line)


def demangle(name):
    """Legacy Rust mangling (_ZN...E) to a path, without the hash."""
    if not name.startswith("_ZN"):
        return name
    i, parts = 3, []
    while i < len(name) and name[i] != "E":
        j = i
        while j < len(name) and name[j].isdigit():
            j += 1
        if j == i:
            break
        n = int(name[i:j])
        parts.append(name[j:j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    text = "::".join(parts)
    for a, b in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$RF$", "&"), ("..", "::"),
                 ("$u7b$", "{"), ("$u7d$", "}"), ("$C$", ",")):
        text = text.replace(a, b)
    return text


def functions(path):
    with open(path, "rb") as f:
        d = f.read()
    shoff, = struct.unpack_from("<I", d, 0x20)
    shentsize, shnum, _ = struct.unpack_from("<HHH", d, 0x2E)
    secs = [struct.unpack_from("<IIIIIIIIII", d, shoff + i * shentsize) for i in range(shnum)]
    out = []
    for s in secs:
        if s[1] != 2:  # SHT_SYMTAB
            continue
        strtab = secs[s[6]]
        for k in range(s[5] // 16):
            st_name, value, size, info, _, _ = struct.unpack_from("<IIIBBH", d, s[4] + k * 16)
            if info & 0xF != 2 or size == 0:  # FUNC
                continue
            start = strtab[4] + st_name
            name = d[start:d.index(b"\0", start)].decode()
            out.append((value & ~1, size, demangle(name)))
    out.sort()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("program")
    ap.add_argument("--qemu-args", default="-device tmp105,bus=i2c,address=0x48")
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    elf = run.elf(a.program)
    with tempfile.TemporaryDirectory() as wd:
        img = os.path.join(wd, "sd.img")
        with open(img, "wb") as f:
            f.truncate(1 << 20)
        log = os.path.join(wd, "exec.log")
        base = list(run.BASE)
        if a.program == "bench":  # its UART and gamepad trials wait for input: skip them
            i = base.index("-semihosting-config")
            base[i + 1] += ",arg=no-input"
        cmd = [*base, "-icount", "shift=0", *a.qemu_args.split(),
               "-drive", f"if=sd,format=raw,file={img}",
               "-d", "in_asm,exec,nochain", "-D", log, "-kernel", elf]
        subprocess.run(["timeout", "120", *cmd], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        blocks, cur, count = {}, None, collections.Counter()
        with open(log, errors="replace") as f:
            for line in f:
                m = re.match(r"0x([0-9a-f]{8}):\s", line)
                if m:
                    addr = int(m.group(1), 16)
                    if cur is None:
                        cur = addr
                        blocks[cur] = []
                    blocks[cur].append(addr)
                    continue
                if not line.strip() or line.startswith("IN:"):
                    cur = None
                    continue
                m = re.search(r"Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/", line)
                if m:
                    for addr in blocks.get(int(m.group(1), 16), ()):
                        count[addr] += 1
    funcs = functions(elf)
    starts = [f[0] for f in funcs]
    import bisect
    per = collections.Counter()
    for addr, n in count.items():
        i = bisect.bisect_right(starts, addr) - 1
        name = funcs[i][2] if i >= 0 and addr < funcs[i][0] + funcs[i][1] else "?"
        per[name] += n
    total = sum(per.values())
    print(f"{total} instructions executed by {a.program}")
    for name, n in per.most_common(a.top):
        print(f"{n:12d} {100 * n / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
