#!/usr/bin/env bash
# Install everything minato-lite's demo and tests need, idempotently:
# a virtualenv with the package and test tools, Chromium and npm from apt when
# missing, an offline Pyodide distribution (core + pure-Python packages), and
# the scientific stand-in (numpy, pandas, matplotlib; see minato_lite/pyodide/scientific.py).
# Sourced by demo.sh and test.sh; exports MINATO_PYODIDE_DIST and MINATO_PYODIDE_SCIENTIFIC.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing $* with apt"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.minato-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing minato-lite and its test tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi

missing=()
[ -x "${MINATO_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# the documented proxy in front of a bucket (docs/deployment.md), run by the browser tests
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# the folder names the bytecode format (pyodide/bytecode.py FORMAT), so a new format assembles anew
bcformat="$(.venv/bin/python -c 'from minato_lite.pyodide.bytecode import FORMAT; print(FORMAT)')"
export MINATO_PYODIDE_DIST="${MINATO_PYODIDE_DIST:-$ROOT/.cache/pyodide-dist-bc$bcformat}"
if [ ! -f "$MINATO_PYODIDE_DIST/pyodide-lock.json" ]; then
  say "assembling an offline Pyodide distribution in $MINATO_PYODIDE_DIST"
  .venv/bin/minato-lite pyodide assemble -o "$MINATO_PYODIDE_DIST"
fi

# the folder names the recipe, so a changed recipe (pyodide/scientific.py RECIPE) builds anew
recipe="$(.venv/bin/python -c 'from minato_lite.pyodide.scientific import RECIPE; print(RECIPE)')"
export MINATO_PYODIDE_SCIENTIFIC="${MINATO_PYODIDE_SCIENTIFIC:-$ROOT/.cache/pyodide-scientific-r$recipe}"
if [ ! -f "$MINATO_PYODIDE_SCIENTIFIC/pyodide-lock.json" ]; then
  say "building the scientific Pyodide stand-in in $MINATO_PYODIDE_SCIENTIFIC"
  .venv/bin/minato-lite pyodide assemble --scientific -o "$MINATO_PYODIDE_SCIENTIFIC"
fi
