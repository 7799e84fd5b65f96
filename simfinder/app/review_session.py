"""The duplicates review as a user works through it, without any GUI: the groups, the keep marks
and the groups marked done, with the rules that matter most (dupeGuru's results/markable
objects): every group keeps a photo, a photo in a reference folder is never marked for
removal, and the user's own marks override the keep rules'. The Duplicates view is a view of a
session; the command line loads one from the library to act on the marks the user saved."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from simfinder.app.library_settings import result_settings
from simfinder.app.review import mark_groups, marked_for_removal, review_groups
from simfinder.core.cleanup.keeper import DEFAULT_PLAN, KeepPlan, choose_keepers
from simfinder.core.matching.grouping import DuplicateGroup, PairJudgement, judge_pairs
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.catalog import Catalog, PhotoRecord
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)

KEEP_ONE = ("Every group keeps at least one photo: mark another photo of this group to keep "
            "first.")


class MarkRefused(ValueError):
    """A mark change that would break a rule of the review: the message says which."""


class ReviewStore(Protocol):
    """Where the session saves the user's marks and done groups as they change (the app's
    ReviewRecorder, or CatalogReviewStore)."""

    def mark(self, path: str, keep: bool | None) -> None: ...

    def done(self, group_key: bytes, done: bool) -> None: ...

    def forget_marks(self, paths: Iterable[str] | None = None) -> None: ...


class CatalogReviewStore:
    """Saves the review straight into a catalog (the command line: one thread, no queue)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def mark(self, path: str, keep: bool | None) -> None:
        self.catalog.set_review_mark(path, keep)

    def done(self, group_key: bytes, done: bool) -> None:
        self.catalog.set_review_done(group_key, done)

    def forget_marks(self, paths: Iterable[str] | None = None) -> None:
        chosen = None if paths is None else list(paths)
        if chosen is None:
            self.catalog.clear_review_marks()
        elif chosen:
            self.catalog.clear_review(chosen)


class _NoStore:
    def mark(self, path: str, keep: bool | None) -> None:
        pass

    def done(self, group_key: bytes, done: bool) -> None:
        pass

    def forget_marks(self, paths: Iterable[str] | None = None) -> None:
        pass


@dataclass(frozen=True, slots=True)
class MovedReview:
    """What the review held about photos moved away: given back if Undo puts them back."""

    paths: frozenset[str]
    done: frozenset[bytes]  # the groups they were in that the user was done with
    marks: dict[str, bool]  # their own marks, as the user set them


@dataclass(frozen=True, slots=True)
class MarkChange:
    """A mark the user changed: the group's row and the photo's row in it."""

    group_row: int
    photo_row: int
    path: str
    keep: bool


