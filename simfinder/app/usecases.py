"""The use cases the GUI and the command line share: one place that wires the engine together."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from simfinder.app.review import why_each_kept
from simfinder.config import model_cache_dir, resolve_library_dir
from simfinder.core.cleanup.keeper import DEFAULT_PLAN, KeepPlan
from simfinder.core.indexing.indexer import IndexedCallback, Indexer, IndexReport
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.matching.pending_checks import ComparisonReport, compare_likely_copies
from simfinder.core.matching.search import SimilarHit, find_similar
from simfinder.core.photos.embed import Embedder
from simfinder.core.photos.thumbs import ThumbnailCache
from simfinder.core.progress import CancelToken, ProgressCallback
from simfinder.core.store import layout
from simfinder.core.store.catalog import Catalog, ErrorRecord, OfflineFolder
from simfinder.core.store.layout import CATALOG_FILE
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)


def open_library(library_dir: str | os.PathLike[str] | None = None) -> Library:
    """The library named on the command line, by SIMFINDER_LIBRARY, or the default one."""
    return Library.open(resolve_library_dir(library_dir))


def catalog_file(library_dir: str | os.PathLike[str]) -> Path:
    """The library's catalog file: for connections of their own (the review's recorder)."""
    return layout.catalog_file(Path(library_dir))


def open_catalog(library_dir: str | os.PathLike[str]) -> Catalog:
    """A connection of its own to the library's catalog, for a `with` block (it closes it)."""
    return Catalog(layout.catalog_file(Path(library_dir)))


def library_thumbnails(library_dir: str | os.PathLike[str]) -> ThumbnailCache:
    """The library's thumbnail cache, for views that read it while another thread indexes."""
    return layout.thumbnail_cache(Path(library_dir))


class EmbedderProvider:
    """Loads the CNN on first use only (torch/onnxruntime imports are slow), then reuses it."""

    def __init__(self, device: str = "auto") -> None:
        self.device = device
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                from simfinder.core.photos.embed import load_embedder

                log.info("loading the CNN (%s)", self.device)
                self._embedder = load_embedder(model_cache_dir(), device=self.device)
            return self._embedder


@dataclass(frozen=True, slots=True)
class IndexRun:
    """What `index_folders` did: the indexing, then the comparison of likely copies (None
    when indexing was cancelled: the next run does both)."""

    index: IndexReport
    comparison: ComparisonReport | None = None

    @property
    def cancelled(self) -> bool:
        return self.index.cancelled or (self.comparison is not None
                                        and self.comparison.cancelled)


def folders_to_index(library: Library, folders: Sequence[str | os.PathLike[str]], *,
                     remembered: bool = False) -> list[Path]:
    """The folders a run indexes: those given (resolved, each once) and, with `remembered`,
    every folder the library has. The given folders are remembered at once, even if the run
    cannot go on (another process is writing the library, say)."""
    given = [Path(f).expanduser().resolve() for f in folders]
    for folder in given:
        if folder.is_dir():
            library.catalog.add_folder(str(folder))
    wanted = [*given, *(Path(f) for f in library.catalog.folders() if remembered)]
    return list(dict.fromkeys(wanted))


