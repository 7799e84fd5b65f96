#!/usr/bin/env bash
# Render resources/simfinder.svg into the PNG sizes desktops use (resources/icons/hicolor/
# SIZE/apps/simfinder.png), the Windows .ico and the macOS .icns. Run after changing the SVG;
# the results are committed. Needs rsvg-convert (Debian: librsvg2-bin) and the dev venv.
set -euo pipefail
cd "$(dirname "$0")/.."
out=resources/icons
for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "$out/hicolor/${size}x${size}/apps"
    rsvg-convert -w "$size" -h "$size" resources/simfinder.svg \
        -o "$out/hicolor/${size}x${size}/apps/simfinder.png"
done
.venv/bin/python - "$out" <<'PY'
import sys
from pathlib import Path

from PIL import Image

out = Path(sys.argv[1])
png = {s: Image.open(out / f"hicolor/{s}x{s}/apps/simfinder.png") for s in (16, 24, 32, 48, 64, 128, 256, 512)}
png[256].save(out / "simfinder.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
png[512].save(out / "simfinder.icns", append_images=[png[s] for s in (16, 32, 64, 128, 256)])
PY
ls -la "$out" "$out"/hicolor/*/apps
