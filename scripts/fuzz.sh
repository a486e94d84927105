#!/usr/bin/env bash
# Runs the cargo-fuzz targets of rtio-devicetree (dts, toml) for a bounded time each, seeded
# from the kept corpus in rtio-devicetree/fuzz/corpus/TARGET. New inputs libFuzzer finds go to
# a scratch directory, so the committed corpus never changes under a run; a crash leaves its
# input in rtio-devicetree/fuzz/artifacts/TARGET/ and fails the run.
#
#   bash scripts/fuzz.sh              # every target, FUZZ_SECONDS (default 60) each
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh dts
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`); .ci/run
# installs both.
set -euo pipefail
cd "$(dirname "$0")/../rtio-devicetree/fuzz"

seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(dts toml); fi

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is not installed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is not installed (cargo install cargo-fuzz --locked)" >&2
  exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# One build for every target (the same crate), outside the timed runs.
if ! cargo +nightly fuzz build >"$scratch/build.log" 2>&1; then
  cat "$scratch/build.log" >&2
  echo "fuzz: the targets do not build" >&2
  exit 1
fi
status=0
for t in "${targets[@]}"; do
  if [ ! -d "corpus/$t" ]; then
    echo "fuzz: no corpus for target $t (rtio-devicetree/fuzz/corpus/$t)" >&2
    exit 1
  fi
  mkdir -p "$scratch/$t" "artifacts/$t"
  log="$scratch/$t.log"
  echo "fuzz $t: ${seconds}s from $(ls "corpus/$t" | wc -l) kept inputs"
  # -timeout: one input may take at most 10 s; -rss_limit_mb: the machine is shared
  if cargo +nightly fuzz run "$t" "$scratch/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$log" 2>&1; then
    runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    new=$(grep -m1 '^stat::new_units_added' "$log" | awk '{print $2}')
    echo "fuzz $t: ok, ${runs:-?} executions, ${new:-?} new coverage inputs (not kept)"
  else
    status=1
    echo "fuzz $t: FAILED; the input is in rtio-devicetree/fuzz/artifacts/$t/" >&2
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 >&2 || tail -40 "$log" >&2
  fi
done
exit "$status"
