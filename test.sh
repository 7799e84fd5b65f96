#!/usr/bin/env bash
# Set up the environment (first run: a few minutes) and run the checks and the test suite.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-venv.sh test
scripts/need-test-packages.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/mypy simfinder
.venv/bin/lint-imports  # the layers, from pyproject.toml [tool.importlinter]
.venv/bin/python -m pytest "$@"
