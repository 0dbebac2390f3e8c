#!/bin/sh
set -e
mkdir -p /app/project && cd /app/project
git init -q -b main
git config user.email dev@example.com
git config user.name "Dev"
mkdir -p docs src
printf 'print("v1")\n' > src/app.py
printf '# Notes\n\n- first idea\n' > docs/notes.md
git add -A && git commit -qm "Initial commit"
printf '# Notes\n\n- first idea\n- second idea: cache the results\n- third idea: retry with backoff\n' > docs/notes.md
git commit -qam "More notes"
git rm -q docs/notes.md
printf 'print("v2")\n' > src/app.py
git commit -qam "Clean up docs, bump app"
printf '# Project\n' > README.md
git add README.md && git commit -qm "Add README"
printf 'print("v3")\n' > src/app.py
git commit -qam "Bump app"
