"""Duplicate groups and similar-photo search on real photos with the real CNN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from simfinder.app.usecases import EmbedderProvider, groups_as_json
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.search import QueryError, find_similar
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.library import Library
from tests.photos import sample, save


@pytest.fixture
def indexed(tmp_path: Path, photo_folder: Callable[..., dict[str, Path]],
            embedder: EmbedderProvider) -> tuple[Library, dict[str, Path]]:
    photos = photo_folder()
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    return lib, photos


def group_names(lib: Library, strictness: Strictness) -> set[frozenset[str]]:
    return {frozenset(Path(p.path).name for p in g.photos)
            for g in find_duplicate_groups(lib, strictness)}


def test_copies_are_grouped_and_distinct_photos_are_not(
    indexed: tuple[Library, dict[str, Path]],
) -> None:
    lib, _ = indexed
    expected = {
        frozenset({"chelsea.jpg", "cat-small.jpg", "cat.png"}),
        frozenset({"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg"}),
        frozenset({"rocket.jpg"}),  # the byte copy has the same name in backup/
    }
    assert group_names(lib, Strictness.NORMAL) == expected
    groups = find_duplicate_groups(lib, Strictness.NORMAL)
    kinds = {frozenset(Path(p.path).name for p in g.photos): g.kind for g in groups}
    assert kinds[frozenset({"rocket.jpg"})] == "exact"
    assert groups[0].kind == "exact"  # exact copies are listed first


def test_the_keeper_is_the_best_copy(indexed: tuple[Library, dict[str, Path]]) -> None:
    lib, photos = indexed
    doc = groups_as_json(find_duplicate_groups(lib, Strictness.NORMAL))
    for group in doc["groups"]:
        assert sum(f["keep"] for f in group["files"]) == 1
        assert set(group["files"][0]) == {"path", "width", "height", "bytes", "format",
                                          "taken_at", "keep", "keep_reason", "companions"}
        assert 0 < group["confidence"] <= 1
    cat_group = next(g for g in doc["groups"]
                     if any(f["path"] == str(photos["cat-small"]) for f in g["files"]))
    keeper = next(f for f in cat_group["files"] if f["keep"])
    # full size beats the half-size copy; between equal sizes the lossless file wins (it was
    # not saved from the JPEG: it holds more)
    assert keeper["path"] == str(photos["cat-png"])
    assert keeper["keep_reason"] == "the most detail: the others are smaller; " \
        "the least compressed copy"
    assert all(f["keep_reason"] is None for f in cat_group["files"] if not f["keep"])


def test_strictness_changes_what_counts(tmp_path: Path, embedder: EmbedderProvider) -> None:
    root = tmp_path / "photos"
    base = sample("astronaut.png")
    save(base, root / "a.jpg", quality=95)
    # a slight crop is the same picture at every strictness; a crop to 40% of the area is a
    # duplicate at normal, but too much is cut away for strict
    w, h = base.size
    save(base.crop((w // 33, h // 33, w - w // 33, h - h // 33)), root / "a-trim.jpg",
         quality=95)
    save(base.crop((w // 5, h // 5, w * 5 // 6, h * 5 // 6)), root / "a-crop.jpg", quality=95)
    save(sample("motorcycle_left.png"), root / "b.jpg", quality=95)
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([root])
    assert group_names(lib, Strictness.STRICT) == {frozenset({"a.jpg", "a-trim.jpg"})}
    for level in (Strictness.NORMAL, Strictness.LOOSE):
        assert group_names(lib, level) == {frozenset({"a.jpg", "a-trim.jpg", "a-crop.jpg"})}


def test_similar_for_an_indexed_photo_lists_its_copies_first(
    indexed: tuple[Library, dict[str, Path]], embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    hits = find_similar(lib, photos["chelsea"], embedder, top=5)
    names = [Path(h.photo.path).name for h in hits]
    assert "chelsea.jpg" not in names  # never the query itself
    assert set(names[:2]) == {"cat-small.jpg", "cat.png"}
    assert all(h.kind == "duplicate" for h in hits[:2])
    assert hits[2].kind == "similar"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_similar_for_an_outside_image_does_not_add_it(
    indexed: tuple[Library, dict[str, Path]], embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    lib, photos = indexed
    outside = save(sample("coffee.png", 300), tmp_path / "elsewhere" / "query.webp")
    before = lib.catalog.file_count()
    hits = find_similar(lib, outside, embedder, top=3)
    assert Path(hits[0].photo.path).name.startswith("coffee")
    assert hits[0].match == "near-duplicate"
    assert lib.catalog.file_count() == before
    # byte-identical to an indexed photo: an exact match with score 1
    hits = find_similar(lib, photos["rocket"].rename(tmp_path / "r.jpg"), embedder, top=2)
    assert (Path(hits[0].photo.path).name, hits[0].match, hits[0].score) == (
        "rocket.jpg", "exact", 1.0)


def test_similar_refuses_a_file_that_is_not_an_image(
    indexed: tuple[Library, dict[str, Path]], embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    lib, _ = indexed
    bogus = tmp_path / "x.jpg"
    bogus.write_text("not a photo")
    with pytest.raises(QueryError, match="not an image"):
        find_similar(lib, bogus, embedder)
    Image.new("RGB", (8, 8)).save(tmp_path / "tiny.png")
    assert find_similar(lib, tmp_path / "tiny.png", embedder, top=1)


def test_another_viewpoint_is_similar_and_says_why(
    tmp_path: Path, embedder: EmbedderProvider,
) -> None:
    root = tmp_path / "photos"
    left = sample("motorcycle_left.png", 512)
    save(left, root / "left.jpg", quality=92)
    save(left.crop((60, 40, 420, 300)).rotate(12, expand=True), root / "left-crop.jpg",
         quality=85)
    save(sample("motorcycle_right.png", 512), root / "right.jpg", quality=92)
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([root])
    for level in (Strictness.STRICT, Strictness.NORMAL):
        assert all("right.jpg" not in g for g in group_names(lib, level))
    assert frozenset({"left.jpg", "left-crop.jpg"}) in group_names(lib, Strictness.NORMAL)
    hits = {Path(h.photo.path).name: h for h in find_similar(lib, root / "left.jpg", embedder)}
    assert hits["left-crop.jpg"].match == "near-duplicate"
    assert "the same pixels" in hits["left-crop.jpg"].explanation()["why"]
    assert hits["right.jpg"].match == "similar"
    assert "another shot" in hits["right.jpg"].explanation()["why"]
    assert hits["left-crop.jpg"].score > hits["right.jpg"].score


def test_grouping_again_reuses_its_verifications(
    tmp_path: Path, embedder: EmbedderProvider, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "photos"
    base = sample("coffee.png")
    save(base, root / "coffee.jpg", quality=92)
    save(base.crop((50, 30, 300, 230)), root / "coffee-crop.png")
    save(ImageOps.mirror(base), root / "coffee-mirror.jpg", quality=80)
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([root])
    expected = {frozenset({"coffee.jpg", "coffee-crop.png", "coffee-mirror.jpg"})}
    assert group_names(lib, Strictness.NORMAL) == expected

    # verifications are kept: grouping again (any strictness, another process) verifies nothing
    import simfinder.core.matching.pairchecks as pairchecks

    def no_verifying(*args: object, **kwargs: object) -> None:
        raise AssertionError("verified again")

    monkeypatch.setattr(pairchecks, "verify_pair", no_verifying)
    lib.close()
    lib = Library.open(tmp_path / "lib")
    assert group_names(lib, Strictness.NORMAL) == expected
    assert group_names(lib, Strictness.LOOSE) == expected
    # ... also read all at once, as a big library's many pairs are
    monkeypatch.setattr(pairchecks, "SCAN_PAIRS", 0)
    assert group_names(lib, Strictness.NORMAL) == expected
    monkeypatch.undo()

    # a library indexed before flipped hashes were kept gets them from its thumbnails (and
    # verifies its pairs again, also when it asks for them all at once)
    with lib.catalog.transaction():
        lib.catalog._db.execute("DELETE FROM content_turns")
        lib.catalog._db.execute("DELETE FROM pair_checks")
    monkeypatch.setattr(pairchecks, "SCAN_PAIRS", 0)
    assert group_names(lib, Strictness.NORMAL) == expected
    monkeypatch.undo()
    assert len(lib.catalog.contents_without_turned_hashes()) == 0

    # a photo that goes takes its verifications with it
    crop = lib.catalog.photo(str(root / "coffee-crop.png"))
    assert crop is not None

    def checks_of_crop() -> int:
        return len(lib.catalog._db.execute(
            "SELECT 1 FROM pair_checks WHERE a = ? OR b = ?", (crop.content_id,) * 2
        ).fetchall())

    assert checks_of_crop() > 0
    (root / "coffee-crop.png").unlink()
    Indexer(lib, embedder).run([root])
    assert checks_of_crop() == 0
