"""Background work for the GUI: indexing (and other library writes) on one thread, similarity
queries on another. Each worker is a QObject moved to its own QThread and opens its own Library
there (SQLite connections belong to the thread that made them); results come back as signals,
queued to the UI thread. torch/onnxruntime load on these threads, on first need only.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from simfinder.app.gallery import (
    LibrarySnapshot,
    forget_folder,
    library_snapshot,
    photos_at,
    photos_per_folder,
)
from simfinder.app.review import (
    remove_marked,
    review_groups,
    settle_interrupted_actions,
    undo_last_action,
    undoable_action,
)
from simfinder.app.review_session import JudgedPairs
from simfinder.app.usecases import (
    ForgetReport,
    IndexRun,
    forget_missing_photos,
    index_folders,
    similar_photos,
)
from simfinder.core.cleanup.actions import ActionReport, BatchSummary, UndoReport
from simfinder.core.cleanup.keeper import KeepPlan
from simfinder.core.matching.grouping import DuplicateGroup, judge_pairs
from simfinder.core.matching.pairchecks import PairChecker
from simfinder.core.matching.search import QueryError
from simfinder.core.matching.similarity import Strictness
from simfinder.core.photos.embed import Embedder
from simfinder.core.progress import CancelToken, Progress
from simfinder.core.store.catalog import ROW_ID, ROW_PATH, ErrorRecord, OfflineFolder, PhotoRow
from simfinder.core.store.library import Library, LibraryBusy
from simfinder.gui.gallery import PreparedPhotos, SortOrder
from simfinder.gui.words import tr

log = logging.getLogger(__name__)

EmbedderFactory = Callable[[], Embedder]


# -- library jobs (indexing thread) ---------------------------------------------------------


class JobKind(StrEnum):
    """What a library job does (on the indexing thread, one after another)."""

    LOAD = "load"  # read the library (and settle an action a killed session left)
    INDEX = "index"  # index folders, then compare the likely copies
    FORGET = "forget"  # remove a folder from the library
    FORGET_MISSING = "forget-missing"  # forget the photos of an offline folder
    TRASH = "trash"  # move the photos the groups do not keep to the trash
    MOVE = "move"  # ... or into a folder
    UNDO = "undo"  # put the last action's photos back


# The jobs that move the user's files.
ACTIONS = (JobKind.TRASH, JobKind.MOVE, JobKind.UNDO)


@dataclass(frozen=True, slots=True)
class _Job:
    kind: JobKind
    folders: tuple[str, ...] = ()
    remembered: bool = False  # index the library's remembered folders too
    order: SortOrder = SortOrder.DATE  # the gallery's order, to prepare its rows in
    cancel: CancelToken = field(default_factory=CancelToken)
    embedder: EmbedderFactory | None = None
    groups: tuple[DuplicateGroup, ...] = ()  # for "trash" and "move": the marked groups
    plan: KeepPlan | None = None  # their keeper plan (its reference folders are protected)
    target: str | None = None  # for "move": the folder


@dataclass(frozen=True, slots=True)
class LibraryUpdate:
    """The library as the views need it after a job, as a change since the last update
    (computed on the worker thread, so a 50,000-photo library costs the UI thread little)."""

    folders: list[str]
    errors: list[ErrorRecord]
    counts: dict[str, int]  # photos per folder
    photos: PreparedPhotos | None  # every photo, ready for the gallery: first update only
    changed: list[PhotoRow]  # new or changed since the last update
    removed: list[int]  # file ids gone since the last update
    undoable: BatchSummary | None = None  # what Edit > Undo would take back
    offline: list[OfflineFolder] = field(default_factory=list)  # folders kept while unseen
    # Photo path -> its companion files, for the photos that have any (all of them).
    companions: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    kind: JobKind
    update: LibraryUpdate
    run: IndexRun | None = None  # for "index": the indexing and the likely copies compared
    forgot: ForgetReport | None = None  # for "forget"
    forgot_missing: ForgetReport | None = None  # for "forget-missing"
    action: ActionReport | None = None  # for "trash" and "move"
    undo: UndoReport | None = None  # for "undo" (None: there was nothing to undo)


class IndexWorker(QObject):
    """Runs library jobs one after another on its thread."""

    progress = Signal(object)  # Progress
    photos_indexed = Signal(object)  # list[PhotoRecord], as soon as they are committed
    job_done = Signal(object)  # JobOutcome
    job_failed = Signal(object, str, object)  # JobKind, one line for the user, LibraryUpdate|None

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root
        self._library: Library | None = None
        self._sent: dict[int, PhotoRow] | None = None  # what the UI thread was told

    def _update(self, snapshot: LibrarySnapshot, order: SortOrder) -> LibraryUpdate:
        current = {row[ROW_ID]: row for row in snapshot.photos}
        counts = photos_per_folder((row[ROW_PATH] for row in snapshot.photos), snapshot.folders)
        undoable = undoable_action(self._lib())
        if self._sent is None:
            self._sent = current
            return LibraryUpdate(snapshot.folders, snapshot.errors, counts,
                                 PreparedPhotos(snapshot.photos, order), [], [], undoable,
                                 snapshot.offline, snapshot.companions)
        sent = self._sent
        removed = [fid for fid in sent if fid not in current]
        changed = [r for fid, r in current.items() if sent.get(fid) != r]
        self._sent = current
        return LibraryUpdate(snapshot.folders, snapshot.errors, counts, None, changed, removed,
                             undoable, snapshot.offline, snapshot.companions)

    def _lib(self) -> Library:
        if self._library is None:
            self._library = Library.open(self._root)
        return self._library

    @Slot(object)
    def run_job(self, job: _Job) -> None:
        try:
            outcome = self._run(job)
        except LibraryBusy as exc:
            self.job_failed.emit(job.kind, str(exc), self._update_or_none(job))
            return
        except Exception as exc:
            log.exception("library job %s failed", job.kind)
            self.job_failed.emit(job.kind, f"{type(exc).__name__}: {exc}",
                                 self._update_or_none(job))
            return
        self.job_done.emit(outcome)

    def _update_or_none(self, job: _Job) -> LibraryUpdate | None:
        try:
            return self._update(library_snapshot(self._lib()), job.order)
        except Exception:
            log.warning("cannot read the library after a failed job", exc_info=True)
            return None

    def _run(self, job: _Job) -> JobOutcome:
        run = {
            JobKind.LOAD: self._load,
            JobKind.INDEX: self._index,
            JobKind.FORGET: self._forget,
            JobKind.FORGET_MISSING: self._forget_missing,
            JobKind.TRASH: self._remove_marked,
            JobKind.MOVE: self._remove_marked,
            JobKind.UNDO: self._undo,
        }[job.kind]
        return run(job, self._lib())

    def _outcome(self, job: _Job, lib: Library, **reports: Any) -> JobOutcome:
        return JobOutcome(job.kind, self._update(library_snapshot(lib), job.order), **reports)

    def _load(self, job: _Job, lib: Library) -> JobOutcome:
        try:
            settle_interrupted_actions(lib)  # a move the last session was killed in
        except LibraryBusy:
            log.info("library busy: interrupted actions are settled another time")
        return self._outcome(job, lib)

    def _forget(self, job: _Job, lib: Library) -> JobOutcome:
        forgot = forget_folder(lib, job.folders[0])
        return self._outcome(job, lib, forgot=forgot)

    def _forget_missing(self, job: _Job, lib: Library) -> JobOutcome:
        gone = forget_missing_photos(lib, job.folders[0])
        return self._outcome(job, lib, forgot_missing=gone)

    def _remove_marked(self, job: _Job, lib: Library) -> JobOutcome:
        assert job.plan is not None
        action = remove_marked(
            lib, job.groups, plan=job.plan, progress=self.progress.emit,
            destination=Path(job.target) if job.kind == JobKind.MOVE and job.target else None)
        return self._outcome(job, lib, action=action)

    def _undo(self, job: _Job, lib: Library) -> JobOutcome:
        assert job.embedder is not None
        undo = undo_last_action(lib, job.embedder, progress=self.progress.emit)
        return self._outcome(job, lib, undo=undo)

    def _index(self, job: _Job, lib: Library) -> JobOutcome:
        assert job.embedder is not None

        def on_indexed(paths: list[str]) -> None:
            records = photos_at(lib, paths)
            if records:
                if self._sent is not None:
                    self._sent.update((r.file_id, r.row) for r in records)
                self.photos_indexed.emit(records)

        # Indexing, then comparing the likely copies (phase "comparing"): Stop and Pause
        # cancel either, and the next run resumes it.
        run = index_folders(
            lib,
            job.folders,
            job.embedder,
            remembered=job.remembered,
            progress=self.progress.emit,
            cancel=job.cancel,
            on_indexed=on_indexed,
        )
        return self._outcome(job, lib, run=run)

    @Slot()
    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None


class IndexController(QObject):
    """The UI thread's handle on the indexing thread: start, pause, resume, stop, forget.

    Pausing and stopping cancel the run; the engine is incremental, so the next run (Resume,
    Rescan or the next start of the app) picks up where this one stopped.
    """

    state_changed = Signal(str)  # "idle", "indexing", "pausing", "paused", "stopped"
    progress = Signal(object)  # Progress
    photos_indexed = Signal(object)  # list[PhotoRecord]
    library_updated = Signal(object)  # LibraryUpdate, after every job
    index_finished = Signal(object)  # IndexRun
    folder_forgotten = Signal(object)  # ForgetReport
    action_finished = Signal(object)  # ActionReport (trash or move)
    missing_forgotten = Signal(object)  # ForgetReport
    undo_finished = Signal(object)  # UndoReport, or None when there was nothing to undo
    failed = Signal(str)  # one line for the user

    _submit = Signal(object)

    def __init__(self, root: Path, embedder: EmbedderFactory,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.embedder = embedder
        self._thread = QThread(self)
        self._thread.setObjectName("simfinder-index")
        self._worker = IndexWorker(root)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run_job)
        # The SQLite connection is closed on its own thread, as the thread ends.
        self._thread.finished.connect(self._worker.close, Qt.ConnectionType.DirectConnection)
        self._worker.progress.connect(self.progress)
        self._worker.photos_indexed.connect(self.photos_indexed)
        self._worker.job_done.connect(self._on_done)
        self._worker.job_failed.connect(self._on_failed)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()
        self._queued: list[_Job] = []  # submitted, not finished (in order)
        self._state = "idle"
        self._after_cancel = "stopped"
        self.last_progress: Progress | None = None
        self.progress.connect(self._remember_progress)

    # -- state ------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def indexing(self) -> bool:
        return any(j.kind == JobKind.INDEX and not j.cancel.cancelled for j in self._queued)

    @property
    def busy(self) -> bool:
        return bool(self._queued)

    @property
    def acting(self) -> bool:
        """A move to the trash or a folder, or an Undo, is queued or running."""
        return any(j.kind in ACTIONS for j in self._queued)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def _remember_progress(self, progress: Progress) -> None:
        self.last_progress = progress

    # -- commands ---------------------------------------------------------------------------

    def load(self, order: SortOrder = SortOrder.DATE) -> None:
        """Read the library (the first update carries every photo, sorted in `order`)."""
        self._send(_Job(JobKind.LOAD, order=order))

    def index(self, folders: Sequence[str | Path] = (), *, remembered: bool = True) -> None:
        """Index `folders` and, with `remembered`, every folder of the library. A run already
        going on is stopped and this one takes over all its folders (nothing is lost: the
        engine resumes where the stopped run was)."""
        for job in self._queued:
            if job.kind == JobKind.INDEX and not job.cancel.cancelled:
                job.cancel.cancel()
                remembered = remembered or job.remembered
                folders = [*folders, *job.folders]
        self.last_progress = None
        self._send(_Job(JobKind.INDEX, tuple(str(f) for f in folders), remembered=remembered,
                        embedder=self.embedder))
        self._set_state("indexing")

    def pause(self) -> None:
        self._cancel_runs("paused")

    def stop(self) -> None:
        if self._state == "paused":
            self._set_state("stopped")  # nothing runs: only the word (and what Stop offers)
            return
        if self._state == "pausing":
            self._after_cancel = "stopped"
        self._cancel_runs("stopped")

    def resume(self) -> None:
        self.index()

    def forget(self, folder: str) -> None:
        """Remove a folder from the library. A run going on is stopped first (it holds the
        library) and carries on with the other folders afterwards."""
        self._between_runs(_Job(JobKind.FORGET, (folder,)),
                           keep=lambda f: not _is_within(f, folder))

    def forget_missing(self, folder: str) -> None:
        """The photos of an offline folder are really gone: take them out of the library."""
        self._between_runs(_Job(JobKind.FORGET_MISSING, (folder,)))

    def remove_marked(self, groups: Sequence[DuplicateGroup], plan: KeepPlan,
                      target: str | None = None) -> None:
        """Move the photos the groups do not keep to the trash, or into `target`. Indexing
        going on is stopped for it and carries on afterwards."""
        self._between_runs(_Job(JobKind.MOVE if target else JobKind.TRASH, groups=tuple(groups),
                                plan=plan, target=target))

    def undo(self) -> None:
        """Put the files of the last action back (and index them again)."""
        self._between_runs(_Job(JobKind.UNDO, embedder=self.embedder))

    def _between_runs(self, job: _Job, keep: Callable[[str], bool] = lambda f: True) -> None:
        running = [j for j in self._queued if j.kind == JobKind.INDEX and not j.cancel.cancelled]
        for run in running:
            run.cancel.cancel()
        self._send(job)
        if running:
            others = tuple(f for j in running for f in j.folders if keep(f))
            self._send(_Job(JobKind.INDEX, others, remembered=True, embedder=self.embedder))

    def _cancel_runs(self, then: str) -> None:
        cancelled = False
        for job in self._queued:
            if job.kind == JobKind.INDEX and not job.cancel.cancelled:
                job.cancel.cancel()
                cancelled = True
        if cancelled:
            self._after_cancel = then
            self._set_state("pausing")

    def _send(self, job: _Job) -> None:
        self._queued.append(job)
        self._submit.emit(job)

    def shutdown(self) -> None:
        """Stop the run and the thread, waiting for the batch in hand to be committed (a run
        checks its cancel token between batches, so this is bounded by one batch)."""
        for job in self._queued:
            job.cancel.cancel()
        self._thread.quit()
        self._thread.wait()

    # -- results ----------------------------------------------------------------------------

    def _finish_job(self, kind: JobKind) -> _Job | None:
        # Jobs run in the order they were sent: the one that finished is the oldest.
        if self._queued and self._queued[0].kind == kind:
            return self._queued.pop(0)
        log.warning("unexpected job result %s (queued: %s)", kind,
                    [j.kind for j in self._queued])
        return None

    @Slot(object)
    def _on_done(self, outcome: JobOutcome) -> None:
        job = self._finish_job(outcome.kind)
        if outcome.kind == JobKind.INDEX and outcome.run is not None:
            self.index_finished.emit(outcome.run)
        self.library_updated.emit(outcome.update)
        if outcome.kind == JobKind.FORGET and outcome.forgot is not None:
            self.folder_forgotten.emit(outcome.forgot)
        if outcome.kind == JobKind.FORGET_MISSING and outcome.forgot_missing is not None:
            self.missing_forgotten.emit(outcome.forgot_missing)
        if outcome.kind in (JobKind.TRASH, JobKind.MOVE) and outcome.action is not None:
            self.action_finished.emit(outcome.action)
        if outcome.kind == JobKind.UNDO:
            self.undo_finished.emit(outcome.undo)
        self._update_state(job)

    @Slot(object, str, object)
    def _on_failed(self, kind: JobKind, message: str, update: LibraryUpdate | None) -> None:
        job = self._finish_job(kind)
        if update is not None:
            self.library_updated.emit(update)
        self.failed.emit(message)
        self._update_state(job)

    def _update_state(self, job: _Job | None) -> None:
        if self.indexing:
            self._set_state("indexing")
        elif job is not None and job.kind == JobKind.INDEX:
            self._set_state(self._after_cancel if job.cancel.cancelled else "idle")
        elif self._state == "pausing" and not any(j.kind == JobKind.INDEX for j in self._queued):
            self._set_state(self._after_cancel)


def _is_within(path: str, folder: str) -> bool:
    path, folder = str(Path(path)), str(Path(folder))
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# -- the query and groups threads: the newest request only ----------------------------------


class _Latest:
    """The newest request id, shared with the worker so it skips superseded requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def next(self) -> int:
        with self._lock:
            self._value += 1
            return self._value

    @property
    def value(self) -> int:
        with self._lock:
            return self._value


