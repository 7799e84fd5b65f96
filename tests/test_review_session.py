"""The review's rules without any GUI: every group keeps a photo, reference folders are never
marked for removal, the user's marks override the keep rules' and are saved as they change."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import pytest

from simfinder.app.review import mark_groups
from simfinder.app.review_session import CatalogReviewStore, MarkRefused, ReviewSession
from simfinder.core.cleanup.keeper import DEFAULT_PLAN, KeepPlan
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.store.catalog import Catalog, PhotoRecord

_ids = itertools.count(1)


def photo(path: str, width: int) -> PhotoRecord:
    # Different resolutions: the "most detail" rule decides, without reading any file.
    return PhotoRecord(next(_ids), path, width * 100, 0, next(_ids), width, width, "JPEG",
                       None, None, path.encode())


def groups(plan: KeepPlan = DEFAULT_PLAN) -> list[DuplicateGroup]:
    found = [
        DuplicateGroup("near", [photo("/p/cat-small.jpg", 400), photo("/p/cat.jpg", 800),
                                photo("/ref/cat.jpg", 600)], set(), 0.9),
        DuplicateGroup("near", [photo("/p/sea.jpg", 900), photo("/p/b/sea.jpg", 500)],
                       set(), 0.95),
    ]
    mark_groups(found, plan)
    return found


class FakeStore:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def mark(self, path: str, keep: bool | None) -> None:
        self.calls.append(("mark", path, keep))

    def done(self, group_key: bytes, done: bool) -> None:
        self.calls.append(("done", group_key, done))

    def forget_marks(self, paths: Iterable[str] | None = None) -> None:
        self.calls.append(("forget", None if paths is None else sorted(paths)))


def file_id(session: ReviewSession, path: str) -> int:
    return next(p.file_id for g in session.groups for p in g.photos if p.path == path)


def kept(session: ReviewSession) -> set[str]:
    return {p.path for g in session.groups for p in g.photos if p.file_id in g.keep}


def test_every_group_keeps_a_photo() -> None:
    session = ReviewSession()
    session.set_groups(groups())
    assert kept(session) == {"/p/cat.jpg", "/p/sea.jpg"}
    with pytest.raises(MarkRefused, match="Every group keeps at least one photo"):
        session.set_keep(file_id(session, "/p/sea.jpg"), False)
    assert "/p/sea.jpg" in kept(session)
    # Keep another one first; then the first may go.
    session.set_keep(file_id(session, "/p/b/sea.jpg"), True)
    session.set_keep(file_id(session, "/p/sea.jpg"), False)
    assert kept(session) == {"/p/cat.jpg", "/p/b/sea.jpg"}
    assert [p.path for p in session.marked()] == ["/p/cat-small.jpg", "/ref/cat.jpg",
                                                  "/p/sea.jpg"]
    assert session.totals() == (2, 5, 3, 400 * 100 + 600 * 100 + 900 * 100)


def test_a_photo_in_a_reference_folder_is_never_marked_for_removal() -> None:
    plan = KeepPlan(reference_folders=("/ref",))
    session = ReviewSession(plan)
    session.set_groups(groups(plan))
    assert "/ref/cat.jpg" in kept(session) and "/p/cat.jpg" not in kept(session)
    with pytest.raises(MarkRefused, match=r"cat\.jpg is in a reference folder"):
        session.set_keep(file_id(session, "/ref/cat.jpg"), False)
    # Keep only another photo: the reference photo stays kept.
    session.keep_only(file_id(session, "/p/cat-small.jpg"))
    assert kept(session) >= {"/ref/cat.jpg", "/p/cat-small.jpg"}
    assert "/p/cat.jpg" not in kept(session)
    # A mark saved before the folder became a reference folder does not remove it.
    earlier = ReviewSession(plan)
    earlier.set_groups(groups(plan))
    earlier.restore({"/ref/cat.jpg": False, "/p/cat.jpg": True}, set())
    assert {"/ref/cat.jpg", "/p/cat.jpg"} <= kept(earlier)


def test_the_users_marks_override_the_rules_and_outlive_a_new_search() -> None:
    store = FakeStore()
    session = ReviewSession(store=store)
    session.set_groups(groups())
    session.set_keep(file_id(session, "/p/cat-small.jpg"), True)
    session.set_keep(file_id(session, "/p/cat.jpg"), False)
    assert store.calls == [("mark", "/p/cat-small.jpg", True), ("mark", "/p/cat.jpg", False)]
    # The groups found again (after indexing, say): the user's marks still win, kept first.
    session.set_groups(groups())
    assert kept(session) == {"/p/cat-small.jpg", "/p/sea.jpg"}
    assert session.groups[0].photos[0].path == "/p/cat-small.jpg"
    # New keep rules forget them (and say so to the store).
    session.reapply(KeepPlan())
    assert kept(session) == {"/p/cat.jpg", "/p/sea.jpg"}
    assert store.calls[-1] == ("forget", None)


def test_a_saved_mark_that_would_leave_a_group_with_nothing_is_not_applied() -> None:
    session = ReviewSession()
    session.set_groups(groups())
    session.restore({"/p/sea.jpg": False, "/p/cat-small.jpg": True}, set())
    assert kept(session) == {"/p/sea.jpg", "/p/cat.jpg", "/p/cat-small.jpg"}


def test_done_groups_and_moved_photos() -> None:
    store = FakeStore()
    session = ReviewSession(store=store)
    session.set_groups(groups())
    assert session.set_done(0, True) and not session.set_done(0, True)
    assert session.is_done(0) and not session.is_done(1)
    key = session.groups[0].key
    session.set_keep(file_id(session, "/p/b/sea.jpg"), True)
    # Moving photos away ends their groups' review: done flags and marks forgotten.
    session.photos_moved(["/p/cat-small.jpg", "/ref/cat.jpg"])
    assert [len(g.photos) for g in session.groups] == [2]
    assert not session.done
    assert store.calls[-2:] == [("done", key, False),
                                ("forget", ["/p/cat-small.jpg", "/ref/cat.jpg"])]
    assert session.drop_groups({session.groups[0].key}) and session.groups == []


def test_marks_and_done_groups_are_saved_in_the_catalog(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    try:
        session = ReviewSession(store=CatalogReviewStore(catalog))
        session.set_groups(groups())
        session.set_keep(file_id(session, "/p/cat-small.jpg"), True)
        session.set_done(1, True)
        state = catalog.review_state()
        assert state.marks == {"/p/cat-small.jpg": True}
        assert state.done == {session.groups[1].key}
        again = ReviewSession()
        again.set_groups(groups())
        again.restore(state.marks, state.done)
        assert "/p/cat-small.jpg" in kept(again) and again.is_done(1)
    finally:
        catalog.close()


def test_new_rules_count_the_users_marks_they_would_change_and_keep_them_if_asked() -> None:
    session = ReviewSession()
    session.set_groups(groups())
    session.set_keep(file_id(session, "/p/b/sea.jpg"), True)
    session.set_keep(file_id(session, "/p/sea.jpg"), False)
    session.set_keep(file_id(session, "/p/cat-small.jpg"), True)
    # With b/ a reference folder the rules agree with the sea marks (b/sea.jpg kept, being a
    # reference, sea.jpg not): only the kept cat-small.jpg would change.
    plan = KeepPlan(reference_folders=("/p/b",))
    assert session.marks_the_rules_change(plan) == (1, 1)
    session.apply_rules(plan, keep_marks=True)
    assert kept(session) == {"/p/b/sea.jpg", "/p/cat.jpg", "/p/cat-small.jpg"}
    session.apply_rules(plan, keep_marks=False)
    assert kept(session) == {"/p/b/sea.jpg", "/p/cat.jpg"}
    assert session.overrides() == {}


def test_undo_of_a_move_gives_back_the_done_groups_and_the_marks() -> None:
    store = FakeStore()
    session = ReviewSession(store=store)
    session.set_groups(groups())
    session.set_keep(file_id(session, "/p/cat-small.jpg"), True)
    cat_key = session.groups[0].key
    session.set_done(0, True)
    session.photos_moved(["/p/cat-small.jpg", "/ref/cat.jpg"])
    assert cat_key not in session.done
    session.set_groups(groups())  # the photos are back, found again
    assert session.photos_back(["/p/cat-small.jpg"])
    assert session.is_done(session.group_row(cat_key))
    assert "/p/cat-small.jpg" in kept(session)
    assert store.calls[-2:] == [("done", cat_key, True), ("mark", "/p/cat-small.jpg", True)]
    assert not session.photos_back(["/p/cat-small.jpg"])  # given back once
