import hashlib, os, stat, sys
root = "/app/deploy"
contents = {
    "bin/start.sh": b"#!/bin/sh\necho start\n", "bin/stop.sh": b"#!/bin/sh\necho stop\n",
    "migrate.sh": b"#!/bin/sh\necho migrate\n", "conf/app.conf": b"port=8080\n", "conf/log.conf": b"level=info\n",
    "secrets/api.key": b"sk-test-123\n", "logs/boot.log": b"boot ok\n",
}
for rel, data in contents.items():
    if open(os.path.join(root, rel), "rb").read() != data:
        sys.exit(f"{rel} content changed")
for dirpath, dirnames, filenames in os.walk(root):
    for d in dirnames:
        p = os.path.join(dirpath, d)
        want = 0o700 if p == root + "/secrets" else 0o755
        if stat.S_IMODE(os.lstat(p).st_mode) != want:
            sys.exit(f"{p} is {oct(stat.S_IMODE(os.lstat(p).st_mode))}, expected {oct(want)}")
    for f in filenames:
        p = os.path.join(dirpath, f)
        want = 0o755 if f.endswith(".sh") else 0o600 if p == root + "/secrets/api.key" else 0o644
        if stat.S_IMODE(os.lstat(p).st_mode) != want:
            sys.exit(f"{p} is {oct(stat.S_IMODE(os.lstat(p).st_mode))}, expected {oct(want)}")
print("modes are right")
