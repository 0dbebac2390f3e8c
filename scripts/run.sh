#!/usr/bin/env bash
# The main job on the embedded default, from a fresh Debian 12 machine with only the Swift toolchain:
# builds AutoAgent (release), shows the isolation every sandbox gets, and runs a command in one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh
echo "== building (release)"
swift build -c release 2>&1 | grep -E 'error|warning|Compiling|Build complete' | tail -3
bin="$(swift build -c release --show-bin-path)"
echo "== aa-sandbox probe: what a sandboxed process can and cannot do"
"$bin/aa-sandbox" probe
echo "== aa-sandbox run: a command in a fresh sandbox (2G memory, 1024 pids, no network)"
"$bin/aa-sandbox" run --json -- /bin/sh -c 'id; hostname; ls /; cat /etc/shadow 2>&1 | head -1'
