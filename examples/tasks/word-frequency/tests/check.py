import collections, re, sys
text = open("/app/book.txt").read()
counts = collections.Counter(w.lower() for w in re.findall(r"[A-Za-z]+", text))
expected = [f"{w} {c}" for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
try:
    got = open("/app/top10.txt").read().splitlines()
except FileNotFoundError:
    sys.exit("top10.txt is missing")
if got != expected:
    print("expected:", expected)
    print("got:     ", got)
    sys.exit(1)
print("top10.txt is right")
