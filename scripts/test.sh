#!/usr/bin/env bash
# Run every test: lint, architecture (import contracts, types), unit, CPython notebook
# execution, the WebAssembly sandbox, and real Chromium.
# Extra arguments go to pytest (e.g. scripts/test.sh -k cli).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
.venv/bin/ruff check .
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
