#!/usr/bin/env bash
# Runs rtio's tests under Miri (nightly). Installs nothing: .ci/run installs nightly + miri.
#
# MIRIFLAGS:
#   -Zmiri-ignore-leaks   tests leak 'static buffers and contexts on purpose (Box::leak is how a
#                         host test makes the `&'static mut [u8]` that S3 hands back and forth)
#   -Zmiri-disable-isolation  the std clock (timeouts, DELAY) reads the host clock
#
# Skipped: rtio::sim's own tests (sim::tests), which check simulated bus timing against the
# wall clock and cannot keep up at Miri's speed; the simulated devices still run under Miri
# through the integration tests that use them.
set -euo pipefail
cd "$(dirname "$0")/.."
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-ignore-leaks -Zmiri-disable-isolation}"
exec cargo +nightly miri test -p rtio --features std --no-fail-fast "$@" -- --skip sim::tests
