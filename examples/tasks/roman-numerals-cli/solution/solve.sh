#!/bin/bash
cat > /app/roman.py <<'PY'
import sys

PAIRS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def to_roman(n):
    out = []
    for value, symbol in PAIRS:
        count, n = divmod(n, value)
        out.append(symbol * count)
    return "".join(out)


def main(argv):
    if len(argv) != 2:
        print("usage: roman.py <integer or numeral>", file=sys.stderr)
        return 2
    arg = argv[1].strip()
    if arg.isdigit():
        n = int(arg)
        if 1 <= n <= 3999:
            print(to_roman(n))
            return 0
    else:
        upper = arg.upper()
        table = {to_roman(i): i for i in range(1, 4000)}
        if upper in table:
            print(table[upper])
            return 0
    print(f"not a number from 1 to 3999 or a canonical Roman numeral: {arg!r}", file=sys.stderr)
    return 2


sys.exit(main(sys.argv))
PY
