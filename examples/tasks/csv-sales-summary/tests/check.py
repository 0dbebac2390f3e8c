import csv, json
from decimal import Decimal, ROUND_HALF_UP
rows = list(csv.DictReader(open("/app/sales.csv")))
agg = {}
for r in rows:
    region = r["region"].strip()
    a = agg.setdefault(region, [0, 0, Decimal(0)])
    a[0] += 1
    a[1] += int(r["units"])
    a[2] += int(r["units"]) * Decimal(r["unit_price"].lstrip("$"))
expected = ["region,orders,units,revenue"] + [
    f"{k},{v[0]},{v[1]},{v[2].quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
    for k, v in sorted(agg.items(), key=lambda kv: -kv[1][2])
]
try:
    got = open("/app/summary.csv", newline="").read().split("\n")
except FileNotFoundError:
    got = None
if got and got[-1] == "":
    got = got[:-1]
scores = {
    "header": float(bool(got) and got[0] == expected[0]),
    "rows": float(bool(got) and got[1:] == expected[1:]),
}
scores["reward"] = 1.0 if scores["header"] == 1 and scores["rows"] == 1 else 0.0
print("expected:", expected)
print("got:     ", got)
json.dump(scores, open("/logs/verifier/reward.json", "w"))
