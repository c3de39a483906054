#!/usr/bin/env bash
# Run every test: lint, architecture (import contracts, types), unit, CPython notebook
# execution, the WebAssembly sandbox, and real Chromium.
# Extra arguments go to pytest (e.g. scripts/test.sh -k cli).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/mypy
# two workers on two cores: every Chromium test (marked `browser`) in one xdist group, run one
# after another on one worker, while the other worker runs the rest (tests/conftest.py)
.venv/bin/python -m pytest -n "${MINATO_TEST_WORKERS:-2}" --dist loadgroup "$@"
