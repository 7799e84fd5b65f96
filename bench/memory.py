"""Peak memory while indexing: does it stay flat as the folder grows?

    .venv/bin/python bench/memory.py [--small 300] [--large 1500] [--write]

Generates two folders of distinct 3-megapixel JPEGs (from scikit-image's sample photos, shifted
and recoloured so every file is different), indexes each in a fresh subprocess through the CLI,
and samples that process's resident memory. The small folder is the baseline: a peak ratio near
1.0 for 5x the photos means memory is bounded by the pipeline, not by the folder's size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.app.demo import ORIGINALS, sample_photo_dir  # noqa: E402

SECTION = "## Memory while indexing"
NOTE = """\
*seconds*: the whole `simfinder index` command, comparing the likely copies after indexing
included. These folders are shifted and recoloured copies of a few photos, so most photos have
many likely copies: ~11 pairs a photo to verify at 1,500 photos (a photo library has ~3). Before
the comparison stage ran with indexing (main at 734beda): 484 / 512 MB peak, 4.2 / 17.7 s."""


def make_folder(root: Path, n: int) -> None:
    bases = []
    for name in ORIGINALS:
        with Image.open(sample_photo_dir() / name) as im:
            bases.append(im.convert("RGB").resize((2000, 1500)))
    rng = np.random.default_rng(0)
    for i in range(n):
        base = np.asarray(bases[i % len(bases)], dtype=np.int16)
        shifted = np.roll(base, int(rng.integers(1, 1500)), axis=1)
        tint = rng.integers(-40, 40, size=3)
        pixels = np.clip(shifted + tint, 0, 255).astype(np.uint8)
        path = root / f"{i // 100:03d}" / f"{i:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(path, quality=88)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def index_peak(folder: Path, library: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of `simfinder index` on the folder."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simfinder", "--library", str(library), "index", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, rss_kb(proc.pid))
        time.sleep(0.05)
    if proc.returncode != 0:
        raise RuntimeError(f"index failed with {proc.returncode}")
    return peak / 1024, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--large", type=int, default=1500)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.small, args.large):
            folder = Path(tmp) / f"photos{n}"
            make_folder(folder, n)
            peak, seconds = index_peak(folder, Path(tmp) / f"lib{n}")
            rows.append((n, peak, seconds))
    lines = ["| photos (3 MP JPEG) | peak RSS MB | seconds |", "|---|---|---|"]
    lines += [f"| {n:,} | {peak:.0f} | {sec:.1f} |" for n, peak, sec in rows]
    ratio = rows[1][1] / rows[0][1]
    lines += ["", f"Peak memory ratio for {args.large / args.small:.0f}x the photos: {ratio:.2f}x",
              "", NOTE]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, "bench/memory.py --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
