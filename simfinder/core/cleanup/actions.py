"""Moving photos out of the way, undoably: to the system trash, or into a folder of the user's
choice (keeping their paths relative to the library folder they came from).

Nothing is ever deleted. Every file is written to the catalog's action journal *before* it is
touched ("pending") and completed after ("done" with where it went, or "failed" with why), so a
crash half-way leaves a journal that says where each file is; `recover_interrupted` settles
such leftovers from what is on disk. The catalog follows each action: moved files leave it (or,
moved to a place the library covers, keep their content under the new path), and contents no
file points at leave the vector index and the thumbnail cache. `undo_last` puts the files of the
newest batch back where they were.

A photo's companion files (core.photos.companions: sidecars, Takeout metadata, a Live Photo's video)
go with it as one unit: journalled with it before anything is touched, moved right after it
(beside it, renamed with it if its name had to change), left where they are when it is not
moved, and put back with it by Undo.

A photo is not touched when it is in a protected (reference) folder, when it is no longer where
the catalog says, or when it changed since it was indexed: it is reported, with the reason.

Call these while holding `Library.writing()`.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simfinder.core.cleanup.trash import RestoreError, SystemTrash
from simfinder.core.photos.digest import file_digest
from simfinder.core.progress import ProgressCallback, ProgressMeter
from simfinder.core.store.catalog import JournalBatch, JournalItem, PhotoRecord
from simfinder.core.store.library import Library
from simfinder.core.translatable import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

TRASH = "trash"
MOVE = "move"


@dataclass(frozen=True, slots=True)
class FileFailure:
    path: str
    reason: str


@dataclass(slots=True)
class ActionReport:
    """What a batch did: files moved (from, to; `to` is None when the trash does not say) and
    files left where they were, with the reason."""

    kind: str
    batch_id: int
    moved: list[tuple[str, str | None]] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    bytes_moved: int = 0
    # The moved photos' companion files, moved with them (from, to), and those that were not.
    companions_moved: list[tuple[str, str | None]] = field(default_factory=list)
    companions_failed: list[FileFailure] = field(default_factory=list)


@dataclass(slots=True)
class UndoReport:
    kind: str
    batch_id: int
    restored: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    companions_restored: list[str] = field(default_factory=list)
    companions_failed: list[FileFailure] = field(default_factory=list)
    # Restored files the catalog no longer knows: index them to bring them back in the views.
    to_index: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """The batch Undo would take back."""

    batch_id: int
    kind: str
    files: int  # photos
    bytes: int  # of the photos and their companion files
    target: str | None
    companions: int = 0



# Why a photo of an offline folder (indexing.offline) is left alone: its file cannot be reached,
# and it must not be taken for gone either.
OFFLINE_REASON = QT_TRANSLATE_NOOP(
    "engine", "in an offline folder: not moved until the folder is back")


def _is_under(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep) or os.sep
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return QT_TRANSLATE_NOOP("engine", "permission denied")
    if isinstance(exc, FileNotFoundError):
        return QT_TRANSLATE_NOOP("engine", "no longer on disk")
    if exc.errno == errno.ENOSPC:
        return QT_TRANSLATE_NOOP("engine", "the disk is full")
    if exc.errno == errno.EROFS:
        return QT_TRANSLATE_NOOP("engine", "on a read-only disk")
    return exc.strerror or str(exc)


def _unchanged_reason(photo: PhotoRecord) -> str | None:
    """Why the file cannot be acted on as indexed, or None if it is still as indexed."""
    try:
        st = os.stat(photo.path)
    except FileNotFoundError:
        return QT_TRANSLATE_NOOP("engine", "no longer on disk")
    except OSError as exc:
        return _reason(exc)
    if st.st_size != photo.size or st.st_mtime_ns != photo.mtime_ns:
        return QT_TRANSLATE_NOOP(
            "engine", "changed since it was indexed; rescan and review it again")
    return None


# -- doing ----------------------------------------------------------------------------------


def trash_photos(
    library: Library,
    photos: Sequence[PhotoRecord],
    *,
    trash: SystemTrash | None = None,
    protected: Sequence[str] = (),
    progress: ProgressCallback | None = None,
) -> ActionReport:
    """Move photos to the system trash (never a permanent delete)."""
    trash = trash or SystemTrash()
    recover_interrupted(library, trash=trash)
    cat = library.catalog
    report = ActionReport(TRASH, cat.journal_begin(TRASH))
    meter = ProgressMeter(progress, "trash", len(photos))
    known = cat.companions_of(p.path for p in photos)
    for photo in photos:
        item = _journal(library, report, photo, protected)
        if item is not None:
            unit = _journal_companions(library, report, item, known.get(photo.path, []))
            try:
                entry = trash.send(photo.path, digest=photo.digest, size=photo.size)
            except OSError as exc:
                _failed(library, report, item, photo.path, _reason(exc))
                _stay(library, report, unit, photo.path)
            else:
                where = entry.location if entry is not None else None
                cat.journal_set(item, "done", dest=where,
                                record=entry.record if entry is not None else None)
                report.moved.append((photo.path, where))
                report.bytes_moved += photo.size
                for companion in unit:
                    _trash_companion(library, report, trash, companion)
        meter.advance(current=photo.path)
    _follow(library, report.batch_id)
    return report


def move_photos(
    library: Library,
    photos: Sequence[PhotoRecord],
    target: Path,
    *,
    protected: Sequence[str] = (),
    progress: ProgressCallback | None = None,
) -> ActionReport:
    """Move photos into `target`, each at `target/<library folder name>/<its path in there>`
    (a number is added to the name if a file is already there; nothing is overwritten)."""
    target = Path(target).expanduser().resolve()
    recover_interrupted(library)
    cat = library.catalog
    folders = cat.folders()
    report = ActionReport(MOVE, cat.journal_begin(MOVE, str(target)))
    meter = ProgressMeter(progress, "move", len(photos))
    known = cat.companions_of(p.path for p in photos)
    for photo in photos:
        dest = _free_name(destination_for(photo.path, folders, target))
        item = _journal(library, report, photo, protected, dest=dest)
        if item is not None:
            unit = _journal_companions(library, report, item, known.get(photo.path, []),
                                       photo=photo.path, photo_dest=dest)
            try:
                _move_file(photo.path, dest)
            except OSError as exc:
                _failed(library, report, item, photo.path, _reason(exc))
                _stay(library, report, unit, photo.path)
            else:
                cat.journal_set(item, "done")
                report.moved.append((photo.path, dest))
                report.bytes_moved += photo.size
                for companion in unit:
                    _move_companion(library, report, companion)
        meter.advance(current=photo.path)
    _follow(library, report.batch_id)
    return report


def destination_for(path: str, folders: Sequence[str], target: Path) -> str:
    """Where `move_photos` puts a photo: below `target`, under the name of the (innermost)
    library folder it is in and its path relative to that folder."""
    holder = max((f for f in folders if _is_under(path, f)), key=len, default=None)
    if holder is None:
        return str(target / os.path.basename(path))
    name = os.path.basename(holder.rstrip(os.sep)) or "photos"
    return str(target / name / os.path.relpath(path, holder))


def companion_destination(companion: str, photo: str, photo_dest: str) -> str:
    """Where a companion goes when its photo goes to `photo_dest`: beside it, its name changed
    as the photo's was (IMG_1.jpg.xmp goes with IMG_1 (2).jpg as IMG_1 (2).jpg.xmp)."""
    name = os.path.basename(companion)
    old, new = os.path.basename(photo), os.path.basename(photo_dest)
    if old != new:
        for before, after in ((old, new), (os.path.splitext(old)[0], os.path.splitext(new)[0])):
            if name.lower().startswith(before.lower()):
                name = after + name[len(before):]
                break
    return os.path.join(os.path.dirname(photo_dest), name)


