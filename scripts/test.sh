#!/usr/bin/env bash
# The whole test suite. Prerequisites are installed by .ci/run (qemu-system-arm, dtc,
# valgrind, the thumbv6m/thumbv7m targets, nightly with miri).
# Prints one line per step and a closing "N passed, M failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
step() {
  local name="$1"
  shift
  echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

export RUSTDOCFLAGS="-D warnings"

step fmt cargo fmt --all -- --check
# rtio's modules import one way (docs/DESIGN.md 1.2)
step module-graph bash scripts/deps.sh
step clippy cargo clippy --workspace --all-targets --all-features -- -D warnings
step test cargo test --workspace --all-features --no-fail-fast
step no-std-thumbv7m cargo build -p rtio --target thumbv7m-none-eabi
step no-std-thumbv6m cargo build -p rtio --target thumbv6m-none-eabi
# The adapters are no_std too (rtio-sim is host-only by design).
step no-std-rtio-hal cargo build -p rtio-hal --target thumbv7m-none-eabi
# rtio/size-probe: a thumbv7m binary with no global allocator doing a NOP round trip; it
# links only if the runtime needs no allocator.
step links-without-allocator env -C rtio/size-probe cargo build --release --quiet
step docs cargo doc --workspace --no-deps --all-features
step loom env RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
  cargo test -p rtio --release --lib loom
if [ -f scripts/miri.sh ]; then step miri bash scripts/miri.sh; fi
# cargo-fuzz targets of the DTS and TOML front ends, about a minute each on the kept corpus
step fuzz env FUZZ_SECONDS=60 bash scripts/fuzz.sh
if [ -f scripts/qemu-test.sh ]; then step qemu bash scripts/qemu-test.sh; fi

if [ ${#failures[@]} -gt 0 ]; then echo "failed steps: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
