"""The cheap look before SIFT: pairs of different photos are ruled out without SIFT
verification, edited copies never are."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.feature_screen import could_align, screen_features
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.pending_checks import compare_likely_copies
from simfinder.core.matching.similarity import Strictness
from simfinder.core.matching.verify import VERIFY_SIDE
from simfinder.core.store.library import Library
from tests.datasets import dataset
from tests.photos import EDITED_SAMPLES, sample


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


def test_a_quarter_of_the_pairs_of_distinct_camera_photos_need_no_sift(tmp_path: Path,
                                                    embedder: EmbedderProvider) -> None:
    folder = dataset("camera_photos", "images")
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([folder])
    with lib.writing():
        report = compare_likely_copies(lib)
    assert report.verified > lib.catalog.file_count()  # the candidate pairs: ~2 a photo
    assert report.screened >= report.verified // 4  # of them, these had no SIFT verification
    assert find_duplicate_groups(lib, Strictness.LOOSE) == []