@dataclass(frozen=True, slots=True)
class _Companion:
    item: int
    path: str
    size: int
    digest: bytes
    dest: str | None


def _journal_companions(
    library: Library,
    report: ActionReport,
    photo_item: int,
    companions: Sequence[str],
    *,
    photo: str | None = None,
    photo_dest: str | None = None,
) -> list[_Companion]:
    """Journal a photo's companion files (those still on disk) with it, before either is
    touched."""
    unit: list[_Companion] = []
    for path in companions:
        try:
            size = os.stat(path).st_size
            digest = file_digest(path)
        except OSError as exc:
            log.info("companion %s not taken along: %s", path, _reason(exc))
            continue
        dest = None
        if photo is not None and photo_dest is not None:
            dest = _free_name(companion_destination(path, photo, photo_dest))
        item = library.catalog.journal_add(report.batch_id, path, size, digest, dest=dest,
                                           photo_item=photo_item)
        unit.append(_Companion(item, path, size, digest, dest))
    return unit


def _stay(library: Library, report: ActionReport, unit: Sequence[_Companion],
          photo: str) -> None:
    """The photo was not moved: its companions stay with it."""
    for companion in unit:
        reason = f"stays with its photo {os.path.basename(photo)}, which was not moved"
        library.catalog.journal_set(companion.item, "failed", error=reason)


