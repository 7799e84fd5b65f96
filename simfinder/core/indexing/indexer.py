"""The indexing pipeline: scan -> read + digest -> decode -> hashes + thumbnail -> CNN -> store.

Incremental (rclip's idea): a file whose path, size and mtime match the catalog is not opened.
A new or changed file is read once to compute its digest; if that content is already known
(a move, a rename, a byte copy) the file just points at it and nothing is decoded or embedded.
Decoding runs in a thread pool while the CNN embeds batches on this thread; every batch is
committed in one transaction, so a kill at any moment loses at most the batch in flight, and the
next run resumes from what was committed. Each batch's new photos are searched in the vector
index once they are in it, and their nearest photos stored with them (`neighbours`), so that
grouping does not search every photo again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from simfinder.core.indexing.neighbours import keep_forward_lists
from simfinder.core.indexing.offline import find_offline, is_offline, probe_root
from simfinder.core.indexing.scan import ScannedFile, scan_folders
from simfinder.core.photos.companions import pairs_raw
from simfinder.core.photos.decode import THUMB_SIDE, DecodedPhoto, DecodeFailure, decode_photo
from simfinder.core.photos.digest import file_digest
from simfinder.core.photos.embed import Embedder
from simfinder.core.photos.hashes import (
    PerceptualHashes,
    compute_hashes,
    compute_transform_hashes,
    to_sqlite_int,
)
from simfinder.core.photos.thumbs import encode_thumbnail
from simfinder.core.progress import Cancelled, CancelToken, ProgressCallback, ProgressMeter
from simfinder.core.store.catalog import ContentFeatures, ErrorRecord, OfflineFolder, as_stored
from simfinder.core.store.library import Library, LibraryWriteError

log = logging.getLogger(__name__)

_CHECKPOINT_SECONDS = 30.0
BATCH_SIZE = 32  # photos embedded and committed together


# Failures that may go away with the file unchanged (permissions fixed, drive back, memory
# free): retried on every run, unlike corrupt or non-image files, which wait for a change.
_TRANSIENT_PREFIXES = ("permission denied", "file vanished", "cannot read file", "read error",
                       "out of memory")


def is_transient(reason: str) -> bool:
    return reason.startswith(_TRANSIENT_PREFIXES)


@dataclass(slots=True)
class IndexReport:
    scanned: int = 0
    indexed: int = 0  # decoded and embedded in this run
    linked: int = 0  # known content under a new path (moved, renamed, byte copy): no decode
    unchanged: int = 0
    removed: int = 0  # gone from disk since the last run
    # Folders whose photos vanished because they cannot be seen (core.indexing.offline): kept.
    offline: list[OfflineFolder] = field(default_factory=list)
    failed: list[ErrorRecord] = field(default_factory=list)  # new failures in this run
    failed_before: int = 0  # unchanged files that failed in an earlier run
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class _Known:
    file: ScannedFile
    digest: bytes
    content_id: int


@dataclass(frozen=True, slots=True)
class _Decoded:
    file: ScannedFile
    digest: bytes
    photo: DecodedPhoto
    hashes: PerceptualHashes
    turned: list[PerceptualHashes]  # under hashes.TRANSFORMS: finds flipped and turned copies
    thumbnail: bytes


@dataclass(frozen=True, slots=True)
class _Failed:
    file: ScannedFile
    reason: str


_Prepared = _Known | _Decoded | _Failed

# Indexed photos are announced to listeners (the GUI gallery) with their paths.
IndexedCallback = Callable[[list[str]], None]


class Indexer:
    def __init__(
        self,
        library: Library,
        embedder_factory: Callable[[], Embedder],
        *,
        workers: int = 2,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.library = library
        self._embedder_factory = embedder_factory
        self._embedder: Embedder | None = None
        self._arrived: set[int] = set()  # contents stored under a new path in this run
        self.workers = max(1, workers)
        self.batch_size = batch_size

    def run(
        self,
        roots: Sequence[Path],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        on_indexed: IndexedCallback | None = None,
        forget_missing: bool = False,
    ) -> IndexReport:
        """Bring the catalog in step with the photos under `roots`. Photos of a folder that is
        offline (`offline`) are kept, unless `forget_missing`: the user says they are gone
        (a folder that cannot be read at all still never counts as deleted)."""
        started = time.monotonic()
        cancel = cancel or CancelToken()
        report = IndexReport()
        lib = self.library
        self._arrived = set()
        roots = [Path(r).expanduser().resolve() for r in roots]
        if lib.remove_stale_temp_files():
            log.info("removed temp files left by an interrupted run")
        for root in roots:
            if root.is_dir():
                lib.catalog.add_folder(str(root))

        scanning = ProgressMeter(progress, "scanning", 0)
        try:
            scan = scan_folders(roots, exclude=[lib.thumbs.root], cancel=cancel,
                                pair_raw=pairs_raw(lib.catalog.settings()))
        except Cancelled:
            report.cancelled = True
            report.elapsed = time.monotonic() - started
            return report
        scanning.advance(len(scan.files), force=True)
        report.scanned = len(scan.files)
        report.unreadable_folders = scan.unreadable
        lib.catalog.set_companions(scan.listed, scan.companions)

        known_files: dict[str, tuple[int, int]] = {}
        known_contents: dict[str, dict[str, int]] = {}  # per folder root: path -> content
        known_errors: dict[str, tuple[int, int]] = {}
        # Photos whose features came from another model are redone even if unchanged.
        stale_contents = lib.catalog.content_ids_not_of(lib.model_name)
        stale_files: set[str] = set()
        retry: set[str] = set()
        for root in roots:
            if not root.is_dir():
                # A single photo given as a root.
                single = lib.catalog.file_state(str(root))
                if single is not None:
                    known_files[str(root)] = (single.size, single.mtime_ns)
                continue
            under = known_contents.setdefault(str(root), {})
            for path, state in lib.catalog.file_states_under(str(root)).items():
                known_files[path] = (state.size, state.mtime_ns)
                under[path] = state.content_id
                if state.content_id in stale_contents:
                    stale_files.add(path)
            for path, err in lib.catalog.errors_under(str(root)).items():
                known_errors[path] = (err.size, err.mtime_ns)
                if is_transient(err.reason):
                    retry.add(path)

        todo: list[ScannedFile] = []
        for f in scan.files:
            stamp = (f.size, f.mtime_ns)
            if known_files.get(f.path) == stamp and f.path not in stale_files:
                report.unchanged += 1
            elif known_errors.get(f.path) == stamp and f.path not in retry:
                report.failed_before += 1
            else:
                todo.append(f)

        try:
            try:
                self._process(todo, report, progress, cancel, on_indexed)
            except Cancelled:
                report.cancelled = True
            if not report.cancelled:
                self._forget_vanished(roots, scan.files, scan.unreadable, known_files,
                                      known_errors, known_contents, report,
                                      forget_missing=forget_missing)
            lib.save_vectors()
        except (OSError, sqlite3.Error) as exc:
            # Photo files are only read in the workers, whose errors become per-file records:
            # what reaches here is the library's own storage failing. What was committed stays.
            raise LibraryWriteError.from_exception(lib.root, exc) from exc
        report.elapsed = time.monotonic() - started
        return report

    # -- the pipeline -----------------------------------------------------------------------

    def _process(
        self,
        todo: list[ScannedFile],
        report: IndexReport,
        progress: ProgressCallback | None,
        cancel: CancelToken,
        on_indexed: IndexedCallback | None,
    ) -> None:
        lib = self.library
        known = lib.catalog.content_ids_by_digest(lib.model_name)
        meter = ProgressMeter(progress, "indexing", len(todo))
        pending: list[_Decoded] = []
        last_checkpoint = time.monotonic()
        max_in_flight = self.batch_size + 2 * self.workers

        def prepare(f: ScannedFile) -> _Prepared:
            return _prepare(f, known)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="decode") as pool:
            queue = iter(todo)
            in_flight: set[Future[_Prepared]] = set()
            exhausted = False
            try:
                while True:
                    while not exhausted and len(in_flight) < max_in_flight:
                        if cancel.cancelled:
                            exhausted = True
                            break
                        nxt = next(queue, None)
                        if nxt is None:
                            exhausted = True
                            break
                        in_flight.add(pool.submit(prepare, nxt))
                    if not in_flight:
                        break
                    done, in_flight = _wait_some(in_flight)
                    simple: list[_Known | _Failed] = []
                    for fut in done:
                        item = fut.result()
                        if isinstance(item, _Decoded):
                            pending.append(item)
                        else:
                            simple.append(item)
                        meter.advance(current=item.file.path)
                    if simple:
                        self._store_simple(simple, report, on_indexed)
                    if len(pending) >= self.batch_size or (exhausted and not in_flight):
                        self._store_batch(pending, known, report, on_indexed)
                        pending = []
                    if time.monotonic() - last_checkpoint > _CHECKPOINT_SECONDS:
                        lib.save_vectors()
                        last_checkpoint = time.monotonic()
            finally:
                for fut in in_flight:
                    fut.cancel()
            if pending:
                self._store_batch(pending, known, report, on_indexed)
        meter.advance(0, force=True)
        cancel.raise_if_cancelled()

    def _store_simple(
        self,
        items: list[_Known | _Failed],
        report: IndexReport,
        on_indexed: IndexedCallback | None,
    ) -> None:
        cat = self.library.catalog
        linked: list[str] = []
        with cat.transaction():
            for item in items:
                f = item.file
                if isinstance(item, _Known):
                    cat.put_file(f.path, f.size, f.mtime_ns, item.content_id)
                    self._arrived.add(item.content_id)
                    linked.append(f.path)
                else:
                    cat.put_error(f.path, f.size, f.mtime_ns, item.reason)
                    report.failed.append(ErrorRecord(f.path, item.reason, f.size, f.mtime_ns))
                    log.info("cannot index %s: %s", f.path, item.reason)
        report.linked += len(linked)
        if linked and on_indexed is not None:
            on_indexed(linked)

    def _store_batch(
        self,
        batch: list[_Decoded],
        known: dict[bytes, int],
        report: IndexReport,
        on_indexed: IndexedCallback | None,
    ) -> None:
        if not batch:
            return
        lib = self.library
        # Byte copies prepared side by side: embed each content once, link the rest to it.
        unique: dict[bytes, _Decoded] = {}
        for item in batch:
            if item.digest not in known:
                unique.setdefault(item.digest, item)
        firsts = list(unique.values())
        vectors = as_stored(
            self._get_embedder().embed([item.photo.image for item in firsts])
            if firsts
            else np.empty((0, lib.dim), dtype=np.float32)
        )
        # Thumbnails first: a crash before the commit leaves an orphan thumbnail (cleaned by
        # `check --repair`), never a catalog row without its thumbnail.
        for item in firsts:
            lib.thumbs.put(item.digest, item.thumbnail)
        try:
            self._commit_batch(batch, firsts, vectors, known)
        except BaseException:
            # The vectors went into the index before the commit failed: forget the in-memory
            # index, so that its next use reloads it in step with the catalog.
            lib.drop_vectors()
            raise
        report.indexed += len(firsts)
        report.linked += len(batch) - len(firsts)
        if on_indexed is not None:
            on_indexed([item.file.path for item in batch])

    def _commit_batch(
        self,
        batch: list[_Decoded],
        firsts: list[_Decoded],
        vectors: npt.NDArray[np.float32],
        known: dict[bytes, int],
    ) -> None:
        """Store a batch's contents, files and embeddings in one transaction, with the forward
        neighbour lists of the new vectors (searched once they are in the index): a kill
        leaves all of them or none."""
        lib = self.library
        new_ids: list[int] = []
        with lib.catalog.transaction():
            for item, vec in zip(firsts, vectors, strict=True):
                p = item.photo
                content_id = lib.catalog.put_content(
                    ContentFeatures(
                        digest=item.digest,
                        width=p.width,
                        height=p.height,
                        format=p.format,
                        taken_at=p.taken_at,
                        camera=p.camera,
                        phash=to_sqlite_int(item.hashes.phash),
                        dhash=to_sqlite_int(item.hashes.dhash),
                        model=lib.model_name,
                        embedding=vec,
                    )
                )
                lib.catalog.put_turned_hashes(content_id, [h.phash for h in item.turned],
                                              [h.dhash for h in item.turned])
                known[item.digest] = content_id
                new_ids.append(content_id)
            for item in batch:
                f = item.file
                lib.catalog.put_file(f.path, f.size, f.mtime_ns, known[item.digest])
                self._arrived.add(known[item.digest])
            labels = np.asarray(new_ids, dtype=np.int64)
            lib.vectors.add(labels, vectors)
            keep_forward_lists(lib, labels, vectors)

    def _get_embedder(self) -> Embedder:
        # Loaded on first need: a re-scan that finds nothing new never loads the CNN.
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    # -- deletions --------------------------------------------------------------------------

    def _forget_vanished(
        self,
        roots: Sequence[Path],
        seen: list[ScannedFile],
        unreadable: list[tuple[str, str]],
        known_files: dict[str, tuple[int, int]],
        known_errors: dict[str, tuple[int, int]],
        known_contents: dict[str, dict[str, int]],
        report: IndexReport,
        *,
        forget_missing: bool,
    ) -> None:
        lib = self.library
        seen_paths = {f.path for f in seen}
        report.offline = self._find_offline(roots, seen_paths, unreadable, known_contents,
                                            forget_missing=forget_missing)
        kept = [o.path for o in report.offline]
        # A folder we could not list may still hold its photos (unmounted drive, permissions):
        # never take its files as deleted; nor those of an offline folder.
        blind = tuple(p.rstrip(os.sep) + os.sep for p, _ in unreadable)
        gone = [
            p
            for p in list(known_files) + list(known_errors)
            if p not in seen_paths and not (p + os.sep).startswith(blind)
            and not is_offline(p, kept)
        ]
        lib.forget_files(gone)
        report.removed = sum(1 for p in gone if p in known_files)

    def _find_offline(
        self,
        roots: Sequence[Path],
        seen_paths: set[str],
        unreadable: list[tuple[str, str]],
        known_contents: dict[str, dict[str, int]],
        *,
        forget_missing: bool,
    ) -> list[OfflineFolder]:
        """Decide, and record in the catalog, which folders below `roots` are offline; record
        the device of each root seen online."""
        cat = self.library.catalog
        remembered = set(cat.folders())
        before = [o.path for o in cat.offline_folders()]
        cannot_read = dict(unreadable)
        found: list[OfflineFolder] = []
        for root_path in roots:
            root = str(root_path)
            if root not in remembered:
                continue  # a single photo given as a root
            if root in cannot_read:
                # Missing or unreadable: nothing below it is touched (see _forget_vanished);
                # say why it is offline.
                count = len(cat.file_states_under(root))
                now: list[OfflineFolder] = (
                    [OfflineFolder(root, cannot_read[root], count, time.time())] if count else []
                )
                cat.set_offline_folders(root, now)
                found.extend(now)
                continue
            state = probe_root(root)
            if state is None:
                continue
            offline: list[OfflineFolder] = []
            if not forget_missing:
                prefix = root.rstrip(os.sep) + os.sep
                offline = find_offline(
                    root, known_contents.get(root, {}),
                    (p for p in seen_paths if p.startswith(prefix)), self._arrived, state,
                    cat.folder_device(root),
                    was_offline=[p for p in before if p == root or p.startswith(prefix)],
                )
            for o in offline:
                log.warning("folder %s is offline (%s): its %d photos are kept", o.path,
                            o.reason, o.photos)
            if not any(o.path == root for o in offline):
                cat.set_folder_device(root, state.device)
            cat.set_offline_folders(root, offline)
            found.extend(offline)
        return found


def _wait_some(
    futures: set[Future[_Prepared]],
) -> tuple[set[Future[_Prepared]], set[Future[_Prepared]]]:
    done, not_done = wait(futures, return_when=FIRST_COMPLETED)
    return set(done), set(not_done)


def _prepare(f: ScannedFile, known: dict[bytes, int]) -> _Prepared:
    """Runs in a worker thread. Never raises for a bad file: it becomes a _Failed."""
    try:
        digest = file_digest(f.path)
    except FileNotFoundError:
        return _Failed(f, "file vanished")
    except PermissionError:
        return _Failed(f, "permission denied")
    except OSError as exc:
        return _Failed(f, f"cannot read file: {exc.strerror or exc}")
    content_id = known.get(digest)
    if content_id is not None:
        return _Known(f, digest, content_id)
    decoded = decode_photo(Path(f.path), max_side=THUMB_SIDE)
    if isinstance(decoded, DecodeFailure):
        return _Failed(f, decoded.reason)
    try:
        hashes = compute_hashes(decoded.image)
        turned = compute_transform_hashes(decoded.image)
        thumbnail = encode_thumbnail(decoded.image)
    except (OSError, ValueError, MemoryError) as exc:
        return _Failed(f, f"cannot process image: {exc}")
    return _Decoded(f, digest, decoded, hashes, turned, thumbnail)