class _NewestOnlyWorker(QObject):
    """Answers requests one at a time with a Library of its own thread; a request that a newer
    one has overtaken is skipped. Subclasses answer in `run` with `_open` and `done`/`failed`."""

    done = Signal(int, object)  # request id, the answer
    failed = Signal(int, str)  # request id, one line for the user

    def __init__(self, root: Path, latest: _Latest) -> None:
        super().__init__()
        self._root = root
        self._latest = latest
        self._library: Library | None = None
        self._generation = -1

    def _superseded(self, request_id: int) -> bool:
        return request_id != self._latest.value

    def _open(self, generation: int) -> Library:
        """The library, its vectors synced if it changed since the last request."""
        if self._library is None:
            self._library = Library.open(self._root)
        if generation != self._generation:
            self._library.sync_vectors()
            self._generation = generation
            self._library_changed()
        return self._library

    def _library_changed(self) -> None:
        """What the worker kept about the library is stale (nothing by default)."""

    @Slot()
    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None


class _NewestOnlyController(QObject):
    """Owns a worker's thread on the UI side and delivers only the newest request's answer:
    subclasses submit with `_next_request()` and turn answers into their signals."""

    _submit = Signal(object)

    def __init__(self, worker: _NewestOnlyWorker, latest: _Latest, thread_name: str,
                 parent: QObject | None) -> None:
        super().__init__(parent)
        self.generation = 0  # bumped whenever the library changed: the worker resyncs
        self.pending: int | None = None
        self._latest = latest
        self._thread = QThread(self)
        self._thread.setObjectName(thread_name)
        self._worker = worker
        worker.moveToThread(self._thread)
        self._submit.connect(worker.run)  # type: ignore[attr-defined]
        self._thread.finished.connect(worker.close, Qt.ConnectionType.DirectConnection)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        self._thread.finished.connect(worker.deleteLater)
        self._thread.start()

    def _next_request(self) -> int:
        self.pending = self._latest.next()
        return self.pending

    def library_changed(self) -> None:
        self.generation += 1

    def cancel(self) -> None:
        """Forget the pending request (its answer, if it comes, is dropped)."""
        self._latest.next()
        self.pending = None

    def shutdown(self) -> None:
        """Stop the thread after the request in hand."""
        self.cancel()
        self._thread.quit()
        self._thread.wait()

    def _answered(self, request_id: int, answer: object) -> None:
        raise NotImplementedError

    def _refused(self, request_id: int, message: str) -> None:
        raise NotImplementedError

    @Slot(int, object)
    def _on_done(self, request_id: int, answer: object) -> None:
        if request_id == self.pending:
            self.pending = None
            self._answered(request_id, answer)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self.pending:
            self.pending = None
            self._refused(request_id, message)


