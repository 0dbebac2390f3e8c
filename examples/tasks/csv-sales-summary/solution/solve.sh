#!/bin/bash
python3 - <<'PY'
import csv
from decimal import Decimal, ROUND_HALF_UP
agg = {}
for r in csv.DictReader(open("/app/sales.csv")):
    a = agg.setdefault(r["region"].strip(), [0, 0, Decimal(0)])
    a[0] += 1; a[1] += int(r["units"]); a[2] += int(r["units"]) * Decimal(r["unit_price"].lstrip("$"))
with open("/app/summary.csv", "w", newline="") as f:
    f.write("region,orders,units,revenue\n")
    for k, v in sorted(agg.items(), key=lambda kv: -kv[1][2]):
        f.write(f"{k},{v[0]},{v[1]},{v[2].quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}\n")
PY
