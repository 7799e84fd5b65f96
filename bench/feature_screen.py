"""The cheap look before SIFT (core.feature_screen) on the labelled pairs of the accuracy sets.

    .venv/bin/python bench/feature_screen.py [--keep DIR] [--only NAME ...]

For every set bench/accuracy.py measures (indexed without the comparison stage; `--keep DIR`
reuses bench/pairs_per_photo.py's libraries), the pairs grouping verifies are verified with
SIFT (as the stage does without the screen) and looked at with ORB. Per set: the pairs, those
the screen may rule out (`screenable`), those with 8 or more SIFT inliers among them (the ones
whose verdict SIFT can change), how many of those the screen would rule out (must be 0), how
many screenable pairs it rules out, and the CPU milliseconds per photo of ORB (as is and
mirrored) against SIFT's features at the thumbnail size. AKAZE is not measured: the OpenCV
build simfinder depends on (opencv-python-headless 5) has no AKAZE.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import datasets  # noqa: E402
from simfinder.app.usecases import EmbedderProvider  # noqa: E402
from simfinder.core.indexing.indexer import Indexer  # noqa: E402
from simfinder.core.matching.candidates import find_candidates  # noqa: E402
from simfinder.core.matching.feature_screen import could_align, screen_features  # noqa: E402
from simfinder.core.matching.similarity import RULES, Strictness  # noqa: E402
from simfinder.core.matching.verify import local_features, verify_pair  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402


def measure(name: str, images: Path, root: Path) -> str:
    lib = Library.open(root / name)
    if not lib.catalog.file_count():
        Indexer(lib, EmbedderProvider("cpu")).run([images])
    found = find_candidates(lib, Strictness.LOOSE)
    pairs = found.pairs(found.verify)
    screenable = found.screenable_pairs()
    contents = sorted({c for pair in pairs for c in pair})
    digest = {p.content_id: p.digest for p in lib.catalog.photos_of_contents(contents)}
    grey = {}
    for c in contents:
        with Image.open(lib.thumbs.path_for(digest[c])) as im:
            grey[c] = np.asarray(im.convert("L"), dtype=np.uint8)
    started = time.process_time()
    orb = {c: screen_features(g) for c, g in grey.items()}
    orb_ms = 1000 * (time.process_time() - started) / max(1, len(grey))
    started = time.process_time()
    sift = {c: local_features(g) for c, g in grey.items()}
    sift_ms = 1000 * (time.process_time() - started) / max(1, len(grey))
    lib.close()
    min_inliers = RULES[Strictness.LOOSE].min_inliers
    changeable = ruled_out = lost = 0
    for a, b in screenable:
        first, second = (a, b) if digest[a] <= digest[b] else (b, a)
        v = verify_pair(sift[first], sift[second], a_mirrored=sift[first].mirrored)
        passes = could_align(orb[first], orb[second])
        changeable += v.inliers >= min_inliers
        ruled_out += not passes
        lost += v.inliers >= min_inliers and not passes
    return (f"| {name} | {len(pairs)} | {len(screenable)} | {changeable} | {lost} | "
            f"{ruled_out} | {orb_ms:.1f} | {sift_ms:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="libraries indexed here (reused)")
    parser.add_argument("--only", nargs="*", help="just these sets")
    args = parser.parse_args()
    print("| set | pairs verified | screenable | SIFT inliers >= 8 | of those ruled out | "
          "ruled out | ORB ms/photo | SIFT ms/photo |\n|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="simfinder-screen-") as tmp:
        root = args.keep or Path(tmp)
        for truth in datasets(root / "sets"):
            if args.only and truth.name not in args.only:
                continue
            print(measure(truth.name, truth.images, root), flush=True)


if __name__ == "__main__":
    main()
