#!/usr/bin/env bash
# Runs rtio's tests under Miri (nightly). Installs nothing: .ci/run installs nightly + miri.
#
# MIRIFLAGS:
#   -Zmiri-ignore-leaks   tests leak 'static buffers and contexts on purpose (Box::leak is how a
#                         host test makes the `&'static mut [u8]` that S3 hands back and forth)
# Isolation stays on: the std clock then runs on Miri's deterministic virtual time.
#
# Skipped, all for wall-clock timing that Miri (some thousand times slower) cannot keep:
#   s8_deadlines_ordered_equal_deadlines_keep_submission_order, delays_complete_in_deadline_order:
#                  5/20/40 ms DELAYs whose order assumes submitting takes under 15 ms
set -euo pipefail
cd "$(dirname "$0")/.."
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-ignore-leaks}"
exec cargo +nightly miri test -p rtio --features std --no-fail-fast "$@" -- \
  --skip s8_deadlines_ordered_equal_deadlines_keep_submission_order \
  --skip delays_complete_in_deadline_order
