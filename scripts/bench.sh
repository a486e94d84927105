#!/usr/bin/env bash
# Benchmarks and sizes (figures only; nothing here fails on a number).
#
#   1. cargo bench -p rtio --bench roundtrip: ns/op (thread CPU time, median/p10/p90) and, with
#      valgrind installed, instructions/op from callgrind, beside the heapless and io_uring
#      baselines measured in the same run; zero-allocation check.
#   2. rtio/size-probe on thumbv7m-none-eabi (opt-level "s", LTO): flash of the NOP round trip
#      with the executor (roundtrip minus an empty cortex-m-rt program) and RAM of the 8x8
#      context (the STORAGE and RTIO statics).
#
# Needs: valgrind (optional), the thumbv7m-none-eabi target, llvm-size/llvm-nm (apt: llvm) or
# arm-none-eabi-size/nm (apt: binutils-arm-none-eabi). Installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== machine"
uname -srm
grep -m1 "model name" /proc/cpuinfo 2>/dev/null || true
echo "cores: $(nproc)"
rustc --version
valgrind --version 2>/dev/null || echo "valgrind: not installed (no instruction counts)"
echo

echo "== round trip (cargo bench -p rtio --bench roundtrip)"
cargo bench -p rtio --bench roundtrip
echo

echo "== sizes (rtio/size-probe, thumbv7m-none-eabi, opt-level s, LTO)"
SIZE=$(command -v llvm-size || command -v arm-none-eabi-size || true)
NM=$(command -v llvm-nm || command -v arm-none-eabi-nm || true)
if [ -z "$SIZE" ] || [ -z "$NM" ]; then
  echo "no llvm-size/llvm-nm or arm-none-eabi-size/nm: sizes skipped"
  exit 0
fi
probe_target=${CARGO_TARGET_DIR:-$PWD/target}/size-probe
(cd rtio/size-probe && CARGO_TARGET_DIR="$probe_target" cargo build --release --quiet)
bin="$probe_target/thumbv7m-none-eabi/release"
flash() { # .text + .rodata: code and constants (the .data image is reported apart)
  "$SIZE" -A "$1" | awk '$1==".text"||$1==".rodata"{s+=$2} END{print s}'
}
data() { "$SIZE" -A "$1" | awk '$1==".data"{s+=$2} END{print s+0}'; }
rt=$(flash "$bin/roundtrip")
empty=$(flash "$bin/empty")
sym() { # size of the first symbol whose demangled name matches $1
  local hex
  hex=$("$NM" -S -C "$bin/roundtrip" | awk -v n="$1" '$4 ~ n {print $2; exit}')
  echo $((16#${hex:-0}))
}
storage=$(sym 'roundtrip::STORAGE(::h[0-9a-f]+)?$')
rtio=$(sym 'roundtrip::RTIO(::h[0-9a-f]+)?$')
echo "flash, NOP round trip incl. executor: $((rt - empty)) bytes (roundtrip $rt - empty $empty; target < 512)"
# Where the Rtio static sits: .rodata (immutable configuration, counted as flash above) or RAM.
rtio_kind=$("$NM" -C "$bin/roundtrip" | awk '$3 ~ /roundtrip::RTIO(::h[0-9a-f]+)?$/ {print $2; exit}')
case "$rtio_kind" in
  r|R) echo "RAM, 8x8 context: $storage bytes (Storage<8, 8>; the Rtio's $rtio bytes are in flash, .rodata; target < 400)" ;;
  *) echo "RAM, 8x8 context: $((storage + rtio)) bytes (Storage<8, 8> $storage + Rtio $rtio; target < 400)" ;;
esac
echo "initialised data image in flash: $(data "$bin/roundtrip") bytes (.data: statics that are not all zero)"
echo
echo "largest functions of the round trip (bytes):"
"$NM" -S -C "$bin/roundtrip" | awk '$3 ~ /^[tT]$/' |
  while read -r _addr size _kind name; do printf "%6d  %s\n" $((16#$size)) "$name"; done |
  sort -rn | head -15
