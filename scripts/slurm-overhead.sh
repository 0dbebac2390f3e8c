#!/usr/bin/env bash
# What Slurm adds per trial: the same 200-trial oracle job (hello-file × 200) run by the local scheduler and
# through `--executor slurm`, on this machine, one after the other; prints both wall times and the overhead per
# trial. Uses the cluster of $SLURM_CONF, or starts the one-node test cluster (scripts/slurm-test-cluster.sh)
# and stops it afterwards. Needs root and a built aa (AA=path to choose one; default .build/debug/aa).
#
#   scripts/slurm-overhead.sh [TRIALS] [CONCURRENCY] [POLL_INTERVAL] [BATCH]     defaults: 200, 2, 2, 1
#
# BATCH is --slurm-batch: trials per array task.
#
# A script rather than a package-benchmark suite: one sample takes minutes, needs root and running Slurm
# daemons, and the quantity is a difference of wall times of two whole jobs, not a closure to iterate.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-200}
concurrency=${2:-2}
poll=${3:-2}
batch=${4:-1}
aa=${AA:-.build/debug/aa}
work=$(mktemp -d /tmp/aa-slurm-overhead.XXXXXX)
started_cluster=
if [ -z "${SLURM_CONF:-}" ]; then
  SLURM_CONF=$(scripts/slurm-test-cluster.sh start "$work/cluster")
  export SLURM_CONF
  started_cluster=1
fi
cleanup() {
  if [ -n "$started_cluster" ]; then scripts/slurm-test-cluster.sh stop "$work/cluster"; fi
}
trap cleanup EXIT

run() {  # executor job → wall seconds
  local start end
  start=$(date +%s.%N)
  if ! "$aa" run -p examples/tasks/hello-file -k "$trials" -n "$concurrency" -o "$work/jobs" --job-name "$2" -q \
    --executor "$1" --slurm-poll-interval "$poll" --slurm-batch "$batch" --slurm-mem 256 >"$work/$2.out" 2>&1; then
    echo "slurm-overhead: the $1 run failed:" >&2
    cat "$work/$2.out" >&2
    return 1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

local_wall=$(run local local) || exit 1
slurm_wall=$(run slurm slurm) || exit 1

python3 - "$work/jobs" "$trials" "$concurrency" "$poll" "$local_wall" "$slurm_wall" "$batch" <<'PY'
import json, sys, datetime, os
jobs, n, c, poll, local_wall, slurm_wall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
batch = int(sys.argv[7])
def parse(t): return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
def trials(job):
    r = json.load(open(os.path.join(jobs, job, "result.json")))
    assert r["finished_at"], job + " did not finish"
    ok = sum(1 for t in r["trial_results"] if (t.get("verifier_result") or {}).get("rewards", {}).get("reward") == 1)
    busy = sum((parse(t["finished_at"]) - parse(t["started_at"])).total_seconds() for t in r["trial_results"])
    return len(r["trial_results"]), ok, busy
for name, wall in (("local", local_wall), ("slurm", slurm_wall)):
    count, ok, busy = trials(name)
    print(f"{name:6} {count} trials, {ok} passed, wall {wall:7.1f} s, {wall / count * 1000:6.0f} ms per trial, "
          f"trial time inside the runner {busy / count * 1000:5.0f} ms, slots busy {busy / (wall * c) * 100:4.1f}%")
extra = slurm_wall - local_wall
print(f"Slurm adds {extra:.1f} s over {n} trials: {extra / n * 1000:.0f} ms of wall time per trial "
      f"({extra * c / n * 1000:.0f} ms of slot time per trial at -n {c}); poll interval {poll} s, {batch} trial(s) per array task")
PY
echo "job folders: $work/jobs"
