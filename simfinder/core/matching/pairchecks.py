"""Geometric verification of candidate pairs of a library's photos, kept in the catalog.

Pixels come from the thumbnail cache (the original file only when its thumbnail is missing);
each photo's local features are computed once per run and kept in a small LRU while the pairs
that need them are checked in order. Results are stored in the catalog (`pair_checks`), so
grouping again, at another strictness or after adding photos, only verifies new pairs.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from simfinder.core.matching.verify import (
    NO_MATCH,
    VERIFY_SIDE,
    VERIFY_VERSION,
    LocalFeatures,
    Verification,
    local_features,
    verify_pair,
)
from simfinder.core.photos.decode import DecodeFailure, decode_photo
from simfinder.core.store.catalog import SCAN_PAIRS
from simfinder.core.store.library import Library
from simfinder.core.store.sorted_ids import positions

log = logging.getLogger(__name__)

_CACHE_SIZE = 256  # photos' features kept at once: ~170 KB each
_WORKERS = 2  # OpenCV releases the GIL: verification runs on both cores


@dataclass(slots=True)
class CheckStats:
    asked: int = 0
    stored: int = 0  # found in the catalog
    verified: int = 0  # verified in this run
    features: int = 0  # photos whose features were computed
    seconds: float = 0.0


# The values of a verification as stored (`to_row`, `from_row`, `PairChecker.check_table`), and
# the columns of them that grouping's evidence holds (verdicts.EvidenceArrays.with_measures).
_COLUMNS = ("matches", "inliers", "residual", "misfit", "drift", "agreement", "overlap",
            "mirrored", "angle", "scale")
EVIDENCE_COLUMNS = [_COLUMNS.index(c)
                    for c in ("matches", "inliers", "misfit", "drift", "agreement", "overlap")]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def to_row(v: Verification) -> tuple[Any, ...]:
    return (v.matches, v.inliers, v.residual if math.isfinite(v.residual) else None,
            v.misfit if math.isfinite(v.misfit) else None,
            v.drift if math.isfinite(v.drift) else None, v.agreement, v.overlap,
            int(v.mirrored), v.angle, v.scale)


def from_row(row: Sequence[Any]) -> Verification:
    (matches, inliers, residual, misfit, drift, agreement, overlap, mirrored, angle,
     scale) = row
    return Verification(int(matches), int(inliers),
                        math.inf if residual is None else float(residual),
                        math.inf if misfit is None else float(misfit),
                        math.inf if drift is None else float(drift),
                        float(agreement), float(overlap), bool(mirrored), float(angle),
                        float(scale))


class PairChecker:
    """Verifies pairs of content ids of one library (use from the library's thread)."""

    def __init__(self, library: Library, *, workers: int = _WORKERS,
                 stored_only: bool = False) -> None:
        self.library = library
        self.workers = max(1, workers)
        # Only the verifications the catalog has: pairs not verified yet are left out (the
        # groups known so far, while indexing compares the likely copies beside).
        self.stored_only = stored_only
        self.stats = CheckStats()
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, tuple[LocalFeatures, LocalFeatures | None] | None] = (
            OrderedDict()
        )
        self._computing: dict[int, threading.Event] = {}  # features a worker is computing
        self._digests: dict[int, bytes] = {}
        self._paths: dict[int, list[str]] = {}

    def check(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Verification]:
        """Verification of each pair (a, b), a < b, from the catalog or computed now; pairs
        with a photo whose pixels cannot be had (no thumbnail, file gone) are left out."""
        started = time.perf_counter()
        wanted = sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
        self.stats.asked += len(wanted)
        cat = self.library.catalog
        out = {pair: from_row(row) for pair, row in cat.pair_checks(wanted, VERIFY_VERSION).items()}
        self.stats.stored += len(out)
        out.update(self._verify_new([pair for pair in wanted if pair not in out]))
        self.stats.seconds += time.perf_counter() - started
        return out

    def check_table(self, a: I64, b: I64) -> tuple[Bools, F64]:
        """`check` of the pairs (a[i], b[i]), a[i] < b[i], as arrays: whether each has a
        verification, and its values (a row each, as `to_row` gives them, inf for None).
        The stored ones are read in one scan of the catalog's table, without a Python object
        for each: grouping asks for ~4 pairs a photo, millions at a million photos."""
        values = np.full((len(a), len(_COLUMNS)), np.nan)
        if len(a) < SCAN_PAIRS:
            have = np.zeros(len(a), dtype=bool)
            todo = np.arange(len(a))
            found = self.check(zip(a.tolist(), b.tolist(), strict=True))
        else:
            started = time.perf_counter()
            self.stats.asked += len(a)
            keys, stored = self.library.catalog.pair_check_table(VERIFY_VERSION)
            at = positions(keys, (a << 32) | b)
            have = at >= 0
            values[have] = stored[at[have]]
            self.stats.stored += int(have.sum())
            todo = np.flatnonzero(~have)
            found = self._verify_new(list(zip(a[todo].tolist(), b[todo].tolist(), strict=True)))
            self.stats.seconds += time.perf_counter() - started
        for k in todo.tolist():
            v = found.get((int(a[k]), int(b[k])))
            if v is not None:
                have[k] = True
                values[k] = [math.inf if x is None else x for x in to_row(v)]
        return have, values

    def check_image(
        self, query: LocalFeatures, contents: Sequence[int]
    ) -> dict[int, Verification]:
        """Verification of an image outside the library against contents (not kept)."""
        self._prepare(set(contents))
        out: dict[int, Verification] = {}
        for content_id in contents:
            found = self._features(content_id)
            out[content_id] = (NO_MATCH if found is None else verify_pair(
                found[0], query, a_mirrored=partial(self._mirrored, content_id, found)))
        return out

    # -- internals --------------------------------------------------------------------------

    def _verify_new(
        self, todo: list[tuple[int, int]]
    ) -> dict[tuple[int, int], Verification]:
        """Verify pairs (a < b, sorted) not stored yet, and store them."""
        if not todo or self.stored_only:
            return {}
        self._prepare({c for pair in todo for c in pair})
        if len(todo) > 8 and self.workers > 1:
            # Each worker gets a contiguous run of the sorted pairs, so that the features
            # of a photo are mostly reused while still in the LRU.
            size = math.ceil(len(todo) / self.workers)
            chunks = [todo[k : k + size] for k in range(0, len(todo), size)]
            with ThreadPoolExecutor(len(chunks), thread_name_prefix="verify") as pool:
                parts = list(pool.map(self._verify_all, chunks))
        else:
            parts = [self._verify_all(todo)]
        fresh = {pair: v for part in parts for pair, v in part.items()}
        self.stats.verified += len(fresh)
        if fresh:
            self._store(fresh)
        return fresh

    def _prepare(self, contents: set[int]) -> None:
        """Look up, on the catalog's thread, what the workers need to find the pixels."""
        missing = [c for c in contents if c not in self._digests]
        if not missing:
            return
        for photo in self.library.catalog.photos_of_contents(missing):
            self._digests[photo.content_id] = photo.digest
            self._paths.setdefault(photo.content_id, []).append(photo.path)

    def _verify_all(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], Verification]:
        out: dict[tuple[int, int], Verification] = {}
        for a, b in pairs:
            # Verification is not quite symmetric: take the photos in an order of their own
            # (not of their ids, which depend on the order they were indexed in).
            first, second = (a, b) if self._digests.get(a, b"") <= self._digests.get(b, b"") \
                else (b, a)
            f1 = self._features(first)
            f2 = self._features(second)
            if f1 is None or f2 is None:
                continue  # no pixels to look at (yet): no verdict, and none kept
            out[(a, b)] = verify_pair(f1[0], f2[0],
                                      a_mirrored=partial(self._mirrored, first, f1))
        return out

    def _features(self, content_id: int) -> tuple[LocalFeatures, LocalFeatures | None] | None:
        """The photo's features from the LRU, else computed now; a photo the other worker is
        computing already is waited for, not computed twice (their runs of pairs meet)."""
        while True:
            with self._lock:
                if content_id in self._cache:
                    self._cache.move_to_end(content_id)
                    return self._cache[content_id]
                running = self._computing.get(content_id)
                if running is None:
                    running = self._computing[content_id] = threading.Event()
                    break
            running.wait()
        try:
            image = self._pixels(content_id)
            found = (local_features(image), None) if image is not None else None
            with self._lock:
                self.stats.features += 1
                self._cache[content_id] = found
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            return found
        finally:
            with self._lock:
                del self._computing[content_id]
            running.set()

    def _mirrored(
        self, content_id: int, found: tuple[LocalFeatures, LocalFeatures | None]
    ) -> LocalFeatures:
        if found[1] is not None:
            return found[1]
        mirrored = found[0].mirrored()
        with self._lock:
            if content_id in self._cache:
                self._cache[content_id] = (found[0], mirrored)
        return mirrored

    def _pixels(self, content_id: int) -> Image.Image | None:
        digest = self._digests.get(content_id)
        if digest is not None:
            try:
                with Image.open(self.library.thumbs.path_for(digest)) as im:
                    return im.convert("L")
            except (OSError, UnidentifiedImageError, ValueError):
                log.debug("no thumbnail for content %d; decoding its file", content_id)
        for path in self._paths.get(content_id, []):
            decoded = decode_photo(Path(path), max_side=VERIFY_SIDE)
            if not isinstance(decoded, DecodeFailure):
                return decoded.image
        return None

    def _store(self, fresh: dict[tuple[int, int], Verification]) -> None:
        try:
            self.library.catalog.put_pair_checks(
                ((a, b, to_row(v)) for (a, b), v in fresh.items()), VERIFY_VERSION
            )
        except sqlite3.Error as exc:  # read-only or busy library: just not kept
            log.info("could not keep %d pair verifications: %s", len(fresh), exc)
