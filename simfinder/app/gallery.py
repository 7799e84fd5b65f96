"""Use cases the gallery (GUI) needs on top of indexing and search: forgetting a folder, looking up
freshly indexed photos, keeping a long-lived reader's vector index in step, wording matches."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simfinder.app.usecases import EmbedderProvider, ForgetReport
from simfinder.config import model_cache_dir
from simfinder.core.matching.search import SIMILAR_SHOT, SimilarHit
from simfinder.core.matching.similarity import Strictness, is_near_duplicate
from simfinder.core.photos.devices import AUTO, ONNX_CPU_DEVICES
from simfinder.core.photos.embed import Embedder
from simfinder.core.store.catalog import ErrorRecord, OfflineFolder, PhotoRecord, PhotoRow
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)


def _is_under(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)


def forget_folder(library: Library, folder: str | os.PathLike[str]) -> ForgetReport:
    """Remove a folder from the library: its files leave the catalog, contents nothing else
    points at leave the vector index and the thumbnail cache. The photos on disk are never
    touched. Files that another remembered folder still covers (nested folders) stay.

    Holds the library's writer lock (raises LibraryBusy while an indexer runs)."""
    root = str(Path(folder).expanduser()).rstrip(os.sep) or os.sep
    with library.writing():
        cat = library.catalog
        others = [f for f in cat.folders() if f != root]

        def still_covered(path: str) -> bool:
            return any(_is_under(path, other) for other in others)

        files = [p for p in cat.file_states_under(root) if not still_covered(p)]
        errors = [p for p in cat.errors_under(root) if not still_covered(p)]
        orphans = library.forget_files(files + errors)
        cat.remove_folder(root)
        if not any(_is_under(root, other) for other in others):
            cat.clear_offline(root)
        library.save_vectors()
    log.info("forgot folder %s: %d photos, %d contents", root, len(files), len(orphans))
    return ForgetReport(root, len(files), len(orphans))


def photos_at(library: Library, paths: Iterable[str]) -> list[PhotoRecord]:
    """The catalog records of indexed paths (paths not in the catalog are left out)."""
    out: list[PhotoRecord] = []
    for path in paths:
        record = library.catalog.photo(path)
        if record is not None:
            out.append(record)
    return out


@dataclass(frozen=True, slots=True)
class LibrarySnapshot:
    """What a view shows of a library at one moment."""

    photos: list[PhotoRow]  # rows, not records: a whole library is held (see PhotoRow)
    folders: list[str]
    errors: list[ErrorRecord]
    offline: list[OfflineFolder]  # folders whose photos are kept while they cannot be seen
    # Photo path -> its companion files (core.photos.companions), for the photos that have any.
    companions: dict[str, list[str]] = field(default_factory=dict)


def library_snapshot(library: Library) -> LibrarySnapshot:
    cat = library.catalog
    return LibrarySnapshot(cat.photo_rows(), cat.folders(), cat.errors(), cat.offline_folders(),
                           cat.all_companions())


def folder_of(path: str, folders: Sequence[str]) -> str | None:
    """The (innermost) remembered folder that holds `path`."""
    best: str | None = None
    for folder in folders:
        if _is_under(path, folder) and (best is None or len(folder) > len(best)):
            best = folder
    return best


def photos_per_folder(paths: Iterable[str], folders: Sequence[str]) -> dict[str, int]:
    """How many of the photos at `paths` each folder holds (a photo counts for its innermost
    folder)."""
    counts = dict.fromkeys(folders, 0)
    ordered = sorted(folders, key=len, reverse=True)
    for path in paths:
        for folder in ordered:
            if _is_under(path, folder):
                counts[folder] += 1
                break
    return counts


def subfolder_counts(paths: Iterable[str], folders: Sequence[str]) -> dict[str, int]:
    """The subfolders of the library's folders that hold photos, each with how many it holds
    with its own subfolders (a subfolder that is a library folder itself is not one: it is
    listed as a folder of its own, its photos counted there)."""
    per_directory: dict[str, int] = {}
    for path in paths:
        directory = os.path.dirname(path)
        per_directory[directory] = per_directory.get(directory, 0) + 1
    out: dict[str, int] = {}
    for directory, count in per_directory.items():
        root = folder_of(directory, folders)
        while root is not None and directory != root.rstrip(os.sep):
            out[directory] = out.get(directory, 0) + count
            directory = os.path.dirname(directory)
    return out