def _trash_companion(library: Library, report: ActionReport, trash: SystemTrash,
                     companion: _Companion) -> None:
    try:
        entry = trash.send(companion.path, digest=companion.digest, size=companion.size)
    except OSError as exc:
        _companion_failed(library, report, companion, _reason(exc))
        return
    where = entry.location if entry is not None else None
    library.catalog.journal_set(companion.item, "done", dest=where,
                                record=entry.record if entry is not None else None)
    report.companions_moved.append((companion.path, where))


def _move_companion(library: Library, report: ActionReport, companion: _Companion) -> None:
    assert companion.dest is not None
    try:
        _move_file(companion.path, companion.dest)
    except OSError as exc:
        _companion_failed(library, report, companion, _reason(exc))
        return
    library.catalog.journal_set(companion.item, "done")
    report.companions_moved.append((companion.path, companion.dest))


def _companion_failed(library: Library, report: ActionReport, companion: _Companion,
                      reason: str) -> None:
    library.catalog.journal_set(companion.item, "failed", error=reason)
    report.companions_failed.append(FileFailure(companion.path, reason))
    log.warning("companion file not moved with its photo: %s: %s", companion.path, reason)


def _free_name(path: str) -> str:
    if not os.path.lexists(path):
        return path
    stem, ext = os.path.splitext(path)
    n = 2
    while os.path.lexists(f"{stem} ({n}){ext}"):
        n += 1
    return f"{stem} ({n}){ext}"


def _move_file(src: str, dst: str) -> None:
    """Move without ever overwriting; across file systems: copy, then remove the original (the
    copy is taken back if the original cannot be removed)."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "a file is already there", dst)
    try:
        os.rename(src, dst)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    tmp = os.path.join(os.path.dirname(dst), f".{os.path.basename(dst)}.simfinder-tmp")
    try:
        shutil.copy2(src, tmp)
        os.rename(tmp, dst)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    try:
        os.unlink(src)
    except BaseException:
        os.unlink(dst)
        raise


def _journal(
    library: Library,
    report: ActionReport,
    photo: PhotoRecord,
    protected: Sequence[str],
    dest: str | None = None,
) -> int | None:
    """Journal a photo before it is touched; None (and a failure) if it must not be touched."""
    cat = library.catalog
    item = cat.journal_add(report.batch_id, photo.path, photo.size, photo.digest, dest=dest)
    if any(_is_under(photo.path, folder) for folder in protected):
        reason: str | None = "in a reference folder: never removed"
    elif any(_is_under(photo.path, o.path) for o in cat.offline_folders()):
        reason = OFFLINE_REASON
    else:
        reason = _unchanged_reason(photo)
    if reason is not None:
        _failed(library, report, item, photo.path, reason)
        return None
    return item


def _failed(library: Library, report: ActionReport, item: int, path: str, reason: str) -> None:
    library.catalog.journal_set(item, "failed", error=reason)
    report.failed.append(FileFailure(path, reason))
    log.info("not moved: %s: %s", path, reason)


def _follow(library: Library, batch_id: int) -> None:
    """Bring the catalog in step with a batch's moved files, then close the batch."""
    cat = library.catalog
    batch = cat.journal_batch(batch_id)
    folders = cat.folders() if batch is not None and batch.kind == MOVE else []
    gone: list[str] = []
    items = cat.journal_items(batch_id)
    for item in items:
        if item.is_companion:
            continue
        if item.state != "done" or cat.file_state(item.source) is None:
            continue
        if os.path.lexists(item.source):
            continue  # something is back at that path: the next scan tells what
        dest = item.dest
        if dest is not None and any(_is_under(dest, f) for f in folders) \
                and os.path.isfile(dest):
            with cat.transaction():
                cat.move_file(item.source, dest)
        else:
            gone.append(item.source)
    if gone:
        library.forget_files(gone)
    _follow_companions(library, items)
    library.save_vectors()
    cat.journal_finish(batch_id)