class ReviewSession:
    """The groups under review (kept photos first in each) with their marks and done flags."""

    def __init__(self, plan: KeepPlan = DEFAULT_PLAN, store: ReviewStore | None = None) -> None:
        self.plan = plan
        self.store: ReviewStore = store or _NoStore()
        self.groups: list[DuplicateGroup] = []
        self._source: list[DuplicateGroup] = []  # the groups as found, marked by the rules
        self._overrides: dict[str, bool] = {}  # path -> keep, as the user set it
        self.done: set[bytes] = set()  # keys of the groups the user is done with
        self._moved: list[MovedReview] = []  # oldest first, for Undo

    # -- loading ----------------------------------------------------------------------------

    def set_groups(self, groups: Sequence[DuplicateGroup], plan: KeepPlan | None = None) -> None:
        """Review these groups, marked by `plan`, with the user's own marks laid over them
        where they still leave every group a photo to keep."""
        if plan is not None:
            self.plan = plan
        plan = self.plan
        self._source = list(groups)
        self.groups = [dataclasses.replace(g, keep=set(g.keep)) for g in groups]
        for group in self.groups:
            ids = {p.file_id for p in group.photos}
            marked = set(group.keep)
            for p in group.photos:
                wish = self._overrides.get(p.path)
                if wish is None or plan.is_reference(p.path):
                    continue
                if wish:
                    marked.add(p.file_id)
                else:
                    marked.discard(p.file_id)
            if marked & ids:
                group.keep = marked
            # The kept photos first: the eye finds the one that stays, then what goes.
            keep = group.keep
            group.photos = sorted(group.photos, key=lambda p: (p.file_id not in keep, p.path))

    def restore(self, marks: dict[str, bool], done: set[bytes]) -> None:
        """Lay marks and done groups saved from an earlier review over the groups."""
        self._overrides.update(marks)
        self.done |= done
        self.set_groups(self._source)

    def forget_review(self) -> None:
        """Forget the user's marks and done groups (their record is cleared by the caller)."""
        self._overrides.clear()
        self.done.clear()
        mark_groups(self._source, self.plan)
        self.set_groups(self._source)

    def clear_overrides(self) -> bool:
        """Forget the user's own marks (the groups show the rules' marks when next set);
        True if there were any."""
        had = bool(self._overrides)
        self._overrides.clear()
        if had:
            self.store.forget_marks()
        return had

    def marks_the_rules_change(self, plan: KeepPlan) -> tuple[int, int]:
        """(marks, groups): how many of the user's own marks, in how many groups, `plan`'s
        rules would set otherwise (a photo of a reference folder is kept either way: not
        counted)."""
        fresh = [dataclasses.replace(g, keep=set(g.keep)) for g in self._source]
        mark_groups(fresh, plan)
        marks = groups = 0
        for g in fresh:
            n = sum(1 for p in g.photos
                    if (wish := self._overrides.get(p.path)) is not None
                    and not plan.is_reference(p.path) and wish != (p.file_id in g.keep))
            marks += n
            groups += n > 0
        return marks, groups

    def apply_rules(self, plan: KeepPlan, keep_marks: bool) -> None:
        """Mark every group by `plan`, with the user's own marks laid over them if
        `keep_marks` (else they are forgotten: the rules' marks everywhere)."""
        if not keep_marks:
            self.clear_overrides()
        mark_groups(self._source, plan)
        self.set_groups(self._source, plan)

    def reapply(self, plan: KeepPlan) -> None:
        """Mark every group by `plan`, forgetting the user's own marks."""
        self.apply_rules(plan, keep_marks=False)

    def stop_saving(self) -> None:
        """Changes from now on are not saved (a dry run)."""
        self.store = _NoStore()

    # -- reading ----------------------------------------------------------------------------

    def overrides(self) -> dict[str, bool]:
        return dict(self._overrides)

    def copies(self) -> list[DuplicateGroup]:
        """The groups with their current marks (copies: safe to hand to another thread)."""
        return [dataclasses.replace(g, photos=list(g.photos), keep=set(g.keep))
                for g in self.groups]

    def marked(self) -> list[PhotoRecord]:
        """The photos marked for removal, group by group."""
        return marked_for_removal(self.groups)

    def totals(self) -> tuple[int, int, int, int]:
        """(groups, photos, photos marked for removal, bytes they take)."""
        photos = sum(len(g.photos) for g in self.groups)
        removed = sum(1 for g in self.groups for p in g.photos if p.file_id not in g.keep)
        return len(self.groups), photos, removed, sum(g.reclaimable_bytes for g in self.groups)

    def is_done(self, row: int) -> bool:
        return 0 <= row < len(self.groups) and self.groups[row].key in self.done

    def group_row(self, key: bytes) -> int:
        return next((r for r, g in enumerate(self.groups) if g.key == key), -1)

    # -- changing ---------------------------------------------------------------------------

    def set_keep(self, file_id: int, keep: bool) -> MarkChange | None:
        """Mark a photo to keep or to remove; None if it already was (or is in no group).
        Raises MarkRefused if it would leave its group without a photo to keep, or would
        remove a photo in a reference folder."""
        for g, group in enumerate(self.groups):
            record = next((p for p in group.photos if p.file_id == file_id), None)
            if record is None:
                continue
            if keep == (file_id in group.keep):
                return None
            if not keep and self.plan.is_reference(record.path):
                raise MarkRefused(f"{os.path.basename(record.path)} is in a reference folder: "
                                  "it is always kept.")
            if not keep and group.keep <= {file_id}:
                raise MarkRefused(KEEP_ONE)
            if keep:
                group.keep.add(file_id)
            else:
                group.keep.discard(file_id)
            self._overrides[record.path] = keep
            self.store.mark(record.path, keep)
            return MarkChange(g, group.photos.index(record), record.path, keep)
        return None

    def keep_only(self, file_id: int) -> list[MarkChange]:
        """Keep this photo and mark the others of its group for removal (reference photos
        stay kept)."""
        changes: list[MarkChange] = []
        for group in self.groups:
            if any(p.file_id == file_id for p in group.photos):
                for target, keep in [(file_id, True)] + [
                        (p.file_id, False) for p in group.photos
                        if p.file_id != file_id and not self.plan.is_reference(p.path)]:
                    change = self.set_keep(target, keep)
                    if change is not None:
                        changes.append(change)
                break
        return changes

    def set_done(self, row: int, done: bool) -> bool:
        """The user is done with the group at `row` (or not after all); True if that changed."""
        if not 0 <= row < len(self.groups):
            return False
        key = self.groups[row].key
        if (key in self.done) == done:
            return False
        if done:
            self.done.add(key)
        else:
            self.done.discard(key)
        self.store.done(key, done)
        return True

    def drop_groups(self, keys: set[bytes]) -> bool:
        """Groups the user decided about leave the review; True if any was there."""
        kept = [g for g in self.groups if g.key not in keys]
        if len(kept) == len(self.groups):
            return False
        self.groups = kept
        self._source = [g for g in self._source if g.key not in keys]
        return True

    def remove_paths(self, paths: Iterable[str]) -> bool:
        """Photos no longer in the library leave their groups (groups of one go); a group
        left without a kept photo keeps the one the rules choose. True if any left."""
        gone = set(paths)
        if not gone:
            return False
        kept: list[DuplicateGroup] = []
        for group in self.groups:
            photos = [p for p in group.photos if p.path not in gone]
            if len(photos) < 2:
                continue
            ids = {p.file_id for p in photos}
            keep = group.keep & ids or choose_keepers(photos, self.plan, group.companions)
            kept.append(dataclasses.replace(group, photos=photos, keep=keep))
        self.groups = kept
        self._source = kept
        return True

    def photos_moved(self, paths: Sequence[str]) -> None:
        """Photos were moved away (to the trash or a folder): the groups cleaned up are over,
        so their done flags and the photos' marks are forgotten, and the photos leave."""
        gone = set(paths)
        done = {g.key for g in self.groups
                if g.key in self.done and any(p.path in gone for p in g.photos)}
        marks = {path: self._overrides[path] for path in gone if path in self._overrides}
        self._moved.append(MovedReview(frozenset(gone), frozenset(done), marks))
        for key in done:
            self.done.discard(key)
            self.store.done(key, False)
        self.remove_paths(gone)
        for path in gone:
            self._overrides.pop(path, None)
        self.store.forget_marks(list(paths))

    def photos_back(self, paths: Iterable[str]) -> bool:
        """Undo put moved photos back: the review comes back as it was before the move (the
        groups marked done, the photos' own marks), for the groups found again. True if
        there was anything to give back."""
        back = set(paths)
        memo = next((m for m in reversed(self._moved) if m.paths & back), None)
        if memo is None:
            return False
        self._moved.remove(memo)
        for key in memo.done:
            self.done.add(key)
            self.store.done(key, True)
        for path, keep in memo.marks.items():
            if path in back:
                self._overrides[path] = keep
                self.store.mark(path, keep)
        self.set_groups(self._source)
        return bool(memo.done or memo.marks)


