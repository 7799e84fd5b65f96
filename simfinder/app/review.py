"""Reviewing duplicate groups and cleaning up: the use cases the Duplicates view and the command
line share (groups marked by the keeper rules, exports, moving the marked photos, Undo)."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from simfinder.app.wording import count_files
from simfinder.core.cleanup.actions import (
    ActionReport,
    BatchSummary,
    FileFailure,
    UndoReport,
    destination_for,
    last_undoable,
    move_photos,
    recover_interrupted,
    trash_photos,
    undo_last,
)
from simfinder.core.cleanup.keeper import (
    DEFAULT_PLAN,
    KeepPlan,
    apply_plan,
    companion_kinds,
    keep_reasons,
)
from simfinder.core.cleanup.trash import SystemTrash
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.indexing.scan import folder_owners
from simfinder.core.matching.decisions import NOT_DUPLICATES, PHOTOS, carried_to_copies
from simfinder.core.matching.grouping import (
    DuplicateGroup,
    PairJudgement,
    find_duplicate_groups,
    group_judged,
)
from simfinder.core.matching.similarity import Strictness
from simfinder.core.photos.companions import companion_kind, sidecar_problem
from simfinder.core.photos.embed import Embedder
from simfinder.core.progress import ProgressCallback
from simfinder.core.store.catalog import PhotoRecord
from simfinder.core.store.library import Library
from simfinder.core.translatable import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

CSV_COLUMNS = ("group", "kind", "confidence", "path", "width", "height", "bytes", "format",
               "taken_at", "camera", "keep", "keep_reason", "decision", "new", "companions")
DECIDED_REASON = QT_TRANSLATE_NOOP("engine", "you decided to keep it")


class NothingKept(ValueError):
    """A group would lose every photo: refused."""


def review_groups(
    library: Library,
    strictness: Strictness = Strictness.NORMAL,
    plan: KeepPlan = DEFAULT_PLAN,
    *,
    include_decided: bool = False,
    judged: dict[tuple[int, int], PairJudgement] | None = None,
) -> list[DuplicateGroup]:
    """The duplicate groups (exact first, then near-duplicates by confidence), each with the
    photos to keep marked by `plan` and the user's decisions. Groups the user decided about
    are left out unless `include_decided`; a group that came back (new files since a
    decision about it) is in, its decided files kept. `judged`: the pairs judge_pairs found at
    this strictness, if the caller kept them (then only the clustering runs again)."""
    groups = (find_duplicate_groups(library, strictness) if judged is None
              else group_judged(library, judged))
    if not include_decided:
        groups = [g for g in groups if not g.decided]
    known = library.catalog.companions_of(p.path for g in groups for p in g.photos)
    for g in groups:
        g.companions = {p.path: known[p.path] for p in g.photos if p.path in known}
    mark_groups(groups, plan)  # the companions count in the keep rules
    return groups


def mark_groups(groups: Sequence[DuplicateGroup], plan: KeepPlan) -> None:
    """Mark the photos to keep: by the plan, plus every photo a decision of the user covers
    ("keep all" keeps them; photos said not to be duplicates of each other are all kept)."""
    apply_plan(groups, plan)
    for g in groups:
        g.keep |= g.settled


def why_each_kept(group: DuplicateGroup, plan: KeepPlan = DEFAULT_PLAN) -> dict[int, str]:
    """Why each kept photo of the group is kept, in plain words, by file id: the keeper rules'
    reason, a reference folder, or the user's decision."""
    reasons = keep_reasons(group, plan)
    for file_id in group.settled & group.keep:
        if not plan.is_reference(next(p.path for p in group.photos if p.file_id == file_id)):
            reasons[file_id] = DECIDED_REASON
    return reasons


