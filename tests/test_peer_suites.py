"""The peer tools' own duplicate suites (../shared/datasets): what a user of each would expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.stress_set import build_stress_set
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.search import find_similar
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.library import Library
from tests.datasets import dataset


def found_groups(lib: Library, root: Path, strictness: Strictness) -> list[set[str]]:
    return [{Path(p.path).relative_to(root).as_posix() for p in g.photos}
            for g in find_duplicate_groups(lib, strictness)]


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory,
           embedder: EmbedderProvider) -> dict[str, tuple[Library, Path, dict[str, object]]]:
    out = {}
    for name in ("duplicateimages_tests", "imagededup_tests", "camera_photos",
                 "ukbench_holidays_mini"):
        root = dataset(name, "images")
        truth = json.loads((dataset(name) / "groundtruth.json").read_text())
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
    # ukbench00120 resized, re-saved, with alpha, greyscale, mirrored and rotated: one group,
    # at every strictness (pHash at imagededup's own threshold finds only the resize)
    for strictness in Strictness:
        assert group_containing(found_groups(lib, root, strictness),
                                "base_images/ukbench00120.jpg") == set(truth["groups"][0])
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


def test_other_views_of_an_object_are_similar_not_duplicates(
    suites: dict[str, tuple[Library, Path, dict]], embedder: EmbedderProvider,
) -> None:
    lib, root, truth = suites["ukbench_holidays_mini"]
    # four photos of each object from other viewpoints (and three of one scene): never grouped
    # at strict or normal
    assert found_groups(lib, root, Strictness.STRICT) == []
    assert found_groups(lib, root, Strictness.NORMAL) == []
    # but each photo's similar list starts with the other views of its object
    recalls = []
    for group in truth["groups"]:
        for query in group:
            hits = find_similar(lib, root / query, embedder, top=4)
            names = [Path(h.photo.path).relative_to(root).as_posix() for h in hits]
            others = set(group) - {query}
            recalls.append(len(others & set(names)) / len(others))
            assert all(h.kind == "similar" for h in hits if h.photo.path in others)
    assert sum(recalls) / len(recalls) >= 0.9


def test_edited_copies_are_grouped_with_their_original(
    tmp_path: Path, embedder: EmbedderProvider,
) -> None:
    # bench/stress_set.py's edits (crop to a quarter, any rotation, mirror, 10% scale, JPEG
    # quality 5, blur, noise, colour, text, border, screenshot) of three photos, plus the other
    # half of a stereo pair: the same scene from another viewpoint, with its own copies
    originals = ["astronaut.png", "coffee.png", "motorcycle_left.png", "motorcycle_right.png"]
    truth = build_stress_set(tmp_path / "stress", "holdout", seed=2024, originals=originals,
                             max_side=400)
    root = tmp_path / "stress" / "images"
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([root])
    expected = {frozenset(g) for g in truth["groups"]}  # type: ignore[union-attr]
    assert {frozenset(g) for g in found_groups(lib, root, Strictness.NORMAL)} == expected
    # at strict, heavy crops, frames and screenshots are left out, but nothing is mixed up
    for g in found_groups(lib, root, Strictness.STRICT):
        assert any(g <= e for e in expected), g
