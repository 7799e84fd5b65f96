#!/usr/bin/env bash
# What the tests need from the system besides the venv: the desktop-file validators, Xvfb,
# xdotool and a font for the real-window tests (tests/test_real_window.py), and the libraries
# Qt's xcb platform lacks here (the app names them itself: simfinder.gui.platform_libraries).
# Installed with apt-get as root; otherwise named, and those tests skip (in CI they fail).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v apt-get >/dev/null || exit 0
need=(xvfb xdotool fonts-dejavu-core desktop-file-utils appstream)
read -r -a window <<<"$(.venv/bin/python -m simfinder.gui.platform_libraries --debian-packages)"
need+=("${window[@]}")
scripts/need-debian-packages.sh test.sh "${need[@]}" || {
    echo "test.sh: the real-window tests will skip without them" >&2
    [ "${CI:-}" != "true" ] || exit 1
}
