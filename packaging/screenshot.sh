#!/usr/bin/env bash
# Screenshot of the app in a real X11 window under Xvfb: packaging/screenshot.sh [OUTPUT.png]
# (default docs/screenshot.png). Installs Xvfb and the libraries Qt's xcb platform lacks here (as
# the app names them) with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh
need=(xvfb xauth fonts-dejavu-core)
read -r -a window <<<"$(.venv/bin/python -m simfinder.gui.platform_libraries --debian-packages)"
scripts/need-debian-packages.sh screenshot.sh "${need[@]}" "${window[@]}"
exec xvfb-run -a -s "-screen 0 1600x1000x24" \
    env QT_QPA_PLATFORM=xcb .venv/bin/python packaging/screenshot.py "$@"