# -- similarity queries (query thread) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryRequest:
    query_id: int
    image: Path
    top: int
    generation: int
    embedder: EmbedderFactory


class QueryWorker(_NewestOnlyWorker):
    @Slot(object)
    def run(self, request: QueryRequest) -> None:
        if self._superseded(request.query_id):
            return  # a newer query is queued: don't spend time on this one
        try:
            library = self._open(request.generation)
            hits = similar_photos(library, request.image, request.embedder, top=request.top)
        except QueryError as exc:
            self.failed.emit(request.query_id, str(exc))
            return
        except Exception as exc:
            log.exception("similar search for %s failed", request.image)
            self.failed.emit(request.query_id, tr("The search failed: {error}").format(error=exc))
            sys.excepthook(*sys.exc_info())
            return
        self.done.emit(request.query_id, hits)


class QueryController(_NewestOnlyController):
    """Runs similar-photo searches off the UI thread; only the newest query's answer is
    delivered (`results` / `error` carry the query id the caller got from `search`)."""

    results = Signal(int, object)  # query id, list[SimilarHit]
    error = Signal(int, str)

    def __init__(self, root: Path, embedder: EmbedderFactory,
                 parent: QObject | None = None) -> None:
        latest = _Latest()
        super().__init__(QueryWorker(root, latest), latest, "simfinder-query", parent)
        self.embedder = embedder

    def search(self, image: Path, top: int = 30) -> int:
        query_id = self._next_request()
        self._submit.emit(QueryRequest(query_id, image, top, self.generation, self.embedder))
        return query_id

    def _answered(self, request_id: int, answer: object) -> None:
        self.results.emit(request_id, answer)

    def _refused(self, request_id: int, message: str) -> None:
        self.error.emit(request_id, message)


