#!/usr/bin/env bash
# Screenshot of the app in a real X11 window under Xvfb: packaging/screenshot.sh [OUTPUT.png]
# (default docs/screenshot.png). Installs Xvfb and Qt's xcb libraries with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=(xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0
      libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libegl1 libgl1 libfontconfig1 fonts-dejavu-core)
scripts/need-debian-packages.sh screenshot.sh "${need[@]}"
scripts/setup-venv.sh
exec xvfb-run -a -s "-screen 0 1600x1000x24" \
    env QT_QPA_PLATFORM=xcb .venv/bin/python packaging/screenshot.py "$@"
