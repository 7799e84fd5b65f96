"""What the catalog stores and gives back: records of files, contents, the journal, decisions
and the review, as frozen dataclasses and plain rows."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt


def path_key(path: str) -> bytes:
    return os.fsencode(path)


def path_of_key(blob: bytes) -> str:
    return os.fsdecode(blob)


@dataclass(frozen=True, slots=True)
class ContentFeatures:
    """What the pipeline computed for one distinct photo content."""

    digest: bytes
    width: int
    height: int
    format: str
    taken_at: str | None
    camera: str | None
    phash: int  # signed 64-bit (see hashes.to_sqlite_int)
    dhash: int
    model: str
    embedding: npt.NDArray[np.float32]


def as_stored(embeddings: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Embeddings rounded the way the catalog keeps them: what is put in the vector index next
    to them, so that the index is the same whether built while indexing or from the catalog."""
    return np.asarray(embeddings, dtype=np.float16).astype(np.float32)


@dataclass(frozen=True, slots=True)
class FileState:
    """What the catalog remembers of a file, to tell unchanged from changed by stat data."""

    size: int
    mtime_ns: int
    content_id: int


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    path: str
    reason: str
    size: int
    mtime_ns: int


# A photo as a plain tuple of PhotoRecord's fields, in order. Python's garbage collector stops
# tracking a tuple of numbers, strings and None, so views that hold a whole library this way
# (the gallery: 50,000 rows and more) add nothing to its full collections, which hold the GIL:
# with 50,000 PhotoRecords held twice, each one stalled the GUI's event loop ~140 ms.
PhotoRow = tuple[int, str, int, int, int, int, int, str, str | None, str | None, bytes]


# Positions in a PhotoRow (Final, so that type checkers know each field's type).
ROW_ID: Final = 0


ROW_PATH: Final = 1


ROW_MTIME_NS: Final = 3


ROW_CONTENT_ID: Final = 4


ROW_TAKEN_AT: Final = 8


ROW_DIGEST: Final = 10


@dataclass(frozen=True, slots=True)
class PhotoRecord:
    """One indexed file with its content's metadata, as views and reports show it."""

    file_id: int
    path: str
    size: int
    mtime_ns: int
    content_id: int
    width: int
    height: int
    format: str
    taken_at: str | None
    camera: str | None
    digest: bytes

    @classmethod
    def of(cls, row: PhotoRow) -> PhotoRecord:
        return cls(*row)

    @property
    def row(self) -> PhotoRow:
        return (self.file_id, self.path, self.size, self.mtime_ns, self.content_id, self.width,
                self.height, self.format, self.taken_at, self.camera, self.digest)


# From this many pairs, stored verifications are read in one scan of the table rather than by
# the pairs' first contents (grouping asks for ~4 pairs a photo; `similar` for a handful):
# here, and by PairChecker.check_table (as arrays).
SCAN_PAIRS = 20_000


# The life of a journalled file: "pending" (written before the file is touched), then "done"
# (moved) or "failed" (not moved: `error` says why); Undo takes a done file through "restoring"
# to "restored", or to "not-restored" (`error` says why and where the file is).
JOURNAL_STATES = ("pending", "done", "failed", "restoring", "restored", "not-restored")


@dataclass(frozen=True, slots=True)
class JournalBatch:
    id: int
    kind: str
    target: str | None
    started_at: float
    finished_at: float | None
    undone_at: float | None


@dataclass(frozen=True, slots=True)
class JournalItem:
    id: int
    batch_id: int
    source: str
    dest: str | None
    record: str | None
    size: int
    digest: bytes | None
    state: str
    error: str | None
    photo_item: int | None = None  # a companion's: the item of its photo

    @property
    def is_companion(self) -> bool:
        return self.photo_item is not None


@dataclass(frozen=True, slots=True)
class DecisionFile:
    digest: bytes
    path: str  # where the file was when the decision was made


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision as stored: its kind ("keep-all", "not-duplicates") and the files it named."""

    id: int
    kind: str
    scope: str
    made_at: float
    files: tuple[DecisionFile, ...]


@dataclass(frozen=True, slots=True)
class ReviewState:
    """The review in progress: the user's keep marks (by path), the groups they are done with
    (by group key), and where they were (strictness, group key)."""

    marks: dict[str, bool]
    done: set[bytes]
    strictness: str | None
    position: bytes | None
    updated_at: float | None

    @property
    def empty(self) -> bool:
        return not self.marks and not self.done


@dataclass(frozen=True, slots=True)
class SeriesReviewState:
    """The similar-shots review in progress: the shots marked for removal (by the digest of
    the file that stands for each) and the series the user is done with (by series key)."""

    marked: frozenset[bytes]
    done: frozenset[bytes]
    position: bytes | None = None  # the key of the series the user was on


@dataclass(frozen=True, slots=True)
class FolderDevice:
    """A folder root's filesystem as last seen online: st_dev, and whether it was a mount
    point."""

    device: int
    mounted: bool


@dataclass(frozen=True, slots=True)
class OfflineFolder:
    """A folder whose photos are kept while it cannot be seen (see core.indexing.offline)."""

    path: str
    reason: str
    photos: int
    since: float


class CatalogError(RuntimeError):
    """The catalog file cannot be used (corrupt, newer schema, unwritable)."""
