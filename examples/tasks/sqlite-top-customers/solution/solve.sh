#!/bin/bash
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("/app/shop.db")
db.executescript("""
CREATE VIEW customer_totals AS
  SELECT c.id AS customer_id, c.name AS name, SUM(i.quantity * i.unit_price_cents) AS total_cents
  FROM customers c JOIN orders o ON o.customer_id = c.id JOIN order_items i ON i.order_id = o.id
  GROUP BY c.id;
""")
rows = db.execute("SELECT name FROM customer_totals ORDER BY total_cents DESC, name LIMIT 3").fetchall()
open("/app/top3.txt", "w").write("".join(r[0] + "\n" for r in rows))
db.commit()
PY
