import random, sqlite3
random.seed(5)
db = sqlite3.connect("/app/shop.db")
db.executescript("""
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), placed_at TEXT NOT NULL);
CREATE TABLE order_items(order_id INTEGER NOT NULL REFERENCES orders(id), sku TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL);
""")
names = ["Ada", "Brook", "Cyrus", "Dana", "Emil", "Farah", "Gus", "Hana", "Ivo", "Jia", "Kofi", "Lena", "Milo", "Nia"]
for i, n in enumerate(names, 1):
    db.execute("INSERT INTO customers VALUES (?, ?, ?)", (i, n, random.choice(["DE", "FR", "US", "JP"])))
oid = 0
for _ in range(300):
    oid += 1
    cid = random.randint(1, len(names) - 2)
    db.execute("INSERT INTO orders VALUES (?, ?, ?)", (oid, cid, f"2024-{random.randint(1,12):02d}-{random.randint(1,28):02d}"))
    for _ in range(random.randint(1, 4)):
        db.execute("INSERT INTO order_items VALUES (?, ?, ?, ?)", (oid, f"SKU-{random.randint(1,50)}", random.randint(1, 5), random.randint(99, 9999)))
db.commit()