def groups_as_csv(groups: Sequence[DuplicateGroup], out: TextIO,
                  plan: KeepPlan = DEFAULT_PLAN) -> None:
    """One row per photo: CSV_COLUMNS, groups numbered from 1, keep and new as true/false,
    keep_reason why a kept photo is kept (by `plan`'s rules; "" for the others), decision the
    kind of the user's decision covering the group ("" if none), companions the photo's
    companion files (core.photos.companions) joined by ";"."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for n, g in enumerate(groups, 1):
        decision = g.decision.kind if g.decision is not None else ""
        new = g.new
        reasons = why_each_kept(g, plan)
        for p in g.photos:
            writer.writerow([n, g.kind, f"{g.confidence:.4f}", p.path, p.width, p.height,
                             p.size, p.format, p.taken_at or "", p.camera or "",
                             "true" if p.file_id in g.keep else "false",
                             reasons.get(p.file_id, ""), decision,
                             "true" if p.file_id in new else "false",
                             ";".join(g.companions.get(p.path, []))])


def marked_for_removal(groups: Sequence[DuplicateGroup]) -> list[PhotoRecord]:
    """The photos not kept, group by group. Raises NothingKept if a group keeps none."""
    out: list[PhotoRecord] = []
    for n, g in enumerate(groups, 1):
        ids = {p.file_id for p in g.photos}
        if not g.keep & ids:
            raise NothingKept(f"group {n} would keep no photo: keep at least one")
        out.extend(p for p in g.photos if p.file_id not in g.keep)
    return out


def marked_companions(groups: Sequence[DuplicateGroup]) -> list[str]:
    """The companion files that go with the photos not kept."""
    return [c for g in groups for p in g.photos if p.file_id not in g.keep
            for c in g.companions.get(p.path, [])]


def describe_marked(groups: Sequence[DuplicateGroup], photos: Sequence[PhotoRecord]) -> str:
    """What removing the marked photos moves: "12 photos and 5 companion files"."""
    return count_files(len(photos), len(marked_companions(groups)))


@dataclass(frozen=True, slots=True)
class CompanionNote:
    """What the confirmation of a move says about companion files, in plain words.

    `kind`: "lacking" (a photo to remove has companions of kinds the photos kept in its group
    lack: the user may keep it instead, `photo` is then the one to keep), "shared" (a file two
    photos may own stays where it is) or "invalid" (a sidecar that is not valid XMP or JSON,
    which goes with its photo all the same)."""

    kind: str
    photo: PhotoRecord
    files: tuple[str, ...]
    text: str
    name: str  # the photo's name as the text gives it (with its folder if the group needs it)


def shown_name(path: str, group: DuplicateGroup) -> str:
    """A photo's file name, with its folder's name when another photo of the group has the
    same file name ("backup/IMG_1.jpg")."""
    name = os.path.basename(path)
    if any(os.path.basename(p.path) == name for p in group.photos if p.path != path):
        return os.path.join(os.path.basename(os.path.dirname(path)), name)
    return name


def companion_notes(groups: Sequence[DuplicateGroup],
                    plan: KeepPlan = DEFAULT_PLAN) -> list[CompanionNote]:
    """The notes about the companion files of the photos marked for removal in `groups`
    (see CompanionNote), group by group. Reads the folders of those photos (for the files
    two photos claim) and their XMP and JSON sidecars (to check them)."""
    notes: list[CompanionNote] = []
    owners: dict[str, dict[str, list[str]]] = {}  # folder -> shared file -> claimants
    for g in groups:
        kept = [p for p in g.photos if p.file_id in g.keep]
        kept_kinds = companion_kinds(c for p in kept for c in g.companions.get(p.path, []))
        for p in g.photos:
            if p.file_id in g.keep:
                continue
            mine = g.companions.get(p.path, [])
            lacking = tuple(c for c in mine if companion_kind(c) not in kept_kinds)
            me = shown_name(p.path, g)
            if lacking:
                names = ", ".join(f"{os.path.basename(c)} ({companion_kind(c)})"
                                  for c in lacking)
                others = ", ".join(shown_name(k.path, g) for k in kept)
                notes.append(CompanionNote(
                    "lacking", p, lacking,
                    f"{me} has files the copy kept ({others}) lacks: {names}. They go with "
                    f"it, unless you keep {me} instead.", me))
            for c in mine:
                problem = sidecar_problem(c)
                if problem is not None:
                    notes.append(CompanionNote(
                        "invalid", p, (c,),
                        f"{os.path.basename(c)} is {problem}: it goes with {me} all the same.",
                        me))
            folder = os.path.dirname(p.path)
            if folder not in owners:
                owners[folder] = folder_owners(folder,
                                               pair_raw=not plan.remove_raw_jpegs).shared
            for shared, claimants in sorted(owners[folder].items()):
                if p.path not in claimants:
                    continue
                names = " and ".join(os.path.basename(c) for c in claimants)
                notes.append(CompanionNote(
                    "shared", p, (shared,),
                    f"{os.path.basename(shared)} stays where it is: {names} could each be its "
                    "photo, so it goes with neither.", me))
    return notes


def remove_marked(
    library: Library,
    groups: Sequence[DuplicateGroup],
    *,
    destination: Path | None = None,
    plan: KeepPlan = DEFAULT_PLAN,
    trash: SystemTrash | None = None,
    progress: ProgressCallback | None = None,
) -> ActionReport:
    """Move the photos not kept to the system trash, or into `destination`. Photos in the plan's
    reference folders are never moved; a group whose kept photos are no longer on disk is left
    alone (its last copy could otherwise go). Holds the library's writer lock."""
    photos = marked_for_removal(groups)
    skipped: list[FileFailure] = []
    safe: list[PhotoRecord] = []
    for g in groups:
        kept_here = any(os.path.isfile(p.path) for p in g.photos if p.file_id in g.keep)
        for p in g.photos:
            if p.file_id in g.keep:
                continue
            if kept_here:
                safe.append(p)
            else:
                skipped.append(FileFailure(
                    p.path, "the photo kept in its group is no longer on disk; rescan first"))
    assert len(safe) + len(skipped) == len(photos)
    with library.writing():
        if destination is None:
            report = trash_photos(library, safe, trash=trash,
                                  protected=plan.reference_folders, progress=progress)
        else:
            report = move_photos(library, safe, destination,
                                 protected=plan.reference_folders, progress=progress)
    report.failed.extend(skipped)
    carry_decisions(library, groups, {src for src, _ in report.moved})
    return report


