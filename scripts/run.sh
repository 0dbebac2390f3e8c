#!/usr/bin/env bash
# The main job on the embedded default, from a fresh Debian 12 machine with only the Swift toolchain:
# builds AutoAgent (release), shows the isolation every sandbox gets, then runs the bundled task suite
# (examples/tasks, Harbor format) with the oracle agent, one hardened sandbox per trial, into jobs/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh
echo "== building (release)"
swift build -c release 2>&1 | grep -E 'error|warning|Build complete' | tail -3
bin="$(swift build -c release --show-bin-path)"
echo "== aa-sandbox probe: what a sandboxed process can and cannot do"
"$bin/aa-sandbox" probe | tail -1
echo "== aa run: the bundled tasks with the oracle agent"
"$bin/aa" run -p examples/tasks -a oracle -n 4 --job-name "demo-$(date +%Y%m%d-%H%M%S)"
