#!/bin/bash
set -e
cd /app/project
commit=$(git rev-list -n 1 HEAD -- docs/notes.md)
git checkout "${commit}^" -- docs/notes.md
git -c user.email=oracle@example.com -c user.name=Oracle commit -qm "Restore docs/notes.md"
