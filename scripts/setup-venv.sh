#!/usr/bin/env bash
# Create or update .venv with simfinder and its dependencies (torch pinned by constraints.txt).
# Usage: scripts/setup-venv.sh [EXTRAS]   e.g. scripts/setup-venv.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi
spec="."
[ -n "$extras" ] && spec=".[$extras]"
# Reinstall only when the project's requirements changed since the last setup.
stamp=".venv/.simfinder-setup-$(cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)-${extras:-base}"
if [ ! -e "$stamp" ]; then
    .venv/bin/python -m pip install -q -c constraints.txt -e "$spec"
    touch "$stamp"
fi
