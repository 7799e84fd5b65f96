"""The similar-shots review saves its marks and done series as they change, by content, and
reviews the first series found with what was saved (the GUI's round trip is in
test_gui_series)."""

from __future__ import annotations

import itertools
from pathlib import Path

from simfinder.app.series_session import CatalogSeriesStore, SeriesSession
from simfinder.core.matching.series import Series, Shot
from simfinder.core.store.catalog import Catalog, PhotoRecord

_ids = itertools.count(1)


def shot(name: str) -> Shot:
    n = next(_ids)
    record = PhotoRecord(n, f"/photos/{name}", 1000, 0, n, 640, 480, "JPEG", None, None,
                         name.encode().ljust(16, b"."))
    return Shot([record], record)


def series(*names: str) -> Series:
    return Series([shot(n) for n in names], bracket=False)


def test_marks_and_done_series_are_saved_and_laid_over_the_series_found_again(
    tmp_path: Path,
) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    session = SeriesSession(CatalogSeriesStore(cat))
    found = [series("a1", "a2", "a3"), series("b1", "b2")]
    session.set_series(found, saved=cat.series_review())
    session.accept(0)  # a2 and a3 marked, the series done
    session.set_keep(0, 1, True)  # a2 kept after all
    session.keep_only_best(1)  # b2 marked, not done
    saved = cat.series_review()
    assert saved.marked == {b"a3".ljust(16, b"."), b"b2".ljust(16, b".")}
    assert saved.done == {found[0].key}

    # The next start: the same contents under other file ids and paths (a rescan, a move).
    again = [series("a1", "a2", "a3"), series("b1", "b2", "b3")]  # b gained a shot
    later = SeriesSession(CatalogSeriesStore(cat))
    later.set_series(again, saved=cat.series_review())
    assert [later.is_marked(s) for s in again[0].shots] == [False, False, True]
    assert later.is_done(0)
    assert [later.is_marked(s) for s in again[1].shots] == [False, True, False]
    assert not later.is_done(1)  # its shots changed: offered again
    # What is saved is read once: the review in memory is the one that counts after that.
    later.set_keep(0, 2, True)
    later.set_series(again, saved=saved)
    assert not later.is_marked(again[0].shots[2])
    assert cat.series_review().marked == {b"b2".ljust(16, b".")}


def test_a_series_kept_whole_or_gone_takes_its_marks_and_done_flag_with_it(
    tmp_path: Path,
) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    session = SeriesSession(CatalogSeriesStore(cat))
    found = [series("c1", "c2"), series("d1", "d2")]
    session.set_series(found, saved=cat.series_review())
    session.accept(0)
    session.accept(1)
    session.drop({found[0].key})  # "keep all"
    assert cat.series_review().marked == {b"d2".ljust(16, b".")}
    assert cat.series_review().done == {found[1].key}
    session.set_series([])  # found no more (its shots moved away, say)
    assert cat.series_review().marked == cat.series_review().done == frozenset()
