#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine with only the Swift toolchain: builds AutoAgent (release),
# shows the isolation every sandbox gets, checks the bundled task suite (examples/tasks, Harbor format), then
# runs a short `aa optimize` on it — the meta-agent loop improving the seed harness (examples/harness) — and
# ends with the run's report and its one-screen summary.
#
# Which models: with AA_MODEL set and an API key (ANTHROPIC_API_KEY, else OPENAI_API_KEY; AA_BASE_URL for any
# other OpenAI-compatible server) both the task agent and the meta-agent use that model. Without, both use the
# small local model on loopback (scripts/local-model.sh start), with the JSON action protocol for the
# meta-agent; it is a toy, so expect low scores and few kept edits — the loop, its guards and its ledger are
# what the run shows.
#
# AA_OPTIMIZE_EXPERIMENTS (default 3) and AA_OPTIMIZE_MINUTES (default 10) bound the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh
echo "== building (release)"
# The static FoundationEssentials that aa-sandbox-cli links (for its start-up time) carries glibc's link-time
# warning about mktemp; it is the toolchain's, not ours, so it is not shown.
swift build -c release 2>&1 | grep -E 'error|warning|Build complete' | grep -v "the use of \`mktemp' is dangerous" | tail -3
bin="$(swift build -c release --show-bin-path)"
stamp="$(date +%Y%m%d-%H%M%S)"
experiments="${AA_OPTIMIZE_EXPERIMENTS:-3}"
minutes="${AA_OPTIMIZE_MINUTES:-10}"

echo "== aa-sandbox probe: what a sandboxed process can and cannot do"
"$bin/aa-sandbox" probe | tail -1

echo "== aa tasks check: every bundled task fails with nop and passes with oracle"
"$bin/aa" tasks check -p examples/tasks

provider=""
if [ -n "${AA_MODEL:-}" ] && [ -n "${ANTHROPIC_API_KEY:-}" ]; then
  provider=anthropic; key=ANTHROPIC_API_KEY; base="${AA_BASE_URL:-https://api.anthropic.com/v1}"
elif [ -n "${AA_MODEL:-}" ] && [ -n "${OPENAI_API_KEY:-}" ]; then
  provider=openai; key=OPENAI_API_KEY; base="${AA_BASE_URL:-https://api.openai.com/v1}"
fi
if [ -n "$provider" ]; then
  # The meta-agent takes the task agent's provider, base URL and key (--ak) unless --mk says otherwise.
  models=(-m "$AA_MODEL" --ak "provider=$provider" --ak "base_url=$base" --ak "api_key_env=$key")
  shape=(-k 2 -n 4 --budget-usd 5)
  echo "== models: $AA_MODEL ($provider API at $base) for the task agent and the meta-agent"
else
  # A server this job starts is stopped when it ends; one that was already running is left alone.
  if ! curl -sf "$(scripts/local-model.sh url)/models" > /dev/null 2>&1; then trap 'scripts/local-model.sh stop' EXIT; fi
  url="$(scripts/local-model.sh start)"
  format="$(scripts/local-model.sh response-format)"
  models=(--ak "base_url=$url" --ak "response_format=$format" --mk action_protocol=json --mk max_turns=6)
  # One trial per task and a minute per trial: a small CPU model is slow.
  shape=(-k 1 -n 2 --max-timeout-sec 60)
  echo "== models: the local model at $url (set AA_MODEL and an API key for a hosted one)"
fi

mkdir -p runs
run="runs/optimize-$stamp"
echo "== aa optimize: $experiments experiments at most, about $minutes minutes; run directory $run"
"$bin/aa" optimize -p examples/tasks --harness examples/harness --run-dir "$run" "${models[@]}" "${shape[@]}" \
  --max-experiments "$experiments" --budget-time "${minutes}m" | tee "$run.summary" || true

echo "== aa report"
"$bin/aa" report "$run" || echo "(aa report is not available in this build; the ledger is $run/ledger.sqlite, results in $run/results.tsv)"
[ -f "$run.summary" ] && cat "$run.summary" && rm -f "$run.summary"
