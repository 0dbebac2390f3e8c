#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine with only the Swift toolchain: builds AutoAgent (release),
# shows the isolation every sandbox gets, checks the bundled task suite (examples/tasks, Harbor format),
# runs it with an agent, one hardened sandbox per trial, and prints the failure report of the run.
#
# Which agent: with AA_MODEL set and an API key (ANTHROPIC_API_KEY, else OPENAI_API_KEY; AA_BASE_URL for any
# other OpenAI-compatible server) the task agent is the seed harness (examples/harness) on that model.
# Without, the embedded default needs no network: the nop agent (it gives up at once), so that the run
# and its failure analysis are real, with the oracle run as the reference the report compares against.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prereqs.sh
echo "== building (release)"
swift build -c release 2>&1 | grep -E 'error|warning|Build complete' | tail -3
bin="$(swift build -c release --show-bin-path)"
stamp="$(date +%Y%m%d-%H%M%S)"

echo "== aa-sandbox probe: what a sandboxed process can and cannot do"
"$bin/aa-sandbox" probe | tail -1

echo "== aa tasks check: every bundled task fails with nop and passes with oracle"
"$bin/aa" tasks check -p examples/tasks

echo "== aa run: the bundled tasks with the oracle agent (the reference)"
"$bin/aa" run -p examples/tasks -a oracle -n 4 --job-name "oracle-$stamp"

if [ -n "${AA_MODEL:-}" ]; then
  if [ -n "${ANTHROPIC_API_KEY:-}" ]; then
    agent=(-a harness --harness examples/harness -m "$AA_MODEL" --ak provider=anthropic
           --ak "base_url=${AA_BASE_URL:-https://api.anthropic.com/v1}" --ak api_key_env=ANTHROPIC_API_KEY)
  else
    agent=(-a harness --harness examples/harness -m "$AA_MODEL" --ak provider=openai
           --ak "base_url=${AA_BASE_URL:-https://api.openai.com/v1}" --ak api_key_env=OPENAI_API_KEY)
  fi
  name="harness-$stamp"
  echo "== aa run: the bundled tasks with the seed harness on $AA_MODEL"
else
  agent=(-a nop)
  name="nop-$stamp"
  echo "== aa run: the bundled tasks with the nop agent (set AA_MODEL and an API key for a real agent)"
fi
"$bin/aa" run -p examples/tasks "${agent[@]}" -n 4 --job-name "$name" || true

echo "== aa analyze: why the runs failed, against the oracle reference"
"$bin/aa" analyze "jobs/$name" --compare "jobs/oracle-$stamp"
echo "HTML report: $bin/aa analyze jobs/$name --format html -o report.html"
