#!/usr/bin/env bash
# The whole test suite: set up if needed, lint, type-check, then every test
# (unit, kernel, all three backends, notebooks, real browser).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "[test] ruff"; ruff check kernel_ext tests bench
echo "[test] mypy"; mypy
echo "[test] eslint, jest (labextension)"
(cd labextension && jlpm run eslint:check && jlpm run prettier:check && jlpm run test)
echo "[test] pytest"
exec python -m pytest "$@"
