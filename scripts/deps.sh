#!/usr/bin/env bash
# The import graph of rtio's modules (docs/DESIGN.md section 1.2): prints each module with the
# modules its code names, and fails if they form a cycle.
#
# A module "names" another when its code (comments left out) contains `crate::other` or
# `crate::{other, ...}`, or a re-exported item `crate::Item` that `rtio/src/lib.rs` takes from
# `other`. One edge is allowed and reported: `time` -> `state`, the public `Clock::set_alarm`
# that receives the `&'static Rtio` to wake (DESIGN.md 1.2).
set -euo pipefail
cd "$(dirname "$0")/../rtio/src"
python3 - <<'PY'
import os, re, sys

ALLOWED = {("time", "state")}
mods = sorted(f[:-3] for f in os.listdir(".") if f.endswith(".rs"))

def code(path):
    out = []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if s.startswith("//"):
            continue
        out.append(line.split("//")[0] if "\"" not in line else line)
    return "".join(out)

# Items lib.rs re-exports, and the module each comes from.
reexport = {}
for m in re.finditer(r"pub use (\w+)::(\{[^}]*\}|\w+);", code("lib.rs")):
    names = m.group(2).strip("{}")
    for n in names.split(","):
        n = n.strip().split(" as ")[-1].strip()
        if n:
            reexport[n] = m.group(1)

graph = {}
for mod in mods:
    if mod == "lib":
        continue
    src = code(mod + ".rs")
    deps = set()
    for m in re.finditer(r"crate::\{([^}]*)\}", src):
        for part in m.group(1).split(","):
            part = part.strip().split("::")[0]
            if part in mods:
                deps.add(part)
            elif part in reexport:
                deps.add(reexport[part])
    for m in re.finditer(r"crate::(\w+)", src):
        name = m.group(1)
        if name in mods:
            deps.add(name)
        elif name in reexport:
            deps.add(reexport[name])
    deps.discard(mod)
    graph[mod] = deps

for mod in sorted(graph):
    print(f"{mod:9} -> {' '.join(sorted(graph[mod])) or '(leaf)'}")

allowed = {(a, b) for (a, b) in ALLOWED if b in graph.get(a, ())}
pruned = {m: {d for d in ds if (m, d) not in allowed} for m, ds in graph.items()}

# Depth-first search for a cycle.
state, stack = {}, []
def visit(m):
    state[m] = 1
    stack.append(m)
    for d in sorted(pruned.get(m, ())):
        if state.get(d) == 1:
            cyc = stack[stack.index(d):] + [d]
            print("cycle: " + " -> ".join(cyc), file=sys.stderr)
            sys.exit(1)
        if d not in state:
            visit(d)
    stack.pop()
    state[m] = 2

for m in sorted(pruned):
    if m not in state:
        visit(m)
for a, b in sorted(allowed):
    print(f"allowed: {a} -> {b} (Clock::set_alarm names the Rtio it wakes)")
print("no cycle")
PY
