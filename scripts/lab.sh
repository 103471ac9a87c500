#!/usr/bin/env bash
# The main job: set up if needed, then open JupyterLab on the tutorials.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
args=(--notebook-dir=notebooks)
[ "$(id -u)" -ne 0 ] || args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
