"""The cheap look before SIFT: pairs of different photos are ruled out without SIFT features,
edited copies never are, and the duplicate groups stay what they were."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import simfinder.core.pairchecks as pairchecks
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.feature_screen import could_align, screen_features
from simfinder.core.grouping import find_duplicate_groups
from simfinder.core.indexer import Indexer
from simfinder.core.library import Library
from simfinder.core.pending_checks import compare_likely_copies
from simfinder.core.similarity import Strictness
from simfinder.core.verify import VERIFY_SIDE
from tests.datasets import dataset
from tests.photos import EDITED_SAMPLES, edited_copies, sample


def grey(im: Image.Image) -> np.ndarray:
    im = im.convert("L")
    im.thumbnail((VERIFY_SIDE, VERIFY_SIDE), Image.Resampling.BOX)
    return np.asarray(im)


def test_edited_copies_pass_and_most_other_photos_do_not() -> None:
    originals = {name: sample(name) for name in EDITED_SAMPLES}
    screens = {name: screen_features(grey(im)) for name, im in originals.items()}
    for name, im in originals.items():
        w, h = im.size
        for copy in (im.crop((w // 8, h // 8, w * 7 // 8, h * 6 // 8)), ImageOps.mirror(im),
                     ImageEnhance.Contrast(im.rotate(23, expand=True)).enhance(1.3),
                     im.resize((w // 3, h // 3))):
            assert could_align(screens[name], screen_features(grey(copy))), name
    different = list(itertools.combinations(EDITED_SAMPLES, 2))
    ruled_out = [pair for pair in different
                 if not could_align(screens[pair[0]], screens[pair[1]])]
    assert len(ruled_out) >= len(different) // 4


@pytest.fixture
def library(tmp_path: Path, embedder: EmbedderProvider) -> Library:
    folder = edited_copies(tmp_path / "photos")
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([folder])
    return lib


def group_names(lib: Library, strictness: Strictness) -> set[frozenset[str]]:
    return {frozenset(Path(p.path).name for p in g.photos)
            for g in find_duplicate_groups(lib, strictness)}


def test_screening_keeps_every_group_at_every_strictness(
    tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    with library.writing():
        report = compare_likely_copies(library)
    screened = {s: group_names(library, s) for s in Strictness}
    assert frozenset({"coins.jpg", "coins-crop.png", "coins-mirror.jpg",
                      "coins-turned.jpg"}) in screened[Strictness.NORMAL]

    # The same library compared without the screen (every pair verified with SIFT).
    with library.catalog.transaction():
        library.catalog._db.execute("DELETE FROM pair_checks")
        library.catalog._db.execute("DELETE FROM stages_done")
    monkeypatch.setattr(pairchecks, "could_align", lambda a, b: True)
    with library.writing():
        unscreened = compare_likely_copies(library)
    assert {s: group_names(library, s) for s in Strictness} == screened
    assert report.features < unscreened.features


def test_distinct_camera_photos_mostly_need_no_sift(tmp_path: Path,
                                                    embedder: EmbedderProvider) -> None:
    folder = dataset("camera_photos", "images")
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([folder])
    with lib.writing():
        report = compare_likely_copies(lib)
    photos = lib.catalog.file_count()
    assert report.verified > photos  # the candidate pairs: ~2 a photo
    assert report.features < photos // 2  # SIFT features for a few photos only
    assert find_duplicate_groups(lib, Strictness.LOOSE) == []
