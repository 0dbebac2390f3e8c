import subprocess, sys
def to_roman(n):
    out = ""
    for v, s in [(1000,"M"),(900,"CM"),(500,"D"),(400,"CD"),(100,"C"),(90,"XC"),(50,"L"),(40,"XL"),(10,"X"),(9,"IX"),(5,"V"),(4,"IV"),(1,"I")]:
        while n >= v:
            out += s; n -= v
    return out
def run(arg):
    return subprocess.run([sys.executable, "/app/roman.py", arg], capture_output=True, text=True, timeout=10)
for n in list(range(1, 120)) + [399, 400, 444, 944, 1994, 2024, 3888, 3999]:
    r = run(str(n))
    if r.returncode != 0 or r.stdout != to_roman(n) + "\n":
        sys.exit(f"{n}: got {r.stdout!r} (exit {r.returncode})")
    for s in (to_roman(n), to_roman(n).lower()):
        r = run(s)
        if r.returncode != 0 or r.stdout != f"{n}\n":
            sys.exit(f"{s}: got {r.stdout!r} (exit {r.returncode})")
for bad in ["0", "4000", "-5", "IIII", "VX", "IC", "MMMM", "abc", "", "12a", "XIIV"]:
    r = run(bad)
    if r.returncode != 2 or r.stdout != "" or not r.stderr.strip():
        sys.exit(f"{bad!r} must be rejected with exit 2 and a message on stderr (got exit {r.returncode}, stdout {r.stdout!r})")
print("roman.py works")
