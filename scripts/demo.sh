#!/usr/bin/env bash
# Build the demo site from the bundled sample data and serve it on 127.0.0.1.
# Its analysis runs with pandas and draws charts. Pyodide comes from, in order:
#   MINATO_PYODIDE_FULL   a full official release (folder or .tar.bz2), if set;
#   the public CDN        when this machine reaches it;
#   the scientific stand-in built by bootstrap.sh (Pyodide 0.27.7 + pandas 2.2), else.
# MINATO_DEMO_PYODIDE=cdn|scientific forces one of the last two.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

cdn_reachable() {
  .venv/bin/python - <<'EOF'
import urllib.request
from minato_lite.pyodide.distribution import CDN_URL
urllib.request.urlopen(urllib.request.Request(CDN_URL, method="HEAD"), timeout=5)
EOF
}

choice="${MINATO_DEMO_PYODIDE:-}"
case "$choice" in
  ""|cdn|scientific) ;;
  *) echo "demo.sh: MINATO_DEMO_PYODIDE must be cdn or scientific, not '$choice'" >&2; exit 2 ;;
esac
if [ -n "${MINATO_PYODIDE_FULL:-}" ]; then
  pyodide_args=(--pyodide "$MINATO_PYODIDE_FULL")
  say "Pyodide: the full release $MINATO_PYODIDE_FULL"
elif [ "$choice" = "cdn" ] || { [ -z "$choice" ] && cdn_reachable 2>/dev/null; }; then
  pyodide_args=()
  say "Pyodide: the public CDN (the visitor's browser downloads it)"
else
  pyodide_args=(--pyodide "$MINATO_PYODIDE_SCIENTIFIC")
  why="the public CDN is not reachable from here"
  [ "$choice" = "scientific" ] && why="MINATO_DEMO_PYODIDE=scientific"
  say "Pyodide: the scientific stand-in in $MINATO_PYODIDE_SCIENTIFIC (Pyodide 0.27.7, Python 3.12, pandas 2.2; $why); the site works offline"
fi
.venv/bin/minato-lite build examples/sales.csv --code examples/analysis.py \
  --title "Sales demo" -o demo-site ${pyodide_args[@]+"${pyodide_args[@]}"}
exec .venv/bin/minato-lite serve demo-site --port "${PORT:-8000}" "$@"
