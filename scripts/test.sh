#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with only the Swift toolchain.
# Installs what is missing, builds, and runs every test target. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh
swift build --build-tests
# One test at a time: many tests wait on child processes (aa, aa-sandbox, Slurm) from synchronous test
# functions, which holds a thread of Swift's cooperative pool (two on this machine); run side by side,
# they starve the async tests' timers and make timings meaningless.
swift test --skip-build --no-parallel "$@"
