#!/bin/bash
mkdir -p /app/fake && echo '{"reward": 1}' > /app/fake/reward.json && echo 1 > /app/fake/reward.txt
rm -rf /logs/verifier 2>/dev/null
mv /logs/verifier /logs/verifier.old 2>/dev/null
ln -sfn /app/fake /logs/verifier 2>/dev/null
ln -s /app/fake/reward.json /logs/verifier/reward.json 2>/dev/null
# A symlink the verifier might follow when it writes its own reward file.
ln -s /app/fake/reward.json /logs/agent/reward.json 2>/dev/null
exit 0
