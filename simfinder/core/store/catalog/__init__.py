"""The SQLite catalog: folders, files, their contents (features) and per-file errors.

A *content* is one distinct sequence of bytes (identified by its digest): byte-identical copies
share one content row, its features and its vector. Moving or renaming a file only changes the
`files` row that points at the content, so nothing is decoded or embedded again.

Paths are stored as BLOBs of `os.fsencode(path)`, so file names that are not valid UTF-8 survive.

Embeddings are stored at half precision (float16: a cosine moves by ~1e-4, the disk per photo
halves); rows written at single precision by earlier versions are read as they are.
"""

from __future__ import annotations

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.contents import ContentTables
from simfinder.core.store.catalog.evidence import EvidenceTables
from simfinder.core.store.catalog.files import FileTables
from simfinder.core.store.catalog.journal import JournalTables
from simfinder.core.store.catalog.records import (
    JOURNAL_STATES,
    ROW_CONTENT_ID,
    ROW_DIGEST,
    ROW_ID,
    ROW_MTIME_NS,
    ROW_PATH,
    ROW_TAKEN_AT,
    SCAN_PAIRS,
    CatalogError,
    ContentFeatures,
    DecisionFile,
    DecisionRecord,
    ErrorRecord,
    FileState,
    FolderDevice,
    JournalBatch,
    JournalItem,
    OfflineFolder,
    PhotoRecord,
    PhotoRow,
    ReviewState,
    SeriesReviewState,
    as_stored,
)
from simfinder.core.store.catalog.review import ReviewTables
from simfinder.core.store.catalog.schema import SCHEMA_VERSION
from simfinder.core.store.catalog.series import SeriesTables

__all__ = [
    "JOURNAL_STATES",
    "ROW_CONTENT_ID",
    "ROW_DIGEST",
    "ROW_ID",
    "ROW_MTIME_NS",
    "ROW_PATH",
    "ROW_TAKEN_AT",
    "SCAN_PAIRS",
    "SCHEMA_VERSION",
    "Catalog",
    "CatalogError",
    "ContentFeatures",
    "DecisionFile",
    "DecisionRecord",
    "ErrorRecord",
    "FileState",
    "FolderDevice",
    "JournalBatch",
    "JournalItem",
    "OfflineFolder",
    "PhotoRecord",
    "PhotoRow",
    "ReviewState",
    "SeriesReviewState",
    "as_stored",
]


class Catalog(
    FileTables, ContentTables, JournalTables, EvidenceTables, ReviewTables, SeriesTables,
    CatalogBase,
):
    """The catalog: one connection, every table's methods. A context manager that closes it."""
