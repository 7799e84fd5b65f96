"""Indexing throughput against the decode floor, measured in the same run.

    .venv/bin/python bench/index_throughput.py [FOLDER] [--write]

FOLDER defaults to ../shared/datasets/camera_photos/images (52 camera JPEGs, 2-22 MP).
Prints photos/s for: the decode floor (draft decode only, one thread), the hash pass (decode +
pHash/dHash on 2 threads), the full pipeline (decode + hashes + thumbnail + CNN + store, CNN
start-up excluded), an unchanged re-index, and, in the same run, Czkawka's Rust similar-image
engine (PyPI `czkawka`, from the `bench` extra) on the same files with a fresh cache; the ratios
to the decode floor are the figures that matter. `--write` replaces this benchmark's section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.app.usecases import EmbedderProvider  # noqa: E402
from simfinder.core.indexing.indexer import Indexer  # noqa: E402
from simfinder.core.indexing.scan import scan_folders  # noqa: E402
from simfinder.core.photos.decode import DecodedPhoto, decode_photo  # noqa: E402
from simfinder.core.photos.hashes import compute_hashes  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

DEFAULT = DATASETS / "camera_photos" / "images"
SECTION = "## Indexing throughput"


def hash_one(path: Path) -> None:
    decoded = decode_photo(path)
    if isinstance(decoded, DecodedPhoto):
        compute_hashes(decoded.image)


def run_czkawka(folder: Path) -> float | None:
    """Seconds for Czkawka to hash and group the folder, in a child process with an empty
    cache (it keeps hashes between runs under the user's cache folder)."""
    if importlib.util.find_spec("czkawka") is None:
        return None
    code = (
        "import sys, czkawka; f = czkawka.ImageSimilarity(); f.set_directories([sys.argv[1]]);"
        " f.find_similar()"
    )
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "XDG_CACHE_HOME": home, "XDG_CONFIG_HOME": home}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(folder)], env=env, check=True,
                       capture_output=True)
        return time.perf_counter() - t0


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

    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(hash_one, files))
    hashes_only = time.perf_counter() - t0

    czkawka_s = run_czkawka(args.folder)

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
        ("hash pass (decode + pHash + dHash, 2 threads)", hashes_only, n / hashes_only,
         hashes_only / floor),
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
    if czkawka_s is not None:
        rows.append(("Czkawka similar images (Rust, its own hashing, fresh cache)", czkawka_s,
                     n / czkawka_s, czkawka_s / floor))
    lines += [f"| {name} | {sec:.2f} | {rate:.1f} | {ratio:.2f}x |" for name, sec, rate, ratio
              in rows]
    if czkawka_s is None:
        lines.append("(Czkawka not installed: `pip install -c constraints.txt -e '.[bench]'`)")
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
