#!/usr/bin/env bash
# The whole test suite (what README.md calls "run the tests").
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
