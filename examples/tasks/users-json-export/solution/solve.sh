#!/bin/bash
python3 - <<'PY'
import csv, json
out = []
for r in csv.DictReader(open("/app/users.csv")):
    if "@" not in r["email"]:
        continue
    d, m, y = r["signup"].split("/")
    out.append({"id": int(r["id"]), "name": r["name"].strip(), "email": r["email"].lower(),
                "age": int(r["age"]) if r["age"].strip() else None,
                "active": r["active"].strip().lower() in ("yes", "true", "1"), "signup": f"{y}-{m}-{d}"})
out.sort(key=lambda u: u["id"])
json.dump(out, open("/app/users.json", "w"), indent=2)
PY