def _follow_companions(library: Library, items: Sequence[JournalItem]) -> None:
    """Moved companions leave the catalog, or follow their photo if it is still in it."""
    cat = library.catalog
    photos = {i.id: i for i in items if not i.is_companion}
    with cat.transaction():
        for item in items:
            if not item.is_companion or item.state != "done":
                continue
            cat.remove_companion(item.source)
            photo = photos.get(item.photo_item or 0)
            if photo is not None and photo.dest is not None and item.dest is not None \
                    and cat.file_state(photo.dest) is not None:
                cat.put_companion(item.dest, photo.dest)


# -- undoing --------------------------------------------------------------------------------


def last_undoable(library: Library) -> BatchSummary | None:
    """The batch `undo_last` would take back, or None."""
    batch = library.catalog.journal_last_undoable()
    if batch is None:
        return None
    return _summary(batch, library.catalog.journal_items(batch.id))


def _summary(batch: JournalBatch, items: Sequence[JournalItem]) -> BatchSummary:
    done = [i for i in items if i.state in ("done", "restoring")]
    companions = sum(1 for i in done if i.is_companion)
    return BatchSummary(batch.id, batch.kind, len(done) - companions,
                        sum(i.size for i in done), batch.target, companions)


def undo_last(
    library: Library,
    *,
    trash: SystemTrash | None = None,
    progress: ProgressCallback | None = None,
) -> UndoReport | None:
    """Put the files of the newest batch back where they were (None: nothing to undo). A file
    that cannot be put back is reported with the reason and where it is."""
    trash = trash or SystemTrash()
    recover_interrupted(library, trash=trash)
    cat = library.catalog
    batch = cat.journal_last_undoable()
    if batch is None:
        return None
    report = UndoReport(batch.kind, batch.id)
    items = [i for i in cat.journal_items(batch.id) if i.state == "done"]
    photos = [i for i in items if not i.is_companion]
    photo_ids = {i.id for i in photos}
    units: dict[int, list[JournalItem]] = {}
    for item in items:
        if item.is_companion:
            # A companion whose photo is not back to put back goes back on its own.
            units.setdefault(item.photo_item if item.photo_item in photo_ids else -item.id,
                             []).append(item)
    meter = ProgressMeter(progress, "undo", len(photos))
    for item in reversed(photos):
        error = _restore(library, batch, trash, item)
        if error is None:
            report.restored.append(item.source)
            _catalog_back(library, item, report)
            for companion in units.pop(item.id, []):
                _restore_companion(library, batch, trash, companion, item.source, report)
        else:
            report.failed.append(FileFailure(item.source, error))
            for companion in units.pop(item.id, []):
                reason = (f"stays with its photo {os.path.basename(item.source)}, which could "
                          f"not be put back; it is at {companion.dest}")
                cat.journal_set(companion.id, "not-restored", error=reason)
                report.companions_failed.append(FileFailure(companion.source, reason))
        meter.advance(current=item.source)
    for rest in units.values():
        for companion in rest:
            _restore_companion(library, batch, trash, companion, None, report)
    cat.journal_mark_undone(batch.id)
    if batch.kind == MOVE and batch.target is not None:
        _remove_empty_folders(batch.target, [i.dest for i in items if i.dest is not None])
    report.restored.reverse()
    return report


