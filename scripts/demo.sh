#!/usr/bin/env bash
# Build the demo site from the bundled sample data and serve it on 127.0.0.1.
# Pyodide: a full release if MINATO_PYODIDE_FULL names one (pandas in the browser),
# the public CDN if MINATO_DEMO_PYODIDE=cdn, else the offline assembled distribution.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
pyodide_args=(--pyodide "${MINATO_PYODIDE_FULL:-$MINATO_PYODIDE_DIST}")
[ "${MINATO_DEMO_PYODIDE:-}" = "cdn" ] && pyodide_args=()
.venv/bin/minato-lite build examples/sales.csv --code examples/analysis.py \
  --title "Sales demo" -o demo-site "${pyodide_args[@]}"
exec .venv/bin/minato-lite serve demo-site --port "${PORT:-8000}" "$@"
