#!/bin/bash
fail() { echo "$1"; echo 0 > /logs/verifier/reward.txt; exit 0; }
[ "$(pwd)" = /opt/app ] || fail "workdir is $(pwd)"
[ "$MODE" = test ] || fail "ENV MODE is '$MODE'"
[ "$(cat data/sub/c.txt)" = deep ] || fail "COPY of a directory"
[ "$(cat /opt/flat/a.txt)$(cat /opt/flat/b.txt)" = alphabeta ] || fail "COPY of a glob into a directory"
[ ! -e /opt/flat/sub ] || fail "the glob matched a directory"
[ "$(cat renamed.txt)" = alpha ] || fail "COPY of a file to a new name"
[ "$(tool)" = tool ] && [ "$(stat -c %a /usr/local/bin/tool)" = 755 ] || fail "COPY --chmod"
[ "$(cat run.txt)" = "hello there test" ] || fail "ARG and ENV in RUN: $(cat run.txt)"
[ "$(cat exec.txt)" = exec-form ] || fail "RUN exec form"
[ "$(cat /logs/agent/agent-uid.txt)" = 1234 ] || fail "USER: the agent ran as $(cat /logs/agent/agent-uid.txt)"
echo 1 > /logs/verifier/reward.txt
