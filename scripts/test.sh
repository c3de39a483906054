#!/usr/bin/env bash
# Run every test: lint, unit, CPython notebook execution, and real Chromium.
# Extra arguments go to pytest (e.g. scripts/test.sh -k cli).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