# From this score on a neighbour is "much alike": the Similar panel draws its divider where the
# hits fall below it, and lists the most alike photos either way. On the retrieval development
# set (bench/retrieval_set.py) 89% of the pairs of one place, object or variety reach it (their
# likeness to the expanded query); photos of another variety of the same fruit reach it too,
# which no fixed score can tell apart: hence a divider, not a cut.
SIMILAR_SCORE_FLOOR = 0.5


def much_alike(hit: SimilarHit) -> bool:
    """A duplicate, another shot of the scene, or a similar photo scoring at least the floor."""
    return hit.match != "similar" or hit.score >= SIMILAR_SCORE_FLOOR


def much_alike_count(hits: Sequence[SimilarHit]) -> int:
    """How many of `hits` (best first) come before the first that is not much alike: where the
    Similar panel draws its divider."""
    for i, hit in enumerate(hits):
        if not much_alike(hit):
            return i
    return len(hits)


def alike_percent(score: float, exact: bool) -> int:
    """How alike, in whole percent for people, rounded down: 100 only for exact copies (the
    same bytes). A near-duplicate is the picture in another file (resized, re-encoded,
    converted, edited): however close, "100% alike" beside an exact copy would say the two are
    the same thing."""
    return 100 if exact else max(0, min(99, int(score * 100)))


KIND_HELP = ("Exact copies are the same file twice (the same bytes). Near-duplicates are the "
             "same picture in other files: resized, re-encoded, converted or edited; the "
             "percentage says how close the closest-knit pair of the group is.")


def match_word(hit: SimilarHit, strictness: Strictness = Strictness.NORMAL) -> str:
    """"duplicate" (same bytes), "near-duplicate" (by the user's strictness), "similar shot"
    (another exposure or moment of the scene) or "similar"."""
    if hit.match == "exact" or hit.evidence is None:
        return "duplicate"
    if hit.match == SIMILAR_SHOT:
        return SIMILAR_SHOT
    if is_near_duplicate(hit.evidence, strictness):
        return "near-duplicate"
    return "similar"


# -- loading the CNN without stalling a GUI -------------------------------------------------

_EXPORT_CODE = (
    "from simfinder.config import model_cache_dir\n"
    "from simfinder.core.photos.embed import ensure_onnx\n"
    "ensure_onnx(model_cache_dir())\n"
)


def export_model_out_of_process(device: str, timeout: float = 900.0) -> bool:
    """Make the cached ONNX file of the CNN in a child process, if the CPU backend will need it
    and it is missing (the first run on a machine). The export imports torch and runs C code
    that holds the GIL for long stretches: in-process, a GUI's event loop would stall for
    hundreds of milliseconds. Returns whether the file is there; on False the in-process
    export remains the fallback."""
    if device not in (AUTO, *ONNX_CPU_DEVICES):
        return False
    from simfinder.core.photos.embed import bundled_onnx_path, onnx_cache_path

    if bundled_onnx_path().is_file():  # the installed app carries its model
        return True
    if getattr(sys, "frozen", False):  # no torch to export with: loading says what is missing
        return False
    target = onnx_cache_path(model_cache_dir())
    if target.is_file():
        return True
    log.info("exporting the CNN to %s in a child process", target)
    try:
        subprocess.run([sys.executable, "-c", _EXPORT_CODE], check=True, timeout=timeout,
                       capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not export the CNN in a child process (%s); exporting in-process",
                    exc)
        return False
    return target.is_file()


class BackgroundEmbedderProvider(EmbedderProvider):
    """EmbedderProvider for a GUI's worker threads: the first load exports the model in a child
    process when needed, so only onnxruntime is loaded into the GUI's process."""

    def __init__(self, device: str = "auto") -> None:
        super().__init__(device)
        self._prepared = False
        self._prepare_lock = threading.Lock()

    def __call__(self) -> Embedder:
        with self._prepare_lock:
            if not self._prepared:
                export_model_out_of_process(self.device)
                self._prepared = True
        return super().__call__()
