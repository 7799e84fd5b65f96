#!/usr/bin/env bash
# Set up the environment (first run: a few minutes), then open simfinder.
#   ./simfinder.sh                  the desktop app on a demo library (demo photos built and indexed)
#   ./simfinder.sh ~/Pictures ...   the desktop app on your library, adding and indexing these folders
# On a machine without a screen it runs the same on the command line instead.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-venv.sh
if [ "$(uname)" = "Linux" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}${QT_QPA_PLATFORM:-}" ]; then
    echo "No screen found: running on the command line." >&2
    if [ "$#" -eq 0 ]; then
        exec .venv/bin/simfinder demo
    fi
    .venv/bin/simfinder index "$@"
    exec .venv/bin/simfinder duplicates
fi
# The window's system libraries (X11/Wayland), before anything else is done: one line naming the
# packages to install when some are missing.
.venv/bin/python -m simfinder.gui.platform_libraries || exit 1
if [ "$#" -eq 0 ]; then
    exec .venv/bin/simfinder gui --demo
fi
exec .venv/bin/simfinder gui "$@"
