#!/usr/bin/env python3
"""drain3 (PyPI, library defaults) on the same lines as `aa templates`: throughput and grouping accuracy.

Usage: drain3-baseline.py DATASET_DIR... [--repeat N]
Prints, per dataset, drain3's GA (definition in template-accuracy.py) and, over all datasets' Content lines repeated
N times, drain3's mining throughput in lines per second (CPU time of the add_log_message calls only).
"""
import csv, glob, os, sys, time

from drain3 import TemplateMiner

sys.path.insert(0, os.path.dirname(__file__))
from importlib import import_module

grouping_accuracy = import_module("template-accuracy").grouping_accuracy


def contents(d):
    path = glob.glob(os.path.join(d, "*_structured.csv"))[0]
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    args = sys.argv[1:]
    repeat = 1
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i:i + 2]
    all_lines = []
    scores = []
    for d in [d for d in args if glob.glob(os.path.join(d, "*_structured.csv"))]:
        rows = contents(d)
        miner = TemplateMiner()
        predicted = [miner.add_log_message(r["Content"])["cluster_id"] for r in rows]
        ga = grouping_accuracy([r["EventId"] for r in rows], predicted)
        scores.append(ga)
        print(f"{os.path.basename(d.rstrip('/'))}: drain3 GA {ga:.4f} ({len(set(predicted))} templates)")
        all_lines += [r["Content"] for r in rows]
    print(f"mean GA {sum(scores) / len(scores):.4f}")
    lines = all_lines * repeat
    miner = TemplateMiner()
    start = time.process_time()
    for line in lines:
        miner.add_log_message(line)
    elapsed = time.process_time() - start
    print(f"drain3 mined {len(lines)} lines in {elapsed:.2f} s: {len(lines) / elapsed:.0f} lines/s")


if __name__ == "__main__":
    main()
