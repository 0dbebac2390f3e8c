import collections, glob, re, sys
pat = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}):\d{2}:\d{2}Z (\w+) (\S+) ")
counts = collections.Counter()
for path in glob.glob("/app/logs/*.log"):
    for line in open(path):
        m = pat.match(line)
        if m and m.group(2) == "ERROR":
            counts[(m.group(1), m.group(3))] += 1
want = ["hour,service,errors"] + [f"{h},{s},{c}" for (h, s), c in sorted(counts.items())]
try:
    got = open("/app/errors_by_hour.csv").read().splitlines()
except FileNotFoundError:
    sys.exit("errors_by_hour.csv is missing")
if got != want:
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            sys.exit(f"line {i + 1}: {a!r}, expected {b!r}")
    sys.exit(f"{len(got)} lines, expected {len(want)}")
print("errors_by_hour.csv is right")
