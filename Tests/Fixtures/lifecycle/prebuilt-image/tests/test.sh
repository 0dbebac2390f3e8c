#!/bin/bash
# Runs in the task's workdir, with [environment].env and [verifier].env.
if [ "$(pwd)" = /srv/work ] && [ "$(cat output.txt)" = "$(printf 'line one\n%s' "$EXPECTED")" ]; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