def _remove_empty_folders(target: str, dests: Sequence[str]) -> None:
    """The folders a move made below `target` (the one the user chose, which stays) go when
    the undo left them empty: the move leaves no trace behind."""
    folders = {os.path.dirname(d) for d in dests}
    for folder in sorted(folders, key=len, reverse=True):
        while _is_under(folder, target) and os.path.normpath(folder) != os.path.normpath(target):
            try:
                os.rmdir(folder)  # only ever an empty folder
            except OSError:
                break
            folder = os.path.dirname(folder)


def _restore(library: Library, batch: JournalBatch, trash: SystemTrash,
             item: JournalItem) -> str | None:
    """Put one journalled file back; if it cannot be: why (journalled "not-restored")."""
    cat = library.catalog
    cat.journal_set(item.id, "restoring")
    try:
        if batch.kind == TRASH:
            trash.restore(item.source, item.dest, digest=item.digest, size=item.size)
        else:
            _move_back(item)
    except RestoreError as exc:
        cat.journal_set(item.id, "not-restored", error=str(exc))
        log.warning("could not restore %s: %s", item.source, exc)
        return str(exc)
    cat.journal_set(item.id, "restored")
    return None


def _restore_companion(library: Library, batch: JournalBatch, trash: SystemTrash,
                       item: JournalItem, photo: str | None, report: UndoReport) -> None:
    error = _restore(library, batch, trash, item)
    if error is not None:
        report.companions_failed.append(FileFailure(item.source, error))
        return
    report.companions_restored.append(item.source)
    if photo is not None:
        with library.catalog.transaction():
            library.catalog.remove_companion(item.dest or item.source)
            library.catalog.put_companion(item.source, photo)


def _move_back(item: JournalItem) -> None:
    dest = item.dest
    if dest is None or not os.path.lexists(dest):
        raise RestoreError(f"{os.path.basename(item.source)} is no longer at {dest}")
    if os.path.lexists(item.source):
        raise RestoreError(f"another file is now at {item.source}; the moved photo stays at "
                           f"{dest}")
    try:
        _move_file(dest, item.source)
    except OSError as exc:
        raise RestoreError(f"could not move {os.path.basename(item.source)} back "
                           f"({_reason(exc)}); it is at {dest}") from exc


def _catalog_back(library: Library, item: JournalItem, report: UndoReport) -> None:
    """After a file went back to its place: a catalog row that followed it moves back too;
    otherwise the file is to be indexed again."""
    cat = library.catalog
    if item.dest is not None and cat.file_state(item.dest) is not None:
        with cat.transaction():
            cat.move_file(item.dest, item.source)
    elif cat.file_state(item.source) is None:
        report.to_index.append(item.source)


# -- crash recovery -------------------------------------------------------------------------


def recover_interrupted(library: Library, *, trash: SystemTrash | None = None) -> int:
    """Settle what a killed run left half-way, from what is on disk: a file still at its place
    was not moved; one gone from there was. Returns how many journal entries were settled."""
    cat = library.catalog
    settled = 0
    for item in cat.journal_unsettled():
        batch = cat.journal_batch(item.batch_id)
        kind = batch.kind if batch is not None else TRASH
        at_source = os.path.lexists(item.source)
        if item.state == "restoring":
            cat.journal_set(item.id, "restored" if at_source else "done")
        elif at_source:
            cat.journal_set(item.id, "failed", error="interrupted before it was moved")
        elif kind == MOVE:
            if item.dest is not None and os.path.lexists(item.dest):
                cat.journal_set(item.id, "done")
            else:
                cat.journal_set(item.id, "failed",
                                error="interrupted; the file is at neither place")
        else:
            entry = (trash or SystemTrash()).locate(item.source, digest=item.digest,
                                                    size=item.size)
            cat.journal_set(item.id, "done",
                            dest=entry.location if entry is not None else None,
                            record=entry.record if entry is not None else None)
        settled += 1
    for batch in cat.journal_unfinished_batches():
        _follow(library, batch.id)
        settled += 1
    if settled:
        log.info("settled %d journal entries an interrupted run left", settled)
    return settled
