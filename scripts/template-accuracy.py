#!/usr/bin/env python3
"""Grouping accuracy (GA) of `aa templates` on Loghub-style data.

Usage: template-accuracy.py AA_BINARY DATASET_DIR...
Each DATASET_DIR holds <name>_2k.log_structured.csv (columns Content and EventId). The Content column is fed to
`aa templates` (as Drain's benchmark feeds the message part of each line); a line is correct when the set of lines in
its predicted group equals the set of lines in its ground-truth group. GA is the share of correct lines.
"""
import csv, glob, os, subprocess, sys, tempfile, time
from collections import defaultdict


def grouping_accuracy(truth, predicted):
    by_truth, by_pred = defaultdict(set), defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted)):
        by_truth[t].add(i)
        by_pred[p].add(i)
    correct = sum(1 for i, (t, p) in enumerate(zip(truth, predicted)) if by_truth[t] == by_pred[p])
    return correct / len(truth)


def main():
    aa, dirs = sys.argv[1], sys.argv[2:]
    scores = []
    for d in [d for d in dirs if glob.glob(os.path.join(d, "*_structured.csv"))]:
        path = glob.glob(os.path.join(d, "*_structured.csv"))[0]
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as tmp:
            tmp.write("".join(r["Content"].replace("\n", " ") + "\n" for r in rows))
        start = time.time()
        out = subprocess.run([aa, "templates", tmp.name], check=True, capture_output=True, text=True).stdout
        elapsed = time.time() - start
        os.unlink(tmp.name)
        predicted = [r["template_id"] for r in csv.DictReader(out.splitlines())]
        ga = grouping_accuracy([r["EventId"] for r in rows], predicted)
        scores.append(ga)
        print(f"{os.path.basename(d.rstrip('/'))}: GA {ga:.4f} ({len(set(predicted))} templates, {elapsed:.2f} s)")
    print(f"mean GA {sum(scores) / len(scores):.4f}")


if __name__ == "__main__":
    main()
