#!/usr/bin/env bash
# Screenshot of the app in a real X11 window under Xvfb: packaging/screenshot.sh [OUTPUT.png]
# (default docs/screenshot.png). Installs Xvfb and Qt's xcb libraries with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=(xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0
      libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libegl1 libgl1 libfontconfig1 fonts-dejavu-core)
missing=()
for pkg in "${need[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "screenshot.sh: please install: ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
scripts/setup-venv.sh
exec xvfb-run -a -s "-screen 0 1600x1000x24" \
    env QT_QPA_PLATFORM=xcb .venv/bin/python packaging/screenshot.py "$@"
