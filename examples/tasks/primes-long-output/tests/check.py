import collections, hashlib, sys
def primes(n):
    limit = 2_800_000
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(limit ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(range(i * i, limit, i)))
    out = [i for i in range(limit) if sieve[i]]
    return out[:n]
p = primes(200000)
want = "".join(f"{x}\n" for x in p)
try:
    got = open("/app/primes.txt").read()
except FileNotFoundError:
    sys.exit("primes.txt is missing")
if got != want:
    lines = got.splitlines()
    sys.exit(f"primes.txt differs ({len(lines)} lines, last {lines[-1:]})")
gaps = collections.Counter(b - a for a, b in zip(p, p[1:]))
want_gaps = "".join(f"{g} {c}\n" for g, c in sorted(gaps.items()))
try:
    if open("/app/gaps.txt").read() != want_gaps:
        sys.exit("gaps.txt differs")
except FileNotFoundError:
    sys.exit("gaps.txt is missing")
print("primes and gaps are right")
