#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: system packages, .venv, pinned Python
# packages, and kerasnb itself with its prebuilt JupyterLab extension.
# A second run with nothing changed installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"

say() { printf '[setup] %s\n' "$*"; }
# Run a noisy step with its output in .venv/setup.log, shown only if it fails.
logged() {
  if ! "$@" > "$venv/setup.log" 2>&1; then
    tail -n 40 "$venv/setup.log"
    say "failed: $* (full log: $venv/setup.log)"
    exit 1
  fi
}

# 1. Debian packages: Graphviz's dot (model graphs) and Chromium (browser tests).
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}"
fi

# 2. The virtual environment.
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv"
  python3 -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

# 3. Pinned dependencies, reinstalled only when the lock file changes.
lock_hash=$(sha256sum requirements/lock.txt | cut -d' ' -f1)
if [ "$(cat "$venv/.kerasnb-lock" 2>/dev/null)" != "$lock_hash" ]; then
  say "installing pinned packages (requirements/lock.txt)"
  logged "${pip[@]}" install -r requirements/lock.txt
  echo "$lock_hash" > "$venv/.kerasnb-lock"
fi

# 4. kerasnb itself (editable) with the lab extension, rebuilt only when its
#    sources or the build configuration change.
src_hash=$(cat pyproject.toml labextension/package.json labextension/yarn.lock \
  labextension/tsconfig.json labextension/install.json \
  $(find labextension/src labextension/style labextension/schema -type f | sort) 2>/dev/null \
  | sha256sum | cut -d' ' -f1)
if [ "$(cat "$venv/.kerasnb-src" 2>/dev/null)" != "$src_hash" ] \
   || ! "$venv/bin/python" -c "import kerasnb" >/dev/null 2>&1; then
  say "building kerasnb and its JupyterLab extension"
  rm -rf kernel_ext/kerasnb/labextension
  logged env PATH="$venv/bin:$PATH" "${pip[@]}" install --no-deps --no-build-isolation -e .
  echo "$src_hash" > "$venv/.kerasnb-src"
fi
# 5. The extension's own test and lint tools (jest, eslint: devDependencies from
#    the npm registry), which the build above installs; again here when they are
#    missing or labextension/yarn.lock changed since, e.g. after a clean checkout.
lock_js=$(sha256sum labextension/yarn.lock | cut -d' ' -f1)
if [ ! -x labextension/node_modules/.bin/jest ] || [ ! -x labextension/node_modules/.bin/eslint ] \
   || [ "$(cat "$venv/.kerasnb-node" 2>/dev/null)" != "$lock_js" ]; then
  say "installing the lab extension's node modules (labextension/yarn.lock)"
  logged env PATH="$venv/bin:$PATH" bash -c 'cd labextension && jlpm install --immutable'
  echo "$lock_js" > "$venv/.kerasnb-node"
fi
say "ready: $venv"
