"""Photo libraries of 1,000 photos and more for the time-to-duplicates bench, built the same way
every time (up to about 8,900: the real photos' non-plain cells give 7,370 distinct synthetic
photos; a larger size stops with a message).

    .venv/bin/python bench/scale_library.py SIZE [--cache DIR]

A library of SIZE photos is

* the real photos: every readable photo of the shared datasets (camera_photos,
  duplicateimages_tests, imagededup_tests, ukbench_holidays_mini) and of /work/datasets
  (other_shots, retrieval, series), as they are: distinct photos, their labelled copies and
  other shots of one scene (corrupt files and the decompression bomb left out);
* then synthetic photos up to SIZE, in a fixed order. Nine in ten are *distinct*: a region of
  one real photo that no other synthetic photo shares (each source photo is cut into a grid of
  cells of about 0.075 MP, e.g. 320 x 240; only one photo of each labelled copy group or set of
  other shots is cut, so no two cells show the same part of a scene; plain cells, a wall or a
  sky whose grey levels vary by less than 12, are left out), enlarged to a camera size
  of 1.5-6 MP (log-uniform, median 3 MP, the cell's shape, one in four turned to portrait),
  with a fine film grain so that the JPEG carries about as many bits as a camera's, saved as
  JPEG quality 85-92 in folders of 1,000. One in ten is a *copy* of one of the nine photos
  before it: re-encoded at quality 50-75, shrunk to 40-70 %, cropped to 70-90 % of the area,
  or shifted in brightness and colour (a quarter each).

Everything is drawn from a seeded generator per photo, so photo k is the same file in every
library and a library of 3,000 is the one of 1,000 plus 2,000 more. Files are written once
under the cache folder (default /tmp/simfinder-scale-libraries), never in the repository, and
linked into each library; a library already built is reused. `groundtruth.json` beside
`images/` lists each synthetic copy with its original (`copies`) and the distinct synthetic
photos (`distinct`).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageEnhance, ImageStat

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.datasets import DATASETS  # noqa: E402

log = logging.getLogger(__name__)

CACHE = Path("/tmp/simfinder-scale-libraries")
OTHER_DATASETS = Path("/work/datasets")
REAL_SETS = [DATASETS / "camera_photos", DATASETS / "duplicateimages_tests",
             DATASETS / "imagededup_tests", DATASETS / "ukbench_holidays_mini",
             OTHER_DATASETS / "other_shots", OTHER_DATASETS / "retrieval",
             OTHER_DATASETS / "series"]
CELL_MP = 0.075  # area of one source cell: a distinct synthetic photo
MAX_REAL_MP = 60.0  # larger files are the decompression bomb of duplicateimages_tests
MIN_SYNTHETIC_MP, MAX_SYNTHETIC_MP = 1.5, 6.0
GRAIN_SIGMA = 4.5
GRAIN_SEED = 20
PLAIN_STDDEV = 12.0  # a cell whose grey levels vary less is a plain wall or sky: left out
MAX_ASPECT = 2.5  # of a synthetic photo, wider cells are cut narrower
COPY_EVERY = 10  # one synthetic photo in ten is a copy
VERSION = 4  # bump when the recipe changes: the cache is rebuilt
POOL_VERSION = 3  # the synthetic photos' pixels (VERSION 4 renamed the copies only)


@dataclass(frozen=True)
class Cell:
    source: Path
    box: tuple[int, int, int, int]


def _readable(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            if im.width * im.height > MAX_REAL_MP * 1e6:
                return None
            im.load()
            return im.width, im.height
    except Exception:  # any file Pillow cannot read is not a photo here
        return None


def real_photos() -> list[tuple[Path, tuple[int, int]]]:
    """Every readable photo of the real sets, with its size, in a fixed order."""
    found = []
    for root in REAL_SETS:
        for path in sorted((root / "images").rglob("*")):
            if path.is_file() and (size := _readable(path)) is not None:
                found.append((path, size))
    return found


def _related(root: Path) -> list[list[Path]]:
    """The labelled sets of one scene (copy groups, other shots) of a real set."""
    truth = root / "groundtruth.json"
    if root.name == "series":  # a folder per series of shots
        return [sorted(d.iterdir()) for d in sorted((root / "images").iterdir()) if d.is_dir()]
    if not truth.exists():
        return []
    data = json.loads(truth.read_text())
    kinds = data.get("group_kinds") or [None] * len(data["groups"])
    # retrieval's groups are different photos of one landmark or object: all distinct
    sets = [g for g, k in zip(data["groups"], kinds, strict=True)
            if k not in ("landmark", "object", "variety")]
    sets += data.get("other_shots", [])
    return [[root / "images" / p for p in s] for s in sets]


def source_cells(photos: list[tuple[Path, tuple[int, int]]]) -> list[Cell]:
    """The cells every distinct synthetic photo is cut from, in a fixed order that takes one cell
    of each source in turn (so the first thousand come from many photos)."""
    skipped: set[Path] = set()
    for root in REAL_SETS:
        for members in _related(root):
            skipped.update(members[1:])
    grids: list[list[Cell]] = []
    for path, (w, h) in photos:
        if path in skipped:
            continue
        n = max(1, int(w * h / 1e6 / CELL_MP))
        cols = max(1, round(math.sqrt(n * w / h)))
        rows = max(1, n // cols)
        with Image.open(path) as im:
            grey = im.convert("L").resize((cols * 16, rows * 16), Image.Resampling.BOX)
        grids.append([Cell(path, (c * w // cols, r * h // rows, (c + 1) * w // cols,
                                  (r + 1) * h // rows))
                      for r in range(rows) for c in range(cols)
                      if ImageStat.Stat(grey.crop((c * 16, r * 16, c * 16 + 16, r * 16 + 16)))
                      .stddev[0] >= PLAIN_STDDEV])
    grids = [g for g in grids if g]
    order: list[Cell] = []
    for turn in range(max(len(g) for g in grids)):
        order += [g[turn] for g in grids if turn < len(g)]
    return order


@functools.lru_cache(maxsize=1)
def _grain_sheet() -> Image.Image:
    """One sheet of film grain larger than any synthetic photo, cut at another place for each
    (drawing the noise anew cost more than the rest of a photo)."""
    side = math.ceil(math.sqrt(MAX_SYNTHETIC_MP * 1e6 * MAX_ASPECT)) + 64
    # seeded (Image.effect_noise is not): a copy must carry its original's grain, or the
    # capture check rightly takes the two for two shots of one scene
    values = np.random.default_rng(GRAIN_SEED).normal(128.0, GRAIN_SIGMA, (side, side))
    noise = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
    return Image.merge("RGB", (noise, noise, noise))


def _grain(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    sheet = _grain_sheet()
    x = int(rng.integers(sheet.width - size[0] + 1))
    y = int(rng.integers(sheet.height - size[1] + 1))
    return sheet.crop((x, y, x + size[0], y + size[1]))


@functools.lru_cache(maxsize=2)
def _decoded(source: Path) -> Image.Image:
    """The source photo decoded (jobs come grouped by source, so each is decoded about once)."""
    with Image.open(source) as im:
        return im.convert("RGB")


def distinct_photo(cell: Cell, seed: int) -> tuple[Image.Image, int]:
    """A cell enlarged to a camera size with film grain, and the JPEG quality to save it at."""
    rng = np.random.default_rng(seed)
    region = _decoded(cell.source).crop(cell.box)
    megapixels = math.exp(rng.uniform(math.log(MIN_SYNTHETIC_MP), math.log(MAX_SYNTHETIC_MP)))
    aspect = min(max(region.width / region.height, 1 / MAX_ASPECT), MAX_ASPECT)
    if rng.random() < 0.25:
        region = region.transpose(Image.Transpose.ROTATE_90)
        aspect = 1 / aspect
    width = round(math.sqrt(megapixels * 1e6 * aspect))
    height = round(width / aspect)
    photo = region.resize((width, height), Image.Resampling.BILINEAR)
    photo = ImageChops.add(photo, _grain(photo.size, rng), scale=1.0, offset=-128)
    return photo, int(rng.integers(85, 93))


def _copy_kind(rng: np.random.Generator) -> str:
    return ("reencode", "shrink", "crop", "colour")[int(rng.integers(4))]


def copy_of(photo: Image.Image, seed: int) -> tuple[Image.Image, int, str]:
    """An edited copy: re-encoded, shrunk, cropped or shifted in colour."""
    rng = np.random.default_rng(seed)
    kind = _copy_kind(rng)
    quality = int(rng.integers(85, 93))
    if kind == "reencode":
        quality = int(rng.integers(50, 76))
    elif kind == "shrink":
        f = float(rng.uniform(0.4, 0.7))
        photo = photo.resize((round(photo.width * f), round(photo.height * f)),
                             Image.Resampling.LANCZOS)
    elif kind == "crop":
        side = math.sqrt(float(rng.uniform(0.7, 0.9)))
        w, h = round(photo.width * side), round(photo.height * side)
        x, y = int(rng.integers(photo.width - w + 1)), int(rng.integers(photo.height - h + 1))
        photo = photo.crop((x, y, x + w, y + h))
    else:
        photo = ImageEnhance.Brightness(photo).enhance(float(rng.uniform(0.8, 1.25)))
        photo = ImageEnhance.Color(photo).enhance(float(rng.uniform(0.6, 1.4)))
    return photo, quality, kind


def synthetic_plan(count: int, cells: list[Cell]) -> list[tuple[int, int | None]]:
    """For each synthetic photo k: the cell index of a distinct photo, or (-1, the k it copies)."""
    plan: list[tuple[int, int | None]] = []
    distinct = 0
    for k in range(count):
        if k % COPY_EVERY == COPY_EVERY - 1:
            back = int(np.random.default_rng(10_000_000 + k).integers(1, COPY_EVERY))
            plan.append((-1, k - back))
        else:
            if distinct >= len(cells):
                raise SystemExit(f"only {len(cells)} distinct cells: {count} synthetic photos "
                                 "need more source photos")
            plan.append((distinct, None))
            distinct += 1
    return plan


def _name(k: int) -> str:
    return f"synthetic/{k // 1000:03d}/IMG_{k:06d}.jpg"


def _library_name(k: int, original: int | None) -> str:
    """Where photo k is in a library: a copy under its original's name in an `edited` folder
    (as a person's edits and exports are named), not under a camera number of its own: two
    same-size files whose names differ by a camera's counter are frames of one sequence to the
    capture checks (capture.other_frame), and a copy never takes another shot's number."""
    if original is None:
        return _name(k)
    return f"synthetic/{k // 1000:03d}/edited/IMG_{original:06d}.jpg"


def write_synthetic(job: tuple[int, Cell, int | None, Path]) -> str:
    """Write synthetic photo k (a distinct photo, or a copy of photo `original`) under `pool`."""
    k, cell, original, pool = job
    out = pool / _name(k)
    kind = "distinct"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        if original is None:
            photo, quality = distinct_photo(cell, k)
        else:
            photo, _ = distinct_photo(cell, original)
            photo, quality, kind = copy_of(photo, k)
        tmp = out.with_suffix(f".{os.getpid()}.part")  # another build may write it too
        photo.save(tmp, "JPEG", quality=quality)
        tmp.rename(out)
    elif original is not None:
        kind = _copy_kind(np.random.default_rng(k))
    return kind


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def build_library(size: int, cache: Path = CACHE, workers: int = 2) -> Path:
    """The library of `size` photos (its `images` folder), built or reused from the cache."""
    root = cache / f"library-{size}"
    images = root / "images"
    truth = root / "groundtruth.json"
    if truth.exists() and json.loads(truth.read_text()).get("version") == VERSION:
        return images
    shutil.rmtree(images, ignore_errors=True)  # links of an older recipe (the pool is kept)
    photos = real_photos()
    real = photos[:size]
    for path, _ in real:
        set_root = next(r for r in REAL_SETS if path.is_relative_to(r))
        _link(path, images / "real" / set_root.name / path.relative_to(set_root / "images"))
    cells = source_cells(photos)
    plan = synthetic_plan(size - len(real), cells)
    jobs: list[tuple[int, Cell, int | None, Path]] = []
    pool_dir = cache / f"synthetic-v{POOL_VERSION}"  # shared by the libraries, linked into each
    for k, (cell_index, original) in enumerate(plan):
        if original is None:
            jobs.append((k, cells[cell_index], None, pool_dir))
        else:
            jobs.append((k, cells[plan[original][0]], original, pool_dir))
    log.info("%d real photos, %d synthetic (%d source cells)", len(real), len(plan), len(cells))
    # grouped by source so that a worker decodes each source photo about once
    by_source = sorted(jobs, key=lambda j: (str(j[1].source), j[0]))
    with ProcessPoolExecutor(workers) as pool:
        done = dict(zip((j[0] for j in by_source),
                        pool.map(write_synthetic, by_source, chunksize=32), strict=True))
    kinds = [done[k] for k in range(len(jobs))]
    for k in range(len(jobs)):
        _link(pool_dir / _name(k), images / _library_name(k, plan[k][1]))
    copies = [{"original": _name(o), "copy": _library_name(k, o), "edit": kinds[k]}
              for k, (_, o) in enumerate(plan) if o is not None]
    truth.write_text(json.dumps({
        "version": VERSION, "real": len(real), "synthetic": len(plan),
        "distinct": [_name(k) for k, (_, o) in enumerate(plan) if o is None],
        "copies": copies, "source_cells": len(cells)}, indent=1))
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    print(build_library(args.size, args.cache, args.workers))


if __name__ == "__main__":
    main()
