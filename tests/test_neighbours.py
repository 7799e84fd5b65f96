"""Each photo's nearest photos kept with the index: grouping reads them instead of searching
every photo again, and finds what a fresh search finds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import ImageEnhance, ImageOps

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.indexing.neighbours import LISTED, NEIGHBOURS, forward_lists, neighbour_table
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.similarity import VERIFY_FLOOR, Strictness
from simfinder.core.store.catalog import Catalog
from simfinder.core.store.layout import CATALOG_FILE
from simfinder.core.store.library import Library
from simfinder.core.store.vector_index import VectorIndex
from tests.photos import sample, save

# Distinct real photos, and photos cut into quarters (other photos too): more than a stored
# list holds, so that the lists are partial.
WHOLE = ["astronaut.png", "brick.png", "cell.png", "chelsea.png", "chessboard_RGB.png",
         "clock_motion.png", "coffee.png", "coins.png", "color.png", "grass.png", "gravel.png",
         "horse.png", "logo.png", "microaneurysms.png", "moon.png", "phantom.png",
         "rocket.jpg", "text.png"]
QUARTERED = ["camera.png", "motorcycle_left.png", "hubble_deep_field.jpg", "retina.jpg",
             "ihc.png", "page.png"]
GROUPS = {
    frozenset({"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg", "coffee-mirror.jpg"}),
    frozenset({"chelsea.jpg", "chelsea-small.jpg"}),
    frozenset({"astronaut.jpg", "astronaut-trim.jpg"}),
    frozenset({"rocket.jpg", "rocket-q40.jpg"}),
    frozenset({"coins.jpg", "coins-turned.jpg"}),
}


def make_runs(root: Path) -> list[Path]:
    """Three folders to index one after the other: distinct photos first (more than a list
    holds, so that the lists of the later ones are full), then copies of some of them."""
    first, second, third = root / "1", root / "2", root / "3"
    for name in QUARTERED:
        im = sample(name, 480)
        w, h = im.size
        for q, (x, y) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
            save(im.crop((x * w // 2, y * h // 2, (x + 1) * w // 2, (y + 1) * h // 2)),
                 first / f"{Path(name).stem}-{q}.jpg", quality=90)
    for name in WHOLE:
        later = name in ("astronaut.png", "chelsea.png", "coffee.png", "horse.png", "logo.png")
        save(sample(name, 240), (second if later else first) / f"{Path(name).stem}.jpg",
             quality=90)
    coffee, cat = sample("coffee.png", 240), sample("chelsea.png", 240)
    save(coffee, second / "coffee-q30.jpg", quality=30)
    save(cat.resize((cat.width // 2, cat.height // 2)), second / "chelsea-small.jpg",
         quality=80)
    save(ImageEnhance.Brightness(coffee).enhance(1.15), third / "coffee-bright.jpg",
         quality=90)
    save(ImageOps.mirror(coffee), third / "coffee-mirror.jpg", quality=85)
    astronaut = sample("astronaut.png", 240)
    w, h = astronaut.size
    save(astronaut.crop((w // 33, h // 33, w - w // 33, h - h // 33)),
         third / "astronaut-trim.jpg", quality=92)
    save(sample("rocket.jpg", 240), third / "rocket-q40.jpg", quality=40)
    save(sample("coins.png", 240).rotate(90, expand=True), third / "coins-turned.jpg",
         quality=88)
    return [first, second, third]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_runs(tmp_path_factory.mktemp("photos"))


@pytest.fixture
def library(tmp_path: Path, runs: list[Path], embedder: EmbedderProvider) -> Iterator[Library]:
    """The photos indexed in three runs of small batches, as a library grows."""
    lib = Library.open(tmp_path / "library")
    for k in range(len(runs)):
        Indexer(lib, embedder, batch_size=5).run(runs[: k + 1])
    yield lib
    lib.close()


class QueryCounter:
    """Counts the photos searched in the vector index."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.searched = 0
        original = VectorIndex.query

        def counting(index: VectorIndex, vectors: npt.NDArray[np.float32], k: int,
                     **kwargs: int | None) -> tuple[npt.NDArray[np.int64],
                                                    npt.NDArray[np.float32]]:
            self.searched += len(vectors)
            return original(index, vectors, k, **kwargs)

        monkeypatch.setattr(VectorIndex, "query", counting)


def content_ids(lib: Library) -> npt.NDArray[np.int64]:
    ids, _ = lib.catalog.embeddings(lib.model_name, lib.dim, with_vectors=False)
    return ids


