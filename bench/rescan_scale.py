"""Re-index of an unchanged library: stat data only, no file read.

    .venv/bin/python bench/rescan_scale.py [N] [--write]

Writes N small files (default 50,000) in 500 folders, records them in a fresh library's catalog
as indexed (with their real stat data), then times `simfinder index` over the folder, which
must find nothing to do. The same-run baseline is a bare `os.scandir` walk that stats every
file: the ratio is simfinder's overhead over just listing the folders.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME  # noqa: E402
from simfinder.core.store.catalog import ContentFeatures  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402

SECTION = "## Re-index of an unchanged library"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def walk(root: Path) -> int:
    n = 0
    stack = [str(root)]
    while stack:
        for entry in os.scandir(stack.pop()):
            if entry.is_dir():
                stack.append(entry.path)
            else:
                entry.stat()
                n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        paths = []
        for i in range(args.n):
            path = photos / f"{i // 100:03d}" / f"IMG_{i:06d}.jpg"
            if i % 100 == 0:
                path.parent.mkdir(parents=True)
            path.write_bytes(JPEG + i.to_bytes(4, "big"))
            paths.append(path)
        lib = Library.open(Path(tmp) / "lib")
        vec = np.ones(EMBED_DIM, dtype=np.float32) / np.sqrt(EMBED_DIM)
        with lib.catalog.transaction():
            cid = lib.catalog.put_content(
                ContentFeatures(b"\0" * 16, 1, 1, "JPEG", None, None, 0, 0, MODEL_NAME, vec))
            for path in paths:
                st = path.stat()
                lib.catalog.put_file(str(path), st.st_size, st.st_mtime_ns, cid)
        lib.catalog.add_folder(str(photos))
        lib.close()

        t0 = time.perf_counter()
        listed = walk(photos)
        baseline = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "simfinder", "--library", str(Path(tmp) / "lib"), "index",
             str(photos)], capture_output=True, text=True, check=True)
        rescan = time.perf_counter() - t0
    summary = out.stderr.strip().splitlines()[-1]
    text = "\n".join([
        "| pass | files | seconds |", "|---|---|---|",
        f"| bare os.scandir walk + stat (baseline) | {listed:,} | {baseline:.2f} |",
        f"| `simfinder index` (whole command, start-up included) | {args.n:,} | {rescan:.2f} |",
        "", f"Ratio to the bare walk: {rescan / baseline:.1f}x. The command said: `{summary}`",
    ])
    print(text)
    if args.write:
        write_section(SECTION, text, f"bench/rescan_scale.py {args.n} --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