def carry_decisions(library: Library, groups: Sequence[DuplicateGroup],
                    moved: set[str]) -> int:
    """The user's "not duplicates" decisions about photos that were just moved away hold for
    the photos kept in their groups, their copies (see decisions.carried_to_copies): added
    as decisions of their own (listed, undone and exported like any). Returns how many."""
    cat = library.catalog
    left = [(p, [k for k in g.photos if k.file_id in g.keep])
            for g in groups for p in g.photos if p.path in moved and p.file_id not in g.keep]
    if not left:
        return 0
    carried = carried_to_copies(cat.decisions(), left)
    for files in carried:
        cat.add_decision(NOT_DUPLICATES, PHOTOS, files)
    if carried:
        log.info("%d not-duplicates decisions carried to the copies kept", len(carried))
    return len(carried)


def planned_destinations(library: Library, photos: Sequence[PhotoRecord],
                         destination: Path) -> list[str]:
    """Where moving `photos` into `destination` would put each (before a number is added to
    a name already taken there)."""
    target = Path(destination).expanduser().resolve()
    folders = library.catalog.folders()
    return [destination_for(p.path, folders, target) for p in photos]


def settle_interrupted_actions(library: Library) -> int:
    """If a move or an Undo was killed half-way, settle its journal from what is on disk (and
    the catalog with it). Cheap when there is nothing to settle; returns how many entries were.
    Raises LibraryBusy if another process is writing the library."""
    cat = library.catalog
    if not cat.journal_unsettled() and not cat.journal_unfinished_batches():
        return 0
    with library.writing():
        return recover_interrupted(library)


def undoable_action(library: Library) -> BatchSummary | None:
    """What Undo would take back, or None."""
    return last_undoable(library)


def undo_last_action(
    library: Library,
    embedder: Callable[[], Embedder],
    *,
    trash: SystemTrash | None = None,
    progress: ProgressCallback | None = None,
) -> UndoReport | None:
    """Put the files of the last action back and return them to the library (they are indexed
    again: a file whose content the library still knows is only linked, not decoded). Holds the
    library's writer lock. None when there is nothing to undo."""
    with library.writing():
        report = undo_last(library, trash=trash, progress=progress)
        if report is not None and report.to_index:
            Indexer(library, embedder).run([Path(p) for p in report.to_index])
    return report
