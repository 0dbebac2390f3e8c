#!/bin/bash
# The honest verifier: the task cannot be solved, so the reward is 0.
sleep 0.5
echo 0 > /logs/verifier/reward.txt
