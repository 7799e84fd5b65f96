"""Decisions that stick: "not duplicates" and "keep all" hold across re-indexing with renamed
and moved files, a "not duplicates" pair is never grouped again (not even through a third
photo), a new copy of a decided photo reopens that group only, showing what is new, and a
decided group whose files are gone leaves the list while its decision stays."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from simfinder.app.decisions import (
    decide_group,
    decide_paths,
    export_decisions,
    import_decisions_file,
    list_decisions,
    list_series_decisions,
    undo_decisions,
)
from simfinder.app.review import remove_marked, review_groups
from simfinder.app.series import keep_all
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.decisions import KEEP_ALL, NOT_DUPLICATES, DecisionError
from simfinder.core.matching.grouping import (
    DuplicateGroup,
    PairJudgement,
    _cluster,
    find_duplicate_groups,
    group_judged,
    judge_pairs,
)
from simfinder.core.matching.series import Series, Shot
from simfinder.core.matching.similarity import Evidence, Strictness
from simfinder.core.store.library import Library

Photos = dict[str, Path]


@pytest.fixture
def indexed(tmp_path: Path, photo_folder: Callable[..., Photos],
            embedder: EmbedderProvider) -> tuple[Library, Photos]:
    photos = photo_folder()
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    return lib, photos


def names(groups: list[DuplicateGroup]) -> set[frozenset[str]]:
    return {frozenset(Path(p.path).name for p in g.photos) for g in groups}


def group_with(groups: list[DuplicateGroup], name: str) -> DuplicateGroup:
    return next(g for g in groups if any(Path(p.path).name == name for p in g.photos))


def reindex(lib: Library, embedder: EmbedderProvider, root: Path) -> None:
    report = Indexer(lib, embedder).run([root])
    assert not report.failed


def test_decisions_hold_across_renames_and_moves_and_new_copies_reopen_one_group(
    tmp_path: Path, indexed: tuple[Library, Photos], embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    root = tmp_path / "photos"
    cat = lib.catalog
    groups = review_groups(lib)
    assert names(groups) == {frozenset({"chelsea.jpg", "cat-small.jpg", "cat.png"}),
                             frozenset({"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg"}),
                             frozenset({"rocket.jpg"})}

    # Keep all coffees and both rockets; the cat's two JPEGs are not duplicates of each other.
    decide_group(cat, KEEP_ALL, group_with(groups, "coffee.jpg"))
    decide_group(cat, KEEP_ALL, group_with(groups, "rocket.jpg"))
    decide_paths(cat, NOT_DUPLICATES, [str(photos["chelsea"]), str(photos["cat-small"])])

    def check_held() -> list[DuplicateGroup]:
        shown = review_groups(lib)
        # the keep-all groups are left out; the cat pair never meets again, though cat.png is
        # a copy of both (it joins the one it is closer to)
        assert not any(g for g in shown if "coffee.jpg" in names([g]).pop())
        assert all(g.reopened for g in shown if "rocket.jpg" in names([g]).pop())
        together = [g for g in review_groups(lib, Strictness.LOOSE, include_decided=True)
                    if {"chelsea.jpg", "cat-small.jpg"} <= names([g]).pop()]
        assert together == []
        cat_groups = [g for g in shown if "cat.png" in names([g]).pop()]
        assert len(cat_groups) == 1 and len(cat_groups[0].photos) == 2
        return shown

    check_held()
    everything = review_groups(lib, include_decided=True)
    decided = [g for g in everything if g.decided]
    assert names(decided) == {frozenset({"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg"}),
                              frozenset({"rocket.jpg"})}

    # Rename one coffee, move another (and the backup rocket) to other folders, re-index.
    photos["coffee-q30"].rename(root / "edits" / "renamed.jpg")
    (root / "elsewhere").mkdir()
    photos["coffee-bright"].rename(root / "elsewhere" / "coffee-bright.jpg")
    photos["rocket-copy"].rename(root / "elsewhere" / "rocket-moved.jpg")
    reindex(lib, embedder, root)
    check_held()
    assert len([g for g in review_groups(lib, include_decided=True) if g.decided]) == 2

    # A new copy of a decided photo reopens that group only, with only the new file to review:
    # the files the decision covered stay kept.
    new_copy = root / "later" / "rocket again.jpg"
    new_copy.parent.mkdir()
    shutil.copyfile(photos["rocket"], new_copy)
    reindex(lib, embedder, root)
    shown = check_held()
    rockets = group_with(shown, "rocket.jpg")
    assert rockets.reopened and not rockets.decided
    assert rockets.decision is not None and rockets.decision.kind == KEEP_ALL
    assert {p.path for p in rockets.photos if p.file_id in rockets.new} == {str(new_copy)}
    assert {p.path for p in rockets.photos if p.file_id in rockets.keep} == \
        {str(photos["rocket"]), str(root / "elsewhere" / "rocket-moved.jpg")}
    assert not any(g.reopened for g in shown if g is not rockets)

    # Every coffee gone: the group leaves the list, its decision stays (and comes back with
    # the files).
    for path in [photos["coffee"], root / "edits" / "renamed.jpg",
                 root / "elsewhere" / "coffee-bright.jpg"]:
        path.unlink()
    reindex(lib, embedder, root)
    assert not any("coffee.jpg" in n for n in names(review_groups(lib, include_decided=True)))
    views = list_decisions(cat)
    assert len(views) == 3
    coffee = next(v for v in views if any("coffee" in n for n in v.names()))
    assert coffee.gone and coffee.kind == KEEP_ALL
    rocket = next(v for v in views if any("rocket" in n for n in v.names()))
    assert {p.path for p in rocket.present} == \
        {str(photos["rocket"]), str(root / "elsewhere" / "rocket-moved.jpg")}

    # Undone, the cat pair is grouped again.
    pair = next(v for v in views if v.kind == NOT_DUPLICATES)
    assert undo_decisions(cat, [pair.id]) == 1
    assert frozenset({"chelsea.jpg", "cat-small.jpg", "cat.png"}) in names(review_groups(lib))


def test_a_whole_group_decided_not_duplicates_stays_apart(
    indexed: tuple[Library, Photos],
) -> None:
    lib, _ = indexed
    cats = group_with(review_groups(lib), "cat.png")
    decide_group(lib.catalog, NOT_DUPLICATES, cats)
    for level in Strictness:
        for g in review_groups(lib, level, include_decided=True):
            assert len({p.digest for p in g.photos} & {p.digest for p in cats.photos}) <= 1


def test_decisions_need_two_photos_and_distinct_contents_to_be_not_duplicates(
    indexed: tuple[Library, Photos],
) -> None:
    lib, photos = indexed
    with pytest.raises(DecisionError, match="two photos"):
        decide_paths(lib.catalog, KEEP_ALL, [str(photos["coffee"])])
    with pytest.raises(DecisionError, match="exact copies"):
        decide_paths(lib.catalog, NOT_DUPLICATES,
                     [str(photos["rocket"]), str(photos["rocket-copy"])])
    with pytest.raises(DecisionError, match="not in the library"):
        decide_paths(lib.catalog, KEEP_ALL, [str(photos["coffee"]), "/nowhere/x.jpg"])
    assert list_decisions(lib.catalog) == []


def test_decisions_export_and_import_into_another_library(
    tmp_path: Path, indexed: tuple[Library, Photos], embedder: EmbedderProvider,
) -> None:
    lib, _ = indexed
    decide_group(lib.catalog, KEEP_ALL, group_with(review_groups(lib), "coffee.jpg"))
    out = tmp_path / "decisions.json"
    assert export_decisions(lib.catalog, out) == 1

    other = Library.open(tmp_path / "other")
    Indexer(other, embedder).run([tmp_path / "photos"])
    assert "coffee.jpg" in {n for s in names(review_groups(other)) for n in s}
    assert import_decisions_file(other.catalog, out) == (1, 0)
    assert import_decisions_file(other.catalog, out) == (0, 1)  # nothing twice
    assert "coffee.jpg" not in {n for s in names(review_groups(other)) for n in s}

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(DecisionError, match="not a simfinder decisions file"):
        import_decisions_file(other.catalog, bad)


def test_series_decisions_travel_with_the_exported_decisions(
    tmp_path: Path, indexed: tuple[Library, Photos], embedder: EmbedderProvider,
) -> None:
    """"Keep all" said of a series of similar shots is in the exported file beside the
    duplicate groups' decisions, and comes back in another library of the same photos; a file
    an older simfinder wrote (no series) still imports."""
    lib, photos = indexed
    decide_group(lib.catalog, KEEP_ALL, group_with(review_groups(lib), "coffee.jpg"))
    shots = [lib.catalog.photo(str(photos[name])) for name in ("rocket", "coffee")]
    keep_all(lib.catalog, Series([Shot([p], p) for p in shots if p is not None], False))
    out = tmp_path / "decisions.json"
    assert export_decisions(lib.catalog, out) == 2

    other = Library.open(tmp_path / "other")
    Indexer(other, embedder).run([tmp_path / "photos"])
    assert import_decisions_file(other.catalog, out) == (2, 0)
    assert import_decisions_file(other.catalog, out) == (0, 2)  # nothing twice
    [series] = list_series_decisions(other.catalog)
    assert series.ref == "s1"
    assert {"coffee.jpg", "rocket.jpg"} <= {Path(n).name for n in series.names()}
    assert [d.ref for d in list_decisions(other.catalog)] == ["1"]

    old = json.loads(out.read_text())
    old["version"] = 1
    del old["series"]
    third = Library.open(tmp_path / "third")
    older = tmp_path / "older.json"
    older.write_text(json.dumps(old))
    assert import_decisions_file(third.catalog, older) == (1, 0)
    assert list_series_decisions(third.catalog) == []


def test_a_cannot_link_holds_through_a_chain_of_strong_pairs() -> None:
    ev = Evidence(0.99, 0, 0, None, None)
    strong = PairJudgement(ev, True, 0.99, False)
    judged = {(1, 2): strong, (2, 3): strong, (3, 4): strong, (1, 4): strong}
    members, _ = _cluster(judged)
    assert list(members.values()) == [{1, 2, 3, 4}]
    members, _ = _cluster(judged, {(1, 3)})
    assert all(not {1, 3} <= m for m in members.values())
    # strongest (and first) pairs join first: 1-2, then 1-4; 3 cannot meet 1
    assert sorted(map(sorted, members.values())) == [[1, 2, 4], [3]]


def test_grouping_again_from_the_pairs_kept_gives_the_same_groups(
    indexed: tuple[Library, Photos],
) -> None:
    lib, photos = indexed
    decide_paths(lib.catalog, NOT_DUPLICATES, [str(photos["coffee"]), str(photos["coffee-q30"])])
    for level in Strictness:
        kept = judge_pairs(lib, level)
        assert kept and all(j.accepted or j.another_shot for j in kept.values())
        again = group_judged(lib, kept)
        assert [(g.kind, [p.path for p in g.photos], g.decided) for g in again] == \
            [(g.kind, [p.path for p in g.photos], g.decided)
             for g in find_duplicate_groups(lib, level)]


def test_not_duplicates_holds_for_the_copy_kept_when_the_other_photo_is_trashed(
    indexed: tuple[Library, Photos], temp_trash: Path,
) -> None:
    """"cat-small is not chelsea" (say): chelsea trashed as a duplicate of its copy cat.png,
    the decision reaches cat.png, and cat-small does not come back grouped with it."""
    lib, photos = indexed
    pair = [photos["cat-small"], photos["chelsea"]]
    decide_paths(lib.catalog, NOT_DUPLICATES, [str(p) for p in pair])
    group = group_with(review_groups(lib), "cat.png")
    gone = next(p for p in group.photos if p.path in {str(q) for q in pair})
    other = next(q for q in pair if str(q) != gone.path)
    assert not any(p.path == str(other) for p in group.photos)
    group.keep = {p.file_id for p in group.photos if p.path != gone.path}

    report = remove_marked(lib, [group])
    assert [src for src, _ in report.moved] == [gone.path]
    for level in Strictness:
        for g in review_groups(lib, level, include_decided=True):
            assert {str(other), str(photos["cat-png"])} - {p.path for p in g.photos}, level
    carried = list_decisions(lib.catalog)[0]
    assert carried.kind == NOT_DUPLICATES
    assert {p.path for p in carried.present} == {str(other), str(photos["cat-png"])}