# -- duplicate groups (groups thread) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupsRequest:
    request_id: int
    strictness: Strictness
    plan: KeepPlan
    generation: int
    # The groups known so far: from the pairs verified already, none verified now (indexing
    # is comparing the likely copies beside: verifying them here too would double the work).
    provisional: bool = False


class GroupsWorker(_NewestOnlyWorker):
    def __init__(self, root: Path, latest: _Latest) -> None:
        super().__init__(root, latest)
        self._judged = JudgedPairs()  # a decision of the user only clusters them again

    def _library_changed(self) -> None:
        self._judged.library_changed()

    @Slot(object)
    def run(self, request: GroupsRequest) -> None:
        if self._superseded(request.request_id):
            return  # superseded (the strictness changed again meanwhile)
        try:
            library = self._open(request.generation)
            judged = (judge_pairs(library, request.strictness,
                                  PairChecker(library, stored_only=True))
                      if request.provisional else self._judged.at(library, request.strictness))
            groups = review_groups(library, request.strictness, request.plan, judged=judged)
        except Exception as exc:
            log.exception("finding duplicate groups failed")
            self.failed.emit(request.request_id,
                             tr("Could not find the duplicates: {error}").format(error=exc))
            return
        self.done.emit(request.request_id, (request.strictness, groups, request.provisional))


class GroupsController(_NewestOnlyController):
    """Finds duplicate groups off the UI thread (grouping a big library takes seconds); only
    the newest request's answer is delivered."""

    # Strictness, list[DuplicateGroup], provisional (the groups known so far: see find)
    results = Signal(object, object, bool)
    error = Signal(str)

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        latest = _Latest()
        super().__init__(GroupsWorker(root, latest), latest, "simfinder-groups", parent)

    def find(self, strictness: Strictness, plan: KeepPlan, *, provisional: bool = False) -> int:
        """Find the groups; `provisional`: only from the pairs verified already (quick, while
        indexing verifies the others)."""
        request_id = self._next_request()
        self._submit.emit(GroupsRequest(request_id, strictness, plan, self.generation,
                                        provisional))
        return request_id

    def _answered(self, request_id: int, answer: object) -> None:
        strictness, groups, provisional = cast(tuple[Strictness, list[DuplicateGroup], bool],
                                               answer)
        self.results.emit(strictness, groups, provisional)

    def _refused(self, request_id: int, message: str) -> None:
        self.error.emit(message)
