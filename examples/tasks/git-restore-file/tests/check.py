import subprocess, sys
def git(*args):
    return subprocess.run(["git", "-C", "/app/project", *args], capture_output=True, text=True)
log = git("log", "--format=%s", "main").stdout.split("\n")
expected_tail = ["Bump app", "Add README", "Clean up docs, bump app", "More notes", "Initial commit"]
if log[0] != "Restore docs/notes.md":
    sys.exit(f"last commit is {log[0]!r}")
if [l for l in log[1:] if l] != expected_tail:
    sys.exit(f"history changed: {log}")
want = "# Notes\n\n- first idea\n- second idea: cache the results\n- third idea: retry with backoff\n"
if git("show", "HEAD:docs/notes.md").stdout != want:
    sys.exit("docs/notes.md in HEAD has the wrong content")
if git("status", "--porcelain").stdout.strip():
    sys.exit("the working tree is not clean")
if git("show", "HEAD:src/app.py").stdout != 'print("v3")\n':
    sys.exit("src/app.py changed")
print("restored")