def index_folders(
    library: Library,
    folders: Sequence[str | os.PathLike[str]],
    embedder: Callable[[], Embedder],
    *,
    remembered: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_indexed: IndexedCallback | None = None,
    forget_missing: bool = False,
) -> IndexRun:
    """Index (or re-index) folders (with `remembered`, every folder of the library too), then
    compare the likely copies among the photos (what finding duplicates would otherwise do
    while the user waits; phase "comparing"); holds the library's writer lock while it runs.
    `cancel` stops either, and the next run resumes. `forget_missing`: photos gone from a
    folder leave even if it looks offline."""
    roots = folders_to_index(library, folders, remembered=remembered)
    if cancel is not None and cancel.cancelled:
        return IndexRun(IndexReport(cancelled=True))
    with library.writing():
        report = Indexer(library, embedder).run(
            roots, progress=progress, cancel=cancel, on_indexed=on_indexed,
            forget_missing=forget_missing,
        )
        if report.cancelled:
            return IndexRun(report)
        return IndexRun(report, compare_likely_copies(library, progress=progress,
                                                      cancel=cancel))


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What forgetting a folder, or the missing photos below a path, took out of the library."""

    folder: str
    photos: int  # files forgotten
    contents: int  # distinct contents no longer in the library (vectors, thumbnails dropped)


def forget_missing_photos(library: Library, path: str | os.PathLike[str]) -> ForgetReport:
    """The user says the photos at or below `path` that cannot be found are really gone (an
    offline folder's, say): they leave the library, with their thumbnails and vectors, and the
    folders there are no longer offline. Photos that are on disk stay; the photos themselves
    are never touched. Holds the library's writer lock."""
    root = os.path.abspath(os.path.expanduser(os.fspath(path))).rstrip(os.sep) or os.sep
    with library.writing():
        cat = library.catalog
        files = set(cat.file_states_under(root))
        if cat.file_state(root) is not None:
            files.add(root)
        gone = [p for p in [*files, *cat.errors_under(root)] if not os.path.lexists(p)]
        orphans = library.forget_files(gone)
        cat.clear_offline(root)
        library.save_vectors()
    photos = sum(1 for p in gone if p in files)
    log.info("forgot %d missing photos at %s", len(gone), root)
    return ForgetReport(root, photos, len(orphans))


def groups_as_json(groups: Sequence[DuplicateGroup],
                   plan: KeepPlan = DEFAULT_PLAN) -> dict[str, Any]:
    """The `duplicates --json` document of the CLI contract, plus the user's decisions:
    `decided` (the group is settled by a decision: listed with `--all` only), `decision` (the
    decision covering the group, or null) and `new` (the paths a group that came back has
    gained since its decision), the group's `confidence` (0..1, as the CSV has it); each file's
    `format`, `taken_at` (capture date, or null) and `keep_reason`, in plain words why it is
    kept (by `plan`'s rules, a reference folder or a decision; null for a file not kept), and
    its `companions`, the paths of its companion files (core.photos.companions), which go where it
    goes."""
    reasons = [why_each_kept(g, plan) for g in groups]
    return {
        "groups": [
            {
                "kind": g.kind,
                "confidence": round(g.confidence, 4),
                "decided": g.decided,
                "decision": None if g.decision is None else {
                    "id": g.decision.id,
                    "kind": g.decision.kind,
                    "made_at": datetime.fromtimestamp(g.decision.made_at)
                    .isoformat(timespec="seconds"),
                },
                "new": [p.path for p in g.photos if p.file_id in g.new],
                "files": [
                    {
                        "path": p.path,
                        "width": p.width,
                        "height": p.height,
                        "bytes": p.size,
                        "format": p.format,
                        "taken_at": p.taken_at or None,
                        "keep": p.file_id in g.keep,
                        "keep_reason": why.get(p.file_id),
                        "companions": g.companions.get(p.path, []),
                    }
                    for p in g.photos
                ],
            }
            for g, why in zip(groups, reasons, strict=True)
        ]
    }


def similar_photos(
    library: Library, image: Path, embedder: Callable[[], Embedder], *, top: int = 20
) -> list[SimilarHit]:
    return find_similar(library, image, embedder, top=top)


def similar_as_json(query: Path, hits: Sequence[SimilarHit]) -> dict[str, Any]:
    """The `similar --json` document of the CLI contract, plus the finer `match` word and the
    `evidence` behind it (similarity.explain)."""
    return {
        "query": str(query.expanduser().resolve()),
        "results": [
            {"path": h.photo.path, "score": h.score, "kind": h.kind, "match": h.match,
             "evidence": h.explanation()}
            for h in hits
        ],
    }


@dataclass(frozen=True, slots=True)
class LibraryStatus:
    library: str
    folders: list[str]
    photos: int  # indexed files
    distinct: int  # distinct contents
    vectors: int
    errors: list[ErrorRecord]
    offline: list[OfflineFolder]  # folders whose photos are kept while they cannot be seen
    models: dict[str, int]
    catalog_bytes: int
    thumbnail_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "library": self.library,
            "folders": self.folders,
            "photos": self.photos,
            "distinct_photos": self.distinct,
            "vectors": self.vectors,
            "errors": [{"path": e.path, "reason": e.reason} for e in self.errors],
            "offline": [
                {"path": o.path, "reason": o.reason, "photos": o.photos,
                 "since": datetime.fromtimestamp(o.since).isoformat(timespec="seconds")}
                for o in self.offline
            ],
            "models": self.models,
            "catalog_bytes": self.catalog_bytes,
            "thumbnail_bytes": self.thumbnail_bytes,
        }


def library_status(library: Library) -> LibraryStatus:
    cat = library.catalog
    catalog_bytes = sum(
        f.stat().st_size
        for f in library.root.glob(CATALOG_FILE + "*")
        if f.is_file()
    )
    return LibraryStatus(
        library=str(library.root),
        folders=cat.folders(),
        photos=cat.file_count(),
        distinct=cat.content_count(),
        vectors=len(library.vectors),
        errors=cat.errors(),
        offline=cat.offline_folders(),
        models=cat.models(),
        catalog_bytes=catalog_bytes,
        thumbnail_bytes=library.thumbs.size_bytes(),
    )