def fresh_table(lib: Library) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Every photo searched in the vector index now: what grouping did before lists were kept."""
    ids, matrix = lib.catalog.embeddings(lib.model_name, lib.dim)
    labels, sims = forward_lists(lib.vectors, ids, matrix)
    return labels[:, :NEIGHBOURS], sims[:, :NEIGHBOURS]


def candidate_pairs(ids: npt.NDArray[np.int64], labels: npt.NDArray[np.int64],
                    sims: npt.NDArray[np.float32]) -> set[tuple[int, int]]:
    """The pairs grouping takes from the table as candidates by cosine alone."""
    return {(min(a, b), max(a, b))
            for a, row, cos in zip(ids.tolist(), labels.tolist(), sims.tolist(), strict=True)
            for b, c in zip(row, cos, strict=True) if b >= 0 and c >= VERIFY_FLOOR}


def group_names(lib: Library) -> set[frozenset[str]]:
    return {frozenset(Path(p.path).name for p in g.photos)
            for g in find_duplicate_groups(lib, Strictness.NORMAL)}


def stored_list_ids(lib: Library) -> set[int]:
    return set(lib.catalog.neighbour_lists(lib.model_name, LISTED)[0].tolist())


def test_stored_lists_give_what_a_fresh_search_gives(
    library: Library, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = content_ids(library)
    assert len(ids) > LISTED + 1 and stored_list_ids(library) == set(ids.tolist())
    counter = QueryCounter(monkeypatch)
    labels, sims = neighbour_table(library, ids)
    # Only the lists made while the library was smaller than a list are searched again.
    assert 0 < counter.searched <= LISTED
    fresh_labels, fresh_sims = fresh_table(library)
    pairs = candidate_pairs(ids, labels, sims)
    assert len(pairs) > len(ids)
    assert pairs == candidate_pairs(ids, fresh_labels, fresh_sims)
    # Rows are best first, without the photo itself or a photo twice.
    for cid, row, cos in zip(ids.tolist(), labels.tolist(), sims.tolist(), strict=True):
        found = [b for b in row if b >= 0]
        assert cid not in found and len(set(found)) == len(found)
        assert cos == sorted(cos, reverse=True)

    # Grouping from the kept lists searches nothing, and groups as a fresh search does.
    counter.searched = 0
    assert group_names(library) == GROUPS
    assert counter.searched == 0
    with library.catalog.transaction():
        library.catalog._db.execute("DELETE FROM content_neighbours")
    assert group_names(library) == GROUPS
    assert counter.searched == len(ids)

    # Asked for some of the photos, the table holds only those, from the kept lists.
    some = ids[::2]
    some_labels, _ = neighbour_table(library, some)
    assert set(some_labels.ravel().tolist()) - {-1} <= set(some.tolist())
    assert (some_labels[:, 0] >= 0).all()
    assert counter.searched == len(ids)


def test_a_copy_indexed_later_joins_the_neighbours_of_its_original(
    library: Library, runs: list[Path], embedder: EmbedderProvider, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The horse was indexed in the second run, among distinct photos: its kept list does not
    # hold the copy made now, and it is not searched again; the copy's list holds the horse.
    neighbour_table(library, content_ids(library))  # grouped once: all lists are full now
    extra = tmp_path / "later"
    save(ImageOps.mirror(sample("horse.png", 240)), extra / "horse-mirror.jpg", quality=85)
    Indexer(library, embedder).run([*runs, extra])
    horse = library.catalog.photo(str(runs[1] / "horse.jpg"))
    copy = library.catalog.photo(str(extra / "horse-mirror.jpg"))
    assert horse is not None and copy is not None
    ids = content_ids(library)
    counter = QueryCounter(monkeypatch)
    labels, _ = neighbour_table(library, ids)
    assert counter.searched == 0
    row = int(np.searchsorted(ids, horse.content_id))
    assert labels[row, 0] == copy.content_id
    assert frozenset({"horse.jpg", "horse-mirror.jpg"}) in group_names(library)


def test_a_library_from_before_kept_lists_groups_right_and_gains_them(
    library: Library, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Schema 4: no table of lists (nor of the later schemas' tables).
    path = library.root / CATALOG_FILE
    library.close()
    db = sqlite3.connect(path)
    db.executescript("BEGIN; DROP TABLE content_neighbours; DROP TABLE stages_done;"
                     " DROP TABLE capture_checks; DROP TABLE settings; DROP TABLE offline_folders;"
                     " ALTER TABLE folders DROP COLUMN device;"
                     " ALTER TABLE folders DROP COLUMN mounted;"
                     " DROP TABLE companions; ALTER TABLE action_items DROP COLUMN photo_item;"
                     " DROP TABLE shot_measures; DROP TABLE series_decision_files;"
                     " DROP TABLE series_decisions; DROP TABLE series_marks;"
                     " DROP TABLE series_done; DROP TABLE series_position;"
                     " PRAGMA user_version = 4; COMMIT;")
    db.close()

    Library.open(library.root).close()  # migrated
    # Read-only, it groups right without keeping anything.
    read_only = Library(library.root, Catalog(path, readonly=True))
    assert group_names(read_only) == GROUPS
    assert stored_list_ids(read_only) == set()
    read_only.close()

    lib = Library.open(library.root)
    ids = content_ids(lib)
    counter = QueryCounter(monkeypatch)
    assert group_names(lib) == GROUPS
    assert counter.searched == len(ids)
    assert stored_list_ids(lib) == set(ids.tolist())
    assert group_names(lib) == GROUPS
    assert counter.searched == len(ids)  # the second time, nothing is searched
    lib.close()


def test_deleted_photos_leave_the_table(library: Library, runs: list[Path],
                                        embedder: EmbedderProvider, tmp_path: Path) -> None:
    gone = [runs[2] / "coffee-bright.jpg", runs[2] / "coffee-mirror.jpg",
            runs[1] / "coffee-q30.jpg", runs[0] / "gravel.jpg", runs[0] / "grass.jpg"]
    gone_ids = set()
    for path in gone:
        photo = library.catalog.photo(str(path))
        assert photo is not None
        gone_ids.add(photo.content_id)
        path.rename(tmp_path / path.name)
    try:
        Indexer(library, embedder).run(runs)
    finally:
        for path in gone:
            (tmp_path / path.name).rename(path)
    ids = content_ids(library)
    assert not gone_ids & set(ids.tolist())
    assert stored_list_ids(library) == set(ids.tolist())  # their lists went with them
    labels, sims = neighbour_table(library, ids)
    assert not gone_ids & set(labels.ravel().tolist())
    fresh_labels, fresh_sims = fresh_table(library)
    assert candidate_pairs(ids, labels, sims) == candidate_pairs(ids, fresh_labels, fresh_sims)
    assert group_names(library) == GROUPS - {
        frozenset({"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg", "coffee-mirror.jpg"})}
