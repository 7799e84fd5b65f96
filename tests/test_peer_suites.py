"""The peer tools' own duplicate suites (../shared/datasets): what a user of each would expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.grouping import find_duplicate_groups
from simfinder.core.indexer import Indexer
from simfinder.core.library import Library
from simfinder.core.similarity import Strictness
from tests.photos import DATASETS


def found_groups(lib: Library, root: Path, strictness: Strictness) -> list[set[str]]:
    return [{Path(p.path).relative_to(root).as_posix() for p in g.photos}
            for g in find_duplicate_groups(lib, strictness)]


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory,
           embedder: EmbedderProvider) -> dict[str, tuple[Library, Path, dict[str, object]]]:
    out = {}
    for name in ("duplicateimages_tests", "imagededup_tests", "camera_photos"):
        root = DATASETS / name / "images"
        truth = json.loads((DATASETS / name / "groundtruth.json").read_text())
        lib = Library.open(tmp_path_factory.mktemp(name))
        Indexer(lib, embedder).run([root])
        out[name] = (lib, root, truth)
    return out


def group_containing(groups: list[set[str]], member: str) -> set[str]:
    return next((g for g in groups if member in g), {member})


def test_duplicate_images_suite(suites: dict[str, tuple[Library, Path, dict]]) -> None:
    lib, root, truth = suites["duplicateimages_tests"]
    groups = found_groups(lib, root, Strictness.NORMAL)
    # one phone photo as JPEG q10..q95, HEIC 8/10-bit, lossless/lossy, shrunk, png/tiff/webp:
    # found as exactly one group, as are both byte-identical pairs
    for true_group in truth["groups"][:3]:
        assert group_containing(groups, true_group[0]) == set(true_group)
    # same-scene series seconds apart are not duplicates at normal, but are at loose
    series = truth["groups"][3:]
    assert all(len(group_containing(groups, s[0])) == 1 for s in series)
    loose = found_groups(lib, root, Strictness.LOOSE)
    assert all(group_containing(loose, s[0]) == set(s) for s in series)
    # the truncated copies, the decompression bombs: recorded errors, not crashes
    failed = {Path(e.path).relative_to(root).as_posix() for e in lib.catalog.errors()}
    assert set(truth["must_not_crash"]) <= failed


def test_imagededup_suite(suites: dict[str, tuple[Library, Path, dict]]) -> None:
    lib, root, truth = suites["imagededup_tests"]
    groups = found_groups(lib, root, Strictness.NORMAL)
    copies, formats = truth["groups"][1], truth["groups"][2]
    assert group_containing(groups, copies[0]) == set(copies)
    # the same JPEG as .bmp/.png/.svg (sniffed by content) and a WebP re-encode
    assert group_containing(groups, formats[0]) == set(formats)
    # the resized, re-saved, alpha and greyscale versions of ukbench00120 are one group
    # (flips and rotations are a later matcher's job)
    base = group_containing(groups, "base_images/ukbench00120.jpg")
    assert {"mixed_images/ukbench00120.jpg", "mixed_images/ukbench00120_resize.jpg",
            "alpha_channel_image.png", "ukbench00120_gray.jpg"} <= base
    # nothing from different photos is mixed in
    for g in groups:
        owners = {i for i, tg in enumerate(truth["groups"]) for m in g if m in tg}
        assert len(owners) == 1, g


def test_distinct_camera_photos_never_group(
    suites: dict[str, tuple[Library, Path, dict]],
) -> None:
    lib, root, _ = suites["camera_photos"]
    assert lib.catalog.file_count() == 52
    for strictness in Strictness:
        assert found_groups(lib, root, strictness) == []
