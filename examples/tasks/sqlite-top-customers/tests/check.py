import sqlite3, sys
db = sqlite3.connect("/app/shop.db")
expected = db.execute("""
  SELECT c.id, c.name, SUM(i.quantity * i.unit_price_cents) FROM customers c
  JOIN orders o ON o.customer_id = c.id JOIN order_items i ON i.order_id = o.id
  GROUP BY c.id ORDER BY c.id""").fetchall()
try:
    got = db.execute("SELECT customer_id, name, total_cents FROM customer_totals ORDER BY customer_id").fetchall()
except sqlite3.Error as e:
    sys.exit(f"view customer_totals: {e}")
if db.execute("SELECT type FROM sqlite_master WHERE name = 'customer_totals'").fetchone() != ("view",):
    sys.exit("customer_totals is not a view")
if got != expected:
    sys.exit(f"customer_totals differs: {got[:3]} vs {expected[:3]}")
top = [n for _, n, _ in sorted(expected, key=lambda r: (-r[2], r[1]))[:3]]
try:
    lines = open("/app/top3.txt").read().splitlines()
except FileNotFoundError:
    sys.exit("top3.txt is missing")
if lines != top:
    sys.exit(f"top3.txt is {lines}, expected {top}")
print("ok")
