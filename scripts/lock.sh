#!/usr/bin/env bash
# Re-resolves requirements/dev.in in a scratch venv and rewrites requirements/lock.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements/dev.in
"$tmp/venv/bin/pip" freeze --exclude-editable \
  | grep -v -iE '^(pip|setuptools)==' \
  | sed 's/^torch==\([0-9.]*\)+cpu/torch==\1/' > requirements/lock.txt
echo "wrote requirements/lock.txt ($(wc -l < requirements/lock.txt) pins)"
