#!/usr/bin/env bash
# Builds the lm3s6965evb firmware (examples/firmware) and runs every program under QEMU,
# comparing its output with examples/firmware/expected/. Prints `N passed, M failed`.
#
# Needs on a fresh machine (Debian/Ubuntu):
#   apt-get install -y qemu-system-arm device-tree-compiler python3   # QEMU 7.2 was used
#   rustup target add thumbv7m-none-eabi            # rust-toolchain.toml lists it too
# Nothing else: the runner uses only Python's standard library (QMP, PPM->PNG, ELF sizes).
#
# Usage: bash scripts/qemu-test.sh [test ...]      (default: all)
# Environment: CARGO_TARGET_DIR (default examples/firmware/target), QEMU, DTC,
# QEMU_TEST_TIMEOUT (seconds per QEMU, default 90), RTIO_SEED (repeat a run's random device
# contents), RTIO_VERBOSE=1 (print every compared line), RTIO_BLESS=1 (rewrite
# expected/oled.png and the bench budgets), RTIO_UPDATE_README=1 (refresh README's tables).
# Tests write only under $CARGO_TARGET_DIR/qemu-test/.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in qemu-system-arm dtc python3 cargo; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "qemu-test: $tool not found (see the top of scripts/qemu-test.sh)" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
done
exec python3 examples/firmware/runner/run.py "$@"
