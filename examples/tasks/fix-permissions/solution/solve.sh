#!/bin/bash
set -e
cd /app/deploy
find . -type d -exec chmod 755 {} +
find . -type f -exec chmod 644 {} +
find . -type f -name '*.sh' -exec chmod 755 {} +
chmod 700 secrets
chmod 600 secrets/api.key
