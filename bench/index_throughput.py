"""Indexing throughput against the decode floor, measured in the same run.

    .venv/bin/python bench/index_throughput.py [FOLDER] [--write]

FOLDER defaults to ../shared/datasets/camera_photos/images (52 camera JPEGs, 2-22 MP).
Prints photos/s for: the decode floor (draft decode only, one thread), the full pipeline
(decode + hashes + thumbnail + CNN + store, CNN start-up excluded), and an unchanged re-index;
the ratios are the figures that matter. `--write` replaces this benchmark's section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.app.usecases import EmbedderProvider  # noqa: E402
from simfinder.core.decode import decode_photo  # noqa: E402
from simfinder.core.indexer import Indexer  # noqa: E402
from simfinder.core.library import Library  # noqa: E402
from simfinder.core.scan import scan_folders  # noqa: E402

DEFAULT = REPO.parent / "shared" / "datasets" / "camera_photos" / "images"
SECTION = "## Indexing throughput"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    files = [Path(f.path) for f in scan_folders([args.folder]).files]
    megapixels = 0.0
    # Warm the OS file cache so every pass reads from memory.
    for f in files:
        f.read_bytes()

    t0 = time.perf_counter()
    for f in files:
        d = decode_photo(f)
        if hasattr(d, "width"):
            megapixels += d.width * d.height / 1e6
    floor = time.perf_counter() - t0

    embedder = EmbedderProvider("cpu")
    t0 = time.perf_counter()
    embedder()
    startup = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        lib = Library.open(Path(tmp) / "lib")
        t0 = time.perf_counter()
        report = Indexer(lib, embedder).run([args.folder])
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = Indexer(lib, embedder).run([args.folder])
        rescan = time.perf_counter() - t0
        lib.close()

    n = len(files)
    rows = [
        ("decode floor (draft decode, 1 thread)", floor, n / floor, 1.0),
        ("full pipeline (2 decode threads + ONNX CNN + store)", full, n / full, full / floor),
        ("re-index, nothing changed", rescan, n / rescan, rescan / floor),
    ]
    lines = [
        f"{n} photos ({megapixels:.0f} MP in all) from {args.folder}",
        f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores;"
        f" CNN start-up (not counted): {startup:.2f} s",
        "",
        "| pass | seconds | photos/s | time / decode floor |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {sec:.2f} | {rate:.1f} | {ratio:.2f}x |" for name, sec, rate, ratio
              in rows]
    lines.append("")
    lines.append(f"Indexed {report.indexed}, linked {report.linked}, failed {len(report.failed)};"
                 f" re-index: {again.unchanged} unchanged.")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, "bench/index_throughput.py --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
