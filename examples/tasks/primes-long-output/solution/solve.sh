#!/bin/bash
cd /app
python3 - <<'PY'
import collections
limit = 2_800_000
sieve = bytearray([1]) * limit
sieve[0:2] = b"\x00\x00"
for i in range(2, int(limit ** 0.5) + 1):
    if sieve[i]:
        sieve[i * i::i] = bytearray(len(range(i * i, limit, i)))
p = [i for i in range(limit) if sieve[i]][:200000]
open("primes.txt", "w").write("".join(f"{x}\n" for x in p))
gaps = collections.Counter(b - a for a, b in zip(p, p[1:]))
open("gaps.txt", "w").write("".join(f"{g} {c}\n" for g, c in sorted(gaps.items())))
PY
# Show the result the way an agent would look at it: the whole listing.
cat primes.txt
