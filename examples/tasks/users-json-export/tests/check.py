import csv, json, sys
expected = []
for r in csv.DictReader(open("/app/users.csv")):
    if "@" not in r["email"]:
        continue
    d, m, y = r["signup"].split("/")
    expected.append({
        "id": int(r["id"]), "name": r["name"].strip(), "email": r["email"].lower(),
        "age": int(r["age"]) if r["age"].strip() else None,
        "active": r["active"].strip().lower() in ("yes", "true", "1"),
        "signup": f"{y}-{m}-{d}",
    })
expected.sort(key=lambda u: u["id"])
try:
    got = json.load(open("/app/users.json"))
except Exception as e:
    sys.exit(f"users.json does not parse: {e}")
if not isinstance(got, list) or len(got) != len(expected):
    sys.exit(f"expected a list of {len(expected)} users")
for g, e in zip(got, expected):
    if set(g) != set(e):
        sys.exit(f"keys {sorted(g)} != {sorted(e)}")
    for k in e:
        if type(g[k]) is not type(e[k]) or g[k] != e[k]:
            sys.exit(f"user {e['id']}: {k} is {g[k]!r}, expected {e[k]!r}")
print("users.json is right")
