#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with only the Swift toolchain.
# Installs what is missing, builds, and runs every test target. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh
swift build --build-tests
swift test --skip-build "$@"
