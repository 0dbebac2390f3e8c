import os, subprocess, sys
r = subprocess.run(["make", "-C", "/app/wc"], capture_output=True, text=True)
if r.returncode != 0:
    sys.exit("make failed:\n" + r.stdout + r.stderr)
if not os.access("/app/wc/wordcount", os.X_OK):
    sys.exit("no /app/wc/wordcount")
samples = [b"", b"one\n", b"hello world\nsecond line here\n", b"  spaced\t\tout  words \n\n", b"no newline at end", bytes(range(256)) * 3]
for s in samples:
    out = subprocess.run(["/app/wc/wordcount"], input=s, capture_output=True).stdout.decode()
    lines = s.count(b"\n")
    exp = f"{lines} {len(s.split())} {len(s)}\n"
    if out != exp:
        sys.exit(f"input {s[:40]!r}: got {out!r}, expected {exp!r}")
print("wordcount works")
