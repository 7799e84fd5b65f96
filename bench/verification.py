"""Geometric verification: thumbnails or original files, what each costs and how well it tells.

    .venv/bin/python bench/verification.py [--write]

On labelled pairs of the shared datasets and the generated stress set (both splits):

* copies: pairs of files in one group of a duplicate suite or of the stress set,
* other shots: other views of one UKBench object / Holidays scene, the same-scene series of
  duplicateimages_tests, and each copy of motorcycle_left against each of motorcycle_right
  (the stereo pair of the held-out stress split),
* different photos: for each photo, its nearest photo by CNN cosine outside its own group,

it verifies every pair from three sources of pixels: the 256-px thumbnails the index keeps
(what simfinder uses), and the original files decoded at 512 and at 768 px. It reports the cost
per photo (reading the pixels + SIFT) and per pair (matching, RANSAC, pixel agreement), and the
share of each kind of pair that the *normal* rule takes for a copy.

`--save FILE` keeps what verification from the thumbnails says of every labelled pair (the
measures of `verify.Verification`, and the verdicts `is_near_duplicate` at each strictness and
`clearly_another_shot` with the pair's real cosine and hashes); `--compare FILE` checks a later
engine against it: a change meant to make verification cheaper must leave both as they were.
`--baseline DIR` also times another checkout's verify.py (in `simfinder/core/matching/`, or in
`simfinder/core/` before the sub-packages: a module of its own, it imports no other part of
simfinder) on the thumbnails, in the same run, for the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import DATASETS, Truth, load_truth  # noqa: E402
from bench.report import write_section  # noqa: E402
from bench.stress_set import build_stress_set  # noqa: E402
from simfinder.app.usecases import EmbedderProvider  # noqa: E402
from simfinder.core.indexing.indexer import Indexer  # noqa: E402
from simfinder.core.matching import verify  # noqa: E402
from simfinder.core.matching.similarity import (  # noqa: E402
    RULES,
    Evidence,
    Strictness,
    clearly_another_shot,
    is_copy,
    is_near_duplicate,
)
from simfinder.core.matching.verify import LocalFeatures, Verification, local_features  # noqa: E402
from simfinder.core.photos.decode import DecodeFailure, decode_photo  # noqa: E402
from simfinder.core.photos.hashes import hamming  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402

SECTION = "## Geometric verification: cost per pair, thumbnails or originals"
SETS = ("duplicateimages_tests", "imagededup_tests", "ukbench_holidays_mini")

Pair = tuple[str, str, str]  # kind, path a, path b


def labelled_pairs(truth: Truth, lib: Library) -> list[Pair]:
    root = truth.images.resolve()
    photos = {p.path: p for p in lib.catalog.photos()}
    by_content: dict[int, str] = {}
    for path in sorted(photos):
        by_content.setdefault(photos[path].content_id, path)
    rep = set(by_content.values())  # one file per content: byte copies are not pairs

    def files(group: set[str]) -> list[str]:
        return sorted(p for p in (str(root / f) for f in group) if p in rep)

    out: list[Pair] = []
    for g in truth.groups:
        out += [("copy", a, b) for a, b in combinations(files(g), 2)]
    for g in truth.similar + truth.series:
        out += [("other shot", a, b) for a, b in combinations(files(g), 2)]
    if truth.name == "stress_holdout":
        left = [p for p in rep if "/motorcycle_left/" in p]
        right = [p for p in rep if "/motorcycle_right/" in p]
        out += [("other shot", a, b) for a in sorted(left) for b in sorted(right)]
    # different photos: each photo and its nearest photo by cosine outside its own group
    group_of = {p: i for i, g in enumerate(truth.groups + truth.similar + truth.series)
                for p in files(g)}
    ids = [photos[p].content_id for p in sorted(rep)]
    paths = sorted(rep)
    vecs = lib.vectors.vectors(ids)
    sims = vecs @ vecs.T
    seen: set[tuple[str, str]] = set()
    for i, a in enumerate(paths):
        order = np.argsort(-sims[i])
        for j in order.tolist():
            b = paths[j]
            if b == a or (a in group_of and group_of.get(b) == group_of[a]):
                continue
            if "/motorcycle_" in a and "/motorcycle_" in b:
                continue  # the stereo pair is another shot, counted above
            key = (min(a, b), max(a, b))
            if key not in seen:
                seen.add(key)
                out.append(("different photos", *key))
            break
    return out


def pair_evidence(lib: Library, pairs: list[Pair]) -> dict[tuple[str, str], Evidence]:
    """Cosine and hashes of each pair, as grouping sees them (without the verification)."""
    photos = {p.path: p for p in lib.catalog.photos()}
    ids = sorted({photos[p].content_id for _, a, b in pairs for p in (a, b)})
    hashes, turned = lib.catalog.hashes_of(ids), lib.catalog.turned_hashes_of(ids)
    vectors = dict(zip(ids, lib.vectors.vectors(ids), strict=True))
    out = {}
    for _, a, b in pairs:
        ca, cb = photos[a].content_id, photos[b].content_id
        best: tuple[int, int] | None = None
        for one, other in ((ca, cb), (cb, ca)):  # the best flip or turn of either photo
            for turn, (ph, dh) in enumerate(zip(*turned.get(one, ([], [])), strict=True)):
                d = hamming(ph, hashes[other][0]) + hamming(dh, hashes[other][1])
                if best is None or d < best[0]:
                    best = (d, turn)
        out[(a, b)] = Evidence(float(vectors[ca] @ vectors[cb]),
                               hamming(hashes[ca][0], hashes[cb][0]),
                               hamming(hashes[ca][1], hashes[cb][1]),
                               best[0] if best else None, best[1] if best else None)
    return out


def outcome(v: Verification, ev: Evidence) -> dict[str, Any]:
    """What verification says of one pair: its measures, and the verdicts that use them."""
    ev = ev.with_verification(v)
    verdicts = {s.value: is_near_duplicate(ev, s) for s in Strictness}
    verdicts["another shot"] = clearly_another_shot(ev)
    return {"measures": [None if isinstance(x, float) and not math.isfinite(x) else x
                         for x in (v.matches, v.inliers, v.residual, v.misfit, v.drift,
                                   v.agreement, v.overlap, v.mirrored, v.angle, v.scale)],
            "verdicts": verdicts}


def compare(saved: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> str:
    """One sentence: do the verdicts and the measures of the labelled pairs match a saved run
    (measures to within 1e-9, relative)?"""
    common = sorted(saved.keys() & now.keys())
    verdicts = [k for k in common if saved[k]["verdicts"] != now[k]["verdicts"]]

    def close(x: object, y: object) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return abs(x - y) <= 1e-9 * max(1.0, abs(x))
        return x == y

    measures = [k for k in common if not all(
        close(x, y) for x, y in zip(saved[k]["measures"], now[k]["measures"], strict=True))]
    for k in verdicts:
        print(f"verdicts differ: {k}: {saved[k]['verdicts']} -> {now[k]['verdicts']}",
              file=sys.stderr)
    return (f"Against the saved run: of {len(common)} labelled pairs ({len(saved)} saved, "
            f"{len(now)} now), {len(verdicts)} with other verdicts (`is_near_duplicate` at "
            f"each strictness, `clearly_another_shot`), {len(measures)} with other measures.")


def measure(
    pairs: list[Pair],
    pixels: Callable[[str], Image.Image | None],
    side: int,
    kept: dict[tuple[str, str], Verification] | None = None,
    engine: ModuleType = verify,
) -> dict[str, float]:
    features: dict[str, tuple[LocalFeatures, LocalFeatures | None] | None] = {}
    photo_seconds = 0.0
    for path in sorted({p for _, a, b in pairs for p in (a, b)}):
        t0 = time.perf_counter()
        image = pixels(path)
        features[path] = ((engine.local_features(image, side), None) if image is not None
                          else None)
        photo_seconds += time.perf_counter() - t0
    rule = RULES[Strictness.NORMAL]
    taken: dict[str, list[bool]] = {}
    pair_seconds = 0.0
    mirrored: dict[str, LocalFeatures] = {}
    for kind, a, b in pairs:
        fa, fb = features[a], features[b]
        if fa is None or fb is None:
            continue
        first = fa[0]

        def mirror(path: str = a, f: LocalFeatures = first) -> LocalFeatures:
            # as in the app: made when first needed, then kept with the photo's features
            if path not in mirrored:
                mirrored[path] = f.mirrored()
            return mirrored[path]

        t0 = time.perf_counter()
        v = engine.verify_pair(first, fb[0], a_mirrored=mirror)
        pair_seconds += time.perf_counter() - t0
        taken.setdefault(kind, []).append(is_copy(v, rule))
        if kept is not None:
            kept[(a, b)] = v
    n_photos = sum(1 for f in features.values() if f is not None)
    out = {"photo_ms": 1000 * photo_seconds / max(1, n_photos),
           "pair_ms": 1000 * pair_seconds / max(1, sum(len(v) for v in taken.values()))}
    for kind, results in taken.items():
        out[kind] = sum(results) / len(results)
        out[kind + " n"] = len(results)
    return out


def verify_module_of(checkout: Path) -> ModuleType:
    """Another checkout's verify.py, loaded as a module beside this one's."""
    core = checkout / "simfinder" / "core"
    path = core / "matching" / "verify.py"
    if not path.exists():
        path = core / "verify.py"
    spec = importlib.util.spec_from_file_location("baseline_verify", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{checkout}: no simfinder/core/matching/verify.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def camera_cost() -> dict[int, float]:
    files = sorted((DATASETS / "camera_photos" / "images").rglob("*.jpg"))
    for f in files:
        f.read_bytes()
    out = {}
    for side in (256, 512, 768):
        t0 = time.perf_counter()
        for f in files:
            decoded = decode_photo(f, max_side=side)
            if not isinstance(decoded, DecodeFailure):
                local_features(decoded.image, side)
        out[side] = 1000 * (time.perf_counter() - t0) / len(files)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="keep the measures and verdicts of the labelled pairs")
    parser.add_argument("--compare", type=Path, metavar="FILE",
                        help="check the measures and verdicts against a --save'd run")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also time this checkout's verify.py on the thumbnails")
    args = parser.parse_args()
    baseline = verify_module_of(args.baseline) if args.baseline else None
    embedder = EmbedderProvider("auto")
    with tempfile.TemporaryDirectory(prefix="simfinder-verify-") as tmp:
        work = Path(tmp)
        truths = [load_truth(DATASETS / name) for name in SETS]
        for split in ("train", "holdout"):
            build_stress_set(work / f"stress_{split}", split)
            truths.append(load_truth(work / f"stress_{split}"))
        libraries: list[tuple[Library, list[Pair]]] = []
        evidence: dict[tuple[str, str], Evidence] = {}
        names: dict[tuple[str, str], str] = {}  # the same for every run: set and file names
        for truth in truths:
            lib = Library.open(work / f"lib-{truth.name}")
            Indexer(lib, embedder).run([truth.images])
            libraries.append((lib, labelled_pairs(truth, lib)))
            evidence.update(pair_evidence(lib, libraries[-1][1]))
            root = truth.images.resolve()
            for _, a, b in libraries[-1][1]:
                names[(a, b)] = (f"{truth.name}: {Path(a).relative_to(root).as_posix()} | "
                                 f"{Path(b).relative_to(root).as_posix()}")
            print(f"{truth.name}: {len(libraries[-1][1])} pairs", file=sys.stderr)
        pairs = [p for _, ps in libraries for p in ps]
        thumbs: dict[str, Path] = {}
        for lib, _ in libraries:
            for photo in lib.catalog.photos():
                thumbs[photo.path] = lib.thumbs.path_for(photo.digest)

        def thumbnail(path: str) -> Image.Image | None:
            with Image.open(thumbs[path]) as im:
                return im.convert("L")

        def original(side: int) -> Callable[[str], Image.Image | None]:
            def load(path: str) -> Image.Image | None:
                decoded = decode_photo(Path(path), max_side=side)
                return None if isinstance(decoded, DecodeFailure) else decoded.image
            return load

        for path in thumbs:  # the files in the page cache, as for every source below
            Path(path).read_bytes()
        rows = []
        from_thumbnails: dict[tuple[str, str], Verification] = {}
        for label, source, side in (
            ("thumbnail, 256 px (kept by the index)", thumbnail, 256),
            ("original file, decoded and verified at 512 px", original(512), 512),
            ("original file, decoded and verified at 768 px", original(768), 768),
        ):
            r = measure(pairs, source, side, from_thumbnails if side == 256 else None)
            rows.append((label, r))
            print(label, r, file=sys.stderr)
            if baseline is not None and side == 256:
                # the same pixels again through the baseline's verify.py, right after
                r = measure(pairs, source, side, engine=baseline)
                rows.append((f"thumbnail, 256 px, with the verify.py of {args.baseline.name}",
                             r))
                print(rows[-1][0], r, file=sys.stderr)
        for lib, _ in libraries:
            lib.close()
    outcomes = {names[pair]: outcome(v, evidence[pair]) for pair, v in from_thumbnails.items()}
    if args.save:
        args.save.write_text(json.dumps(outcomes, indent=0, sort_keys=True))
    same = compare(json.loads(args.compare.read_text()), outcomes) if args.compare else None
    camera = camera_cost()
    kinds = ("copy", "other shot", "different photos")
    lines = [
        "Labelled pairs: " + ", ".join(f"{int(rows[0][1].get(k + ' n', 0))} {k}" for k in kinds)
        + " (duplicateimages_tests, imagededup_tests, ukbench_holidays_mini, stress set both "
        "splits). *taken*: the share the normal rule's copy test (`similarity.is_copy`) "
        "accepts; the copies it misses are mostly caught by the hashes instead (blur, noise, "
        "tiny scales), see the accuracy section.",
        "",
        "| pixels | ms per photo (read + SIFT) | ms per pair (match, RANSAC, agreement) | "
        "copies taken | other shots taken | different photos taken |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(f"| {label} | {r['photo_ms']:.1f} | {r['pair_ms']:.1f} | "
                     + " | ".join(f"{100 * r.get(k, 0):.1f}%" for k in kinds) + " |")
    lines += ["", "simfinder verifies from the thumbnails: no false acceptance from any source, "
              "and the most copies with its rules (calibrated at 256 px: the drift limit is in "
              "pixels), at a fraction of the cost, and it works while the originals are "
              "offline. *ms per pair* includes the mirror image's features when a pair needs "
              "them (once per photo). The photos here are small (most under 1.5 MP); on the "
              "2-22 MP JPEGs of camera_photos, decoding the original and finding features costs "
              f"{camera[256]:.0f} / {camera[512]:.0f} / {camera[768]:.0f} ms per photo at "
              "256 / 512 / 768 px, against reading a thumbnail and finding its features "
              f"{rows[0][1]['photo_ms']:.0f} ms."]
    if baseline is not None:
        now, then = rows[0][1], rows[1][1]
        lines += ["", f"Same run, thumbnails, this engine against the verify.py of "
                  f"{args.baseline.name} (`--baseline`): {now['photo_ms']:.1f} / "
                  f"{then['photo_ms']:.1f} ms per photo "
                  f"({now['photo_ms'] / then['photo_ms']:.2f}x), {now['pair_ms']:.1f} / "
                  f"{then['pair_ms']:.1f} ms per pair ({now['pair_ms'] / then['pair_ms']:.2f}x)."]
    if same:
        lines += ["", same]
    body = "\n".join(lines)
    print(body)
    if args.write:
        command = " ".join(["bench/verification.py", *sys.argv[1:]])
        write_section(SECTION, body, command)


if __name__ == "__main__":
    main()
