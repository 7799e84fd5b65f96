#!/usr/bin/env bash
# Set up the environment (first run: a few minutes), then run simfinder.
#   ./simfinder.sh                  the demo: builds a demo photo folder, indexes it, shows results
#   ./simfinder.sh ~/Pictures ...   indexes your folders and lists their duplicates
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-venv.sh
if [ "$#" -eq 0 ]; then
    exec .venv/bin/simfinder demo
fi
.venv/bin/simfinder index "$@"
exec .venv/bin/simfinder duplicates
