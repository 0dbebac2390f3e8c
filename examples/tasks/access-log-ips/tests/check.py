import ipaddress, re, sys
ips = set()
for line in open("/app/access.log"):
    m = re.match(r'^(\S+) .*" (\d{3}) ', line)
    if m and m.group(2) == "404":
        ips.add(m.group(1))
want = [str(a) for a in sorted(ipaddress.IPv4Address(i) for i in ips)]
try:
    got = open("/app/ips.txt").read().split()
except FileNotFoundError:
    sys.exit("ips.txt is missing")
if got != want:
    sys.exit(f"ips.txt differs: first lines {got[:5]} vs {want[:5]}")
print("ips.txt is right")