class JudgedPairs:
    """The pairs judged at one strictness for one library state, so that a decision of the
    user only clusters them again (judging is the slow part of finding the groups)."""

    def __init__(self) -> None:
        self._judged: tuple[Strictness, dict[tuple[int, int], PairJudgement]] | None = None

    def library_changed(self) -> None:
        self._judged = None

    def at(self, library: Library,
           strictness: Strictness) -> dict[tuple[int, int], PairJudgement]:
        if self._judged is None or self._judged[0] is not strictness:
            self._judged = (strictness, judge_pairs(library, strictness))
        return self._judged[1]


def saved_session(library: Library, strictness: Strictness | None = None) -> ReviewSession:
    """The review as the library holds it: the groups at the library's strictness (or
    `strictness`) marked by its keep rules, with the marks and done groups the user saved
    laid over them when they were made at that strictness. Saves back into the catalog."""
    cat = library.catalog
    chosen = result_settings(cat)
    strictness = strictness or chosen.strictness
    session = ReviewSession(chosen.plan, CatalogReviewStore(cat))
    session.set_groups(review_groups(library, strictness, chosen.plan))
    state = cat.review_state()
    if state.strictness is None or state.strictness == strictness.value:
        session.restore(state.marks, state.done)
    else:
        log.info("the saved review is at %s, not %s: the keep rules' marks",
                 state.strictness, strictness.value)
    return session
