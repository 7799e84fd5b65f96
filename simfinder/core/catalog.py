"""The SQLite catalog: folders, files, their contents (features) and per-file errors.

A *content* is one distinct sequence of bytes (identified by its digest): byte-identical copies
share one content row, its features and its vector. Moving or renaming a file only changes the
`files` row that points at the content, so nothing is decoded or embedded again.

Paths are stored as BLOBs of `os.fsencode(path)`, so file names that are not valid UTF-8 survive.

Embeddings are stored at half precision (float16: a cosine moves by ~1e-4, the disk per photo
halves); rows written at single precision by earlier versions are read as they are.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# Each entry upgrades the schema from version i to i + 1 (SQLite's user_version).
_MIGRATIONS: list[str] = [
    """
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        added_at REAL NOT NULL
    );
    CREATE TABLE contents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: it is the vector index label
        digest BLOB NOT NULL UNIQUE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        format TEXT NOT NULL,
        taken_at TEXT,
        camera TEXT,
        phash INTEGER NOT NULL,
        dhash INTEGER NOT NULL,
        model TEXT NOT NULL,
        embedding BLOB NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_id INTEGER NOT NULL REFERENCES contents(id),
        indexed_at REAL NOT NULL
    );
    CREATE INDEX files_by_content ON files(content_id);
    CREATE TABLE errors (
        path BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # The action journal: every move to the trash or to a folder, written before the file is
    # touched and completed after, so Undo and crash recovery know where each file is.
    """
    CREATE TABLE action_batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,  -- "trash" or "move"
        target BLOB,  -- the folder files were moved into
        started_at REAL NOT NULL,
        finished_at REAL,  -- NULL while running, or if the run was killed
        undone_at REAL
    );
    CREATE TABLE action_items (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES action_batches(id),
        source BLOB NOT NULL,  -- where the file was
        dest BLOB,  -- where it went (its trash entry, or its path in the target folder)
        record BLOB,  -- the trash's record of it (.trashinfo, $I file), if any
        size INTEGER NOT NULL,
        digest BLOB,
        state TEXT NOT NULL,  -- see JOURNAL_STATES
        error TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX action_items_by_batch ON action_items(batch_id);
    """,
    # Evidence for telling copies from other shots. `content_turns`: the pHash and dHash of each
    # content after each of the seven flips and quarter-turns (hashes.TRANSFORMS), 7 unsigned
    # big-endian 64-bit values per BLOB. `pair_checks`: geometric verifications of candidate
    # pairs (a < b), kept so that grouping again only verifies new pairs; `version` is the
    # verifier's (verify.VERIFY_VERSION). Both go with their contents.
    """
    CREATE TABLE content_turns (
        content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        phashes BLOB NOT NULL,
        dhashes BLOB NOT NULL
    );
    CREATE TABLE pair_checks (
        a INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        b INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        matches INTEGER NOT NULL,
        inliers INTEGER NOT NULL,
        residual REAL,
        misfit REAL,
        drift REAL,
        agreement REAL NOT NULL,
        overlap REAL NOT NULL,
        mirrored INTEGER NOT NULL,
        angle REAL NOT NULL,
        scale REAL NOT NULL,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
    CREATE INDEX pair_checks_by_b ON pair_checks(b);
    """,
    # The user's decisions about groups ("not duplicates", "keep all") and the review in
    # progress. Decisions name their files by content digest (and the path each had, to show
    # it and to count copies), not by content id: they outlive renames, moves, and contents
    # that leave the library and come back. `review_marks`: the keep marks the user set (by
    # path: exact copies share a digest); `review_done`: groups the user has been through (by
    # decisions.group_key); `review_position`: where the review was.
    """
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,  -- "keep-all" or "not-duplicates"
        scope TEXT NOT NULL,  -- "group" (a whole group as shown) or "photos" (some of one)
        made_at REAL NOT NULL
    );
    CREATE TABLE decision_files (
        decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
        digest BLOB NOT NULL,
        path BLOB NOT NULL,  -- where the file was when the decision was made
        PRIMARY KEY (decision_id, path)
    ) WITHOUT ROWID;
    CREATE INDEX decision_files_by_digest ON decision_files(digest);
    CREATE TABLE review_marks (
        path BLOB PRIMARY KEY,
        keep INTEGER NOT NULL,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE review_done (
        group_key BLOB PRIMARY KEY,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE review_position (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        strictness TEXT NOT NULL,
        group_key BLOB,  -- the group the user was on
        at REAL NOT NULL
    );
    """,
    # Each content's forward neighbour list (core.neighbours): its nearest other contents in
    # the vector index when its vector was added, with their cosines, so that grouping does
    # not search every photo's neighbours again. `labels`: little-endian int32 content ids
    # (ids count the distinct photos ever indexed: far below 2**31), -1 padding; `cosines`:
    # little-endian float32 (as the search gives them), -inf padding. A list made with another
    # model's embeddings (`model`) is stale. Rows go with their contents.
    """
    CREATE TABLE content_neighbours (
        content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        labels BLOB NOT NULL,
        cosines BLOB NOT NULL
    );
    """,
    # Background work done for the library as it was (`stage`, e.g. "compare likely copies"):
    # `fingerprint` says what the library held then (its contents, their models, the versions
    # the work depends on), so that the next run can tell, without redoing the work, whether
    # anything is left to do.
    """
    CREATE TABLE stages_done (
        stage TEXT PRIMARY KEY,
        fingerprint BLOB NOT NULL,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Same capture or another (core.capture), for pairs (a < b) the thumbnails call copies:
    # `other_capture` 1 for another exposure or moment of the scene, with the reason in words
    # and the pixel measure (NULL: not measured); `version` is capture.CAPTURE_VERSION.
    """
    CREATE TABLE capture_checks (
        a INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        b INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        other_capture INTEGER NOT NULL,
        reason TEXT NOT NULL,
        clipped_detail REAL,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
    CREATE INDEX capture_checks_by_b ON capture_checks(b);
    """,
    # Settings that change results, kept with the library so that the app and the command
    # line agree (app.library_settings): key -> JSON value.
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Offline folders (core.offline): a folder root, or a subfolder, whose photos vanished all
    # at once (an unmounted drive, a NAS that is down, an empty mount point). Its files stay in
    # `files` until the folder is back or the user forgets them. `device` and `mounted`: the
    # folder root's st_dev and whether it was a mount point when last scanned online (NULL:
    # not known yet), to tell an empty mount point from the drive it stands for.
    """
    ALTER TABLE folders ADD COLUMN device INTEGER;
    ALTER TABLE folders ADD COLUMN mounted INTEGER;
    CREATE TABLE offline_folders (
        path BLOB PRIMARY KEY,
        reason TEXT NOT NULL,  -- in plain words: "not mounted", "empty", ...
        photos INTEGER NOT NULL,  -- indexed photos kept below it
        since REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Companion files (core.companions): sidecars, Takeout metadata, a Live Photo's video,
    # found by the scan beside their photo in `folder`, the folder they were listed in.
    # `photo_item`: in the journal, the item of the photo a companion went with (NULL for a
    # photo), so that a photo and its companions are one unit for Undo and its summary.
    """
    CREATE TABLE companions (
        path BLOB PRIMARY KEY,
        photo BLOB NOT NULL,
        folder BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX companions_by_photo ON companions(photo);
    CREATE INDEX companions_by_folder ON companions(folder);
    ALTER TABLE action_items ADD COLUMN photo_item INTEGER;
    """,
    # Similar shots (core.series). `shot_measures`: what the ranker measured in a content
    # (core.shot_quality, JSON), `version` its QUALITY_VERSION. `series_decisions` and their
    # files: the user's decisions about series ("keep-all"), by content digest and the path
    # each file had, as `decisions` are for duplicate groups but apart from them (a series is
    # not a duplicate group: a decision about one says nothing about the other).
    """
    CREATE TABLE shot_measures (
        content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        measures TEXT NOT NULL
    );
    CREATE TABLE series_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        made_at REAL NOT NULL
    );
    CREATE TABLE series_decision_files (
        decision_id INTEGER NOT NULL REFERENCES series_decisions(id) ON DELETE CASCADE,
        digest BLOB NOT NULL,
        path BLOB NOT NULL,
        PRIMARY KEY (decision_id, path)
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(_MIGRATIONS)


def _key(path: str) -> bytes:
    return os.fsencode(path)


def _unkey(blob: bytes) -> str:
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
class FolderDevice:
    """A folder root's filesystem as last seen online: st_dev, and whether it was a mount
    point."""

    device: int
    mounted: bool


@dataclass(frozen=True, slots=True)
class OfflineFolder:
    """A folder whose photos are kept while it cannot be seen (see core.offline)."""

    path: str
    reason: str
    photos: int
    since: float


class CatalogError(RuntimeError):
    """The catalog file cannot be used (corrupt, newer schema, unwritable)."""


class Catalog:
    """One SQLite connection to `catalog.sqlite`; use one instance per thread."""

    def __init__(self, path: Path, *, readonly: bool = False, durable: bool = False) -> None:
        """`durable`: every commit is flushed to the disk (synchronous=FULL), so it survives a
        power cut too, not only a crash: for the user's review, saved as they go."""
        self.path = path
        try:
            if readonly:
                uri = f"{path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=30.0)
            else:
                self._db = sqlite3.connect(path, timeout=30.0)
            self._db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                # WAL: readers (the GUI) never block the writer (the indexer) and a crash
                # mid-transaction leaves the last committed state.
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
                self._migrate()
            elif self.schema_version() > SCHEMA_VERSION:
                raise CatalogError(f"{path} was written by a newer simfinder")
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot open catalog {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        row = self._db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"{self.path} has schema {version}; this simfinder knows up to {SCHEMA_VERSION}"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            log.info("migrating catalog %s to schema %d", self.path, target)
            # executescript commits first; the whole step plus the version bump is one
            # transaction, so a crash leaves either the old or the new schema.
            self._db.executescript(
                f"BEGIN; {_MIGRATIONS[target - 1]}; PRAGMA user_version = {target}; COMMIT;"
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- folders ----------------------------------------------------------------------------

    def add_folder(self, path: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
                (_key(path), time.time()),
            )

    def remove_folder(self, path: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM folders WHERE path = ?", (_key(path),))

    def folders(self) -> list[str]:
        rows = self._db.execute("SELECT path FROM folders ORDER BY path").fetchall()
        return [_unkey(r[0]) for r in rows]

    def folder_device(self, path: str) -> FolderDevice | None:
        """Where a folder root was when last scanned online (None: not known)."""
        row = self._db.execute(
            "SELECT device, mounted FROM folders WHERE path = ?", (_key(path),)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return FolderDevice(int(row[0]), bool(row[1]))

    def set_folder_device(self, path: str, device: FolderDevice) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE folders SET device = ?, mounted = ? WHERE path = ?",
                (device.device, int(device.mounted), _key(path)),
            )

    # -- offline folders --------------------------------------------------------------------

    def offline_folders(self) -> list[OfflineFolder]:
        rows = self._db.execute(
            "SELECT path, reason, photos, since FROM offline_folders ORDER BY path"
        ).fetchall()
        return [OfflineFolder(_unkey(r[0]), r[1], int(r[2]), float(r[3])) for r in rows]

    def set_offline_folders(self, under: str, folders: Iterable[OfflineFolder]) -> None:
        """Replace the offline folders at or below `under` (a folder root) with `folders`;
        one that stays offline keeps its `since`."""
        before = {f.path: f for f in self.offline_folders() if _is_at_or_under(f.path, under)}
        with self.transaction():
            self._db.executemany(
                "DELETE FROM offline_folders WHERE path = ?", [(_key(p),) for p in before]
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO offline_folders(path, reason, photos, since)"
                " VALUES (?, ?, ?, ?)",
                [
                    (_key(f.path), f.reason, f.photos,
                     before[f.path].since if f.path in before else f.since)
                    for f in folders
                ],
            )

    def clear_offline(self, under: str) -> None:
        """The folders at or below `under` are no longer offline."""
        self.set_offline_folders(under, [])

    # -- files ------------------------------------------------------------------------------

    def file_states_under(self, root: str) -> dict[str, FileState]:
        """Indexed files below `root` (a directory path without trailing separator)."""
        rows = self._db.execute(
            "SELECT path, size, mtime_ns, content_id FROM files"
            " WHERE substr(path, 1, ?) = ?",
            _under_params(root),
        ).fetchall()
        return {_unkey(r[0]): FileState(r[1], r[2], r[3]) for r in rows}

    def file_state(self, path: str) -> FileState | None:
        row = self._db.execute(
            "SELECT size, mtime_ns, content_id FROM files WHERE path = ?", (_key(path),)
        ).fetchone()
        return FileState(row[0], row[1], row[2]) if row else None

    def errors_under(self, root: str) -> dict[str, ErrorRecord]:
        rows = self._db.execute(
            "SELECT path, reason, size, mtime_ns FROM errors WHERE substr(path, 1, ?) = ?",
            _under_params(root),
        ).fetchall()
        return {_unkey(r[0]): ErrorRecord(_unkey(r[0]), r[1], r[2], r[3]) for r in rows}

    def put_file(self, path: str, size: int, mtime_ns: int, content_id: int) -> None:
        """Point `path` at a content (insert or update). Call inside a transaction."""
        self._db.execute(
            "INSERT INTO files(path, size, mtime_ns, content_id, indexed_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns,"
            " content_id=excluded.content_id, indexed_at=excluded.indexed_at",
            (_key(path), size, mtime_ns, content_id, time.time()),
        )
        self._db.execute("DELETE FROM errors WHERE path = ?", (_key(path),))

    def remove_files(self, paths: Iterable[str]) -> None:
        """Forget files (and their errors). Call inside a transaction."""
        keys = [(_key(p),) for p in paths]
        self._db.executemany("DELETE FROM files WHERE path = ?", keys)
        self._db.executemany("DELETE FROM errors WHERE path = ?", keys)
        self._db.executemany("DELETE FROM companions WHERE photo = ?", keys)

    # -- companion files ---------------------------------------------------------------------

    def set_companions(self, folders: Iterable[str], companions: dict[str, list[str]]) -> None:
        """The companions found in a scan of `folders` (photo path -> companion paths) replace
        those known there."""
        with self.transaction():
            self._db.executemany("DELETE FROM companions WHERE folder = ?",
                                 [(_key(f),) for f in folders])
            self._db.executemany(
                "INSERT OR REPLACE INTO companions(path, photo, folder) VALUES (?, ?, ?)",
                [(_key(c), _key(photo), _key(os.path.dirname(c)))
                 for photo, paths in companions.items() for c in paths],
            )

    def put_companion(self, path: str, photo: str) -> None:
        """A companion file is now at `path`, beside `photo`. Call inside a transaction."""
        self._db.execute(
            "INSERT OR REPLACE INTO companions(path, photo, folder) VALUES (?, ?, ?)",
            (_key(path), _key(photo), _key(os.path.dirname(path))),
        )

    def remove_companion(self, path: str) -> None:
        """Call inside a transaction."""
        self._db.execute("DELETE FROM companions WHERE path = ?", (_key(path),))

    def all_companions(self) -> dict[str, list[str]]:
        """Every photo's known companion files (sorted), for the photos that have any."""
        out: dict[str, list[str]] = {}
        for path, photo in self._db.execute("SELECT path, photo FROM companions ORDER BY path"):
            out.setdefault(_unkey(photo), []).append(_unkey(path))
        return out

    def companions_of(self, photos: Iterable[str]) -> dict[str, list[str]]:
        """The known companion files of `photos` (sorted), for those that have any."""
        out: dict[str, list[str]] = {}
        keys = [_key(p) for p in photos]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for path, photo in self._db.execute(
                f"SELECT path, photo FROM companions WHERE photo IN ({marks}) ORDER BY path",
                chunk,
            ):
                out.setdefault(_unkey(photo), []).append(_unkey(path))
        return out

    def file_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM files").fetchone()[0])

    def photo(self, path: str) -> PhotoRecord | None:
        rows = self._select_photos("WHERE f.path = ?", (_key(path),))
        return PhotoRecord.of(rows[0]) if rows else None

    def photos(self) -> list[PhotoRecord]:
        return [PhotoRecord.of(row) for row in self.photo_rows()]

    def photo_rows(self) -> list[PhotoRow]:
        """Every photo, by path, as rows (see PhotoRow: for holding a whole library)."""
        return self._select_photos("", ())

    def photos_of_contents(self, content_ids: Sequence[int]) -> list[PhotoRecord]:
        return [PhotoRecord.of(row) for row in self.photo_rows_of_contents(content_ids)]

    def photo_rows_of_contents(self, content_ids: Sequence[int]) -> list[PhotoRow]:
        out: list[PhotoRow] = []
        ids = list(content_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.extend(self._select_photos(f"WHERE f.content_id IN ({marks})", tuple(chunk)))
        return out

    def _select_photos(self, where: str, params: tuple[object, ...]) -> list[PhotoRow]:
        rows = self._db.execute(
            "SELECT f.id, f.path, f.size, f.mtime_ns, f.content_id, c.width, c.height, c.format,"
            " c.taken_at, c.camera, c.digest FROM files f JOIN contents c ON c.id = f.content_id "
            + where
            + " ORDER BY f.path",
            params,
        ).fetchall()
        return [(r[0], _unkey(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
                for r in rows]

    # -- contents ---------------------------------------------------------------------------

    def content_ids_by_digest(self, model: str) -> dict[bytes, int]:
        """Digests whose features were made by `model` (others must be recomputed)."""
        rows = self._db.execute("SELECT digest, id FROM contents WHERE model = ?", (model,))
        return {bytes(r[0]): int(r[1]) for r in rows}

    def content_ids_not_of(self, model: str) -> set[int]:
        """Contents whose features another model made (to be computed again)."""
        rows = self._db.execute("SELECT id FROM contents WHERE model != ?", (model,))
        return {int(r[0]) for r in rows}

    def put_content(self, features: ContentFeatures) -> int:
        """Insert or refresh a content's features; returns its id. Call inside a transaction."""
        blob = np.ascontiguousarray(features.embedding, dtype=np.float16).tobytes()
        row = self._db.execute(
            "INSERT INTO contents(digest, width, height, format, taken_at, camera, phash, dhash,"
            " model, embedding, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(digest) DO UPDATE SET width=excluded.width, height=excluded.height,"
            " format=excluded.format, taken_at=excluded.taken_at, camera=excluded.camera,"
            " phash=excluded.phash, dhash=excluded.dhash, model=excluded.model,"
            " embedding=excluded.embedding RETURNING id",
            (
                features.digest,
                features.width,
                features.height,
                features.format,
                features.taken_at,
                features.camera,
                features.phash,
                features.dhash,
                features.model,
                blob,
                time.time(),
            ),
        ).fetchone()
        return int(row[0])

    def remove_orphan_contents(self) -> list[tuple[int, bytes]]:
        """Delete contents no file points at; returns their (id, digest). Inside a transaction."""
        rows = self._db.execute(
            "DELETE FROM contents WHERE id NOT IN (SELECT content_id FROM files)"
            " RETURNING id, digest"
        ).fetchall()
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def content_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM contents").fetchone()[0])

    def content_ids(self) -> npt.NDArray[np.int64]:
        """Every content id, in ascending order."""
        rows = self._db.execute("SELECT id FROM contents ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def content_digests(self) -> dict[int, bytes]:
        rows = self._db.execute("SELECT id, digest FROM contents")
        return {int(r[0]): bytes(r[1]) for r in rows}

    def embeddings(
        self,
        model: str,
        dim: int,
        *,
        only: Iterable[int] | None = None,
        with_vectors: bool = True,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Content ids with an embedding of `model` (all, or those in `only`) and their matrix.

        With `with_vectors=False` the matrix is empty: (n, 0).
        """
        cols = "id, embedding" if with_vectors else "id"
        if only is None:
            rows = self._db.execute(
                f"SELECT {cols} FROM contents WHERE model = ? ORDER BY id", (model,)
            ).fetchall()
        else:
            wanted = sorted(only)
            rows = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows.extend(
                    self._db.execute(
                        f"SELECT {cols} FROM contents WHERE model = ? AND id IN ({marks})"
                        " ORDER BY id",
                        (model, *chunk),
                    ).fetchall()
                )
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.empty((len(rows), dim if with_vectors else 0), dtype=np.float32)
        if with_vectors:
            for i, r in enumerate(rows):
                half = len(r[1]) == 2 * dim
                matrix[i] = np.frombuffer(r[1], dtype=np.float16 if half else np.float32,
                                          count=dim)
        return ids, matrix

    def hashes(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """Content ids with their pHash and dHash as unsigned 64-bit arrays."""
        rows = self._db.execute("SELECT id, phash, dhash FROM contents ORDER BY id").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        ph = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)).view(np.uint64)
        dh = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows)).view(np.uint64)
        return ids, ph, dh

    def hashes_of(self, content_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """pHash and dHash (unsigned) of the given contents."""
        out: dict[int, tuple[int, int]] = {}
        ids = list(content_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                f"SELECT id, phash, dhash FROM contents WHERE id IN ({marks})", chunk
            ):
                out[int(r[0])] = (_u64(r[1]), _u64(r[2]))
        return out

    def content_hashes(self, content_id: int) -> tuple[int, int] | None:
        return self.hashes_of([content_id]).get(content_id)

    def content_id_of(self, digest: bytes) -> int | None:
        row = self._db.execute("SELECT id FROM contents WHERE digest = ?", (digest,)).fetchone()
        return int(row[0]) if row else None

    def models(self) -> dict[str, int]:
        rows = self._db.execute("SELECT model, count(*) FROM contents GROUP BY model")
        return {str(r[0]): int(r[1]) for r in rows}

    # -- errors -----------------------------------------------------------------------------

    def put_error(self, path: str, size: int, mtime_ns: int, reason: str) -> None:
        """Record why a file could not be indexed (replacing any earlier entry for it)."""
        self._db.execute("DELETE FROM files WHERE path = ?", (_key(path),))
        self._db.execute(
            "INSERT OR REPLACE INTO errors(path, size, mtime_ns, reason, at) VALUES (?,?,?,?,?)",
            (_key(path), size, mtime_ns, reason, time.time()),
        )

    def errors(self) -> list[ErrorRecord]:
        rows = self._db.execute("SELECT path, reason, size, mtime_ns FROM errors ORDER BY path")
        return [ErrorRecord(_unkey(r[0]), r[1], r[2], r[3]) for r in rows]

    # -- action journal ---------------------------------------------------------------------

    def journal_begin(self, kind: str, target: str | None = None) -> int:
        """Start a batch of file actions; returns its id."""
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO action_batches(kind, target, started_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (kind, _key(target) if target is not None else None, time.time()),
            ).fetchone()
        return int(row[0])

    def journal_add(
        self,
        batch_id: int,
        source: str,
        size: int,
        digest: bytes | None,
        dest: str | None = None,
        *,
        photo_item: int | None = None,
    ) -> int:
        """Record, before touching it, that a file is about to be moved ("pending");
        `photo_item`: for a companion file, the item of its photo."""
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO action_items(batch_id, source, dest, size, digest, state, at,"
                " photo_item) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
                (batch_id, _key(source), _key(dest) if dest is not None else None, size,
                 digest, time.time(), photo_item),
            ).fetchone()
        return int(row[0])

    def journal_set(
        self,
        item_id: int,
        state: str,
        *,
        dest: str | None = None,
        record: str | None = None,
        error: str | None = None,
    ) -> None:
        """Move a journalled file to `state` (dest and record are kept unless given)."""
        if state not in JOURNAL_STATES:
            raise ValueError(f"unknown journal state {state!r}")
        with self.transaction():
            self._db.execute(
                "UPDATE action_items SET state = ?, error = ?, at = ?,"
                " dest = coalesce(?, dest), record = coalesce(?, record) WHERE id = ?",
                (state, error, time.time(), _key(dest) if dest is not None else None,
                 _key(record) if record is not None else None, item_id),
            )

    def journal_finish(self, batch_id: int) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE action_batches SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
                (time.time(), batch_id),
            )

    def journal_mark_undone(self, batch_id: int) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE action_batches SET undone_at = ? WHERE id = ?", (time.time(), batch_id)
            )

    def journal_batch(self, batch_id: int) -> JournalBatch | None:
        rows = self._batch_rows("WHERE id = ?", (batch_id,))
        return rows[0] if rows else None

    def journal_batches(self) -> list[JournalBatch]:
        """Every batch, newest first."""
        return self._batch_rows("", ())

    def journal_last_undoable(self) -> JournalBatch | None:
        """The newest batch not undone yet that moved at least one file."""
        rows = self._batch_rows(
            "WHERE undone_at IS NULL AND EXISTS (SELECT 1 FROM action_items i"
            " WHERE i.batch_id = action_batches.id AND i.state IN ('done', 'restoring'))",
            (),
        )
        return rows[0] if rows else None

    def journal_items(self, batch_id: int) -> list[JournalItem]:
        return self._item_rows("WHERE batch_id = ?", (batch_id,))

    def journal_unsettled(self) -> list[JournalItem]:
        """Items a killed run left half-way ("pending" or "restoring")."""
        return self._item_rows("WHERE state IN ('pending', 'restoring')", ())

    def journal_unfinished_batches(self) -> list[JournalBatch]:
        return self._batch_rows("WHERE finished_at IS NULL", ())

    def _batch_rows(self, where: str, params: tuple[object, ...]) -> list[JournalBatch]:
        rows = self._db.execute(
            "SELECT id, kind, target, started_at, finished_at, undone_at FROM action_batches "
            + where + " ORDER BY id DESC",
            params,
        ).fetchall()
        return [
            JournalBatch(int(r[0]), str(r[1]), _unkey(r[2]) if r[2] is not None else None,
                         float(r[3]), r[4], r[5])
            for r in rows
        ]

    def _item_rows(self, where: str, params: tuple[object, ...]) -> list[JournalItem]:
        rows = self._db.execute(
            "SELECT id, batch_id, source, dest, record, size, digest, state, error, photo_item"
            " FROM action_items " + where + " ORDER BY id",
            params,
        ).fetchall()
        return [
            JournalItem(int(r[0]), int(r[1]), _unkey(r[2]),
                        _unkey(r[3]) if r[3] is not None else None,
                        _unkey(r[4]) if r[4] is not None else None,
                        int(r[5]), bytes(r[6]) if r[6] is not None else None, str(r[7]), r[8],
                        int(r[9]) if r[9] is not None else None)
            for r in rows
        ]

    # -- evidence for near-duplicates --------------------------------------------------------

    def put_turned_hashes(
        self, content_id: int, phashes: Sequence[int], dhashes: Sequence[int]
    ) -> None:
        """Store a content's hashes under hashes.TRANSFORMS (unsigned). Inside a transaction."""
        self._db.execute(
            "INSERT OR REPLACE INTO content_turns(content_id, phashes, dhashes) VALUES (?,?,?)",
            (content_id, _pack_u64(phashes), _pack_u64(dhashes)),
        )

    def turned_hashes(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """Content ids with their turned pHashes and dHashes, arrays of shape (n, 7)."""
        rows = self._db.execute(
            "SELECT content_id, phashes, dhashes FROM content_turns ORDER BY content_id"
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        ph = np.frombuffer(b"".join(r[1] for r in rows), dtype=">u8").astype(np.uint64)
        dh = np.frombuffer(b"".join(r[2] for r in rows), dtype=">u8").astype(np.uint64)
        width = ph.size // len(rows) if rows else 0
        return ids, ph.reshape(len(rows), width), dh.reshape(len(rows), width)

    def turned_hashes_of(
        self, content_ids: Iterable[int]
    ) -> dict[int, tuple[list[int], list[int]]]:
        """Turned pHashes and dHashes (unsigned) of the given contents that have them."""
        out: dict[int, tuple[list[int], list[int]]] = {}
        ids = list(content_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                "SELECT content_id, phashes, dhashes FROM content_turns"
                f" WHERE content_id IN ({marks})", chunk
            ):
                out[int(r[0])] = (
                    [int(v) for v in np.frombuffer(r[1], dtype=">u8")],
                    [int(v) for v in np.frombuffer(r[2], dtype=">u8")],
                )
        return out

    def contents_without_turned_hashes(self) -> list[tuple[int, bytes]]:
        """(id, digest) of contents indexed before turned hashes were kept."""
        rows = self._db.execute(
            "SELECT id, digest FROM contents WHERE id NOT IN (SELECT content_id FROM content_turns)"
        ).fetchall()
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def put_neighbour_lists(
        self,
        model: str,
        ids: npt.NDArray[np.int64],
        labels: npt.NDArray[np.int64],
        cosines: npt.NDArray[np.float32],
    ) -> None:
        """Store the forward neighbour lists of contents `ids` (rows of `labels` and `cosines`,
        padded with -1 and -inf) made with `model`'s embeddings. Inside a transaction."""
        if len(labels) and int(labels.max()) >= 2**31:
            raise OverflowError("content ids beyond 2**31 do not fit a neighbour list")
        lab = np.ascontiguousarray(labels, dtype="<i4")
        cos = np.ascontiguousarray(cosines, dtype="<f4")
        self._db.executemany(
            "INSERT OR REPLACE INTO content_neighbours(content_id, model, labels, cosines)"
            " VALUES (?,?,?,?)",
            ((cid, model, lab[i].tobytes(), cos[i].tobytes())
             for i, cid in enumerate(ids.tolist())),
        )

    def neighbour_lists(
        self, model: str, width: int, *, chunk: int = 65_536
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Content ids (ascending) with a stored neighbour list of `width` entries made with
        `model`'s embeddings, and the lists: labels (n, width; int32, as stored) and cosines
        (n, width). Lists of another width (made when lists had another length) are left
        out."""
        where = (" FROM content_neighbours WHERE model = ? AND length(labels) = ?"
                 " AND length(cosines) = ?")
        params = (model, 4 * width, 4 * width)
        n = int(self._db.execute("SELECT count(*)" + where, params).fetchone()[0])
        ids = np.empty(n, dtype=np.int64)
        labels = np.empty((n, width), dtype=np.int32)
        cosines = np.empty((n, width), dtype=np.float32)
        cur = self._db.execute("SELECT content_id, labels, cosines" + where
                               + " ORDER BY content_id", params)
        done = 0
        # In chunks: the Python rows of a million lists would take ~300 MB at once. (Lists
        # another connection adds between the two queries are left for the next read.)
        while done < n and (rows := cur.fetchmany(chunk)):
            stop = done + len(rows)
            ids[done:stop] = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            labels[done:stop] = np.frombuffer(b"".join(r[1] for r in rows),
                                              dtype="<i4").reshape(len(rows), width)
            cosines[done:stop] = np.frombuffer(b"".join(r[2] for r in rows),
                                               dtype="<f4").reshape(len(rows), width)
            done = stop
        return ids[:done], labels[:done], cosines[:done]

    def pair_checks(
        self, pairs: Iterable[tuple[int, int]], version: int
    ) -> dict[tuple[int, int], tuple[Any, ...]]:
        """Stored verifications of pairs (a < b) made by verifier `version`: the row values
        (matches, inliers, residual, misfit, drift, agreement, overlap, mirrored, angle,
        scale)."""
        wanted = set(pairs)
        columns = ("a, b, matches, inliers, residual, misfit, drift, agreement, overlap,"
                   " mirrored, angle, scale")
        return {(r[0], r[1]): tuple(r[2:])
                for rows in self._pair_check_rows(wanted, version, columns)
                for r in rows if (r[0], r[1]) in wanted}

    def checked_pairs(self, pairs: Iterable[tuple[int, int]], version: int) -> set[tuple[int, int]]:
        """Which of the pairs (a < b) have a stored verification by verifier `version`."""
        wanted = set(pairs)
        return {(r[0], r[1]) for rows in self._pair_check_rows(wanted, version, "a, b")
                for r in rows if (r[0], r[1]) in wanted}

    def _pair_check_rows(
        self, wanted: set[tuple[int, int]], version: int, columns: str
    ) -> Iterator[list[Any]]:
        """Batches of rows that include those of the wanted pairs (the caller keeps those): one
        scan of the table when they are many (as when grouping), else the rows of
        their first contents (a prefix of the primary key: SQLite searches, not scans).
        Matching (a, b) row values instead scanned the whole table once per batch of pairs,
        some 80 s for 400,000 pairs."""
        if not wanted:
            return
        # Not count(*) to compare with the table's size: that walks the whole table, a few ms
        # at 400,000 rows, on every `similar` (which asks for a handful of pairs).
        if len(wanted) >= SCAN_PAIRS:
            yield self._db.execute(
                f"SELECT {columns} FROM pair_checks WHERE version = ?", (version,)
            ).fetchall()
            return
        firsts = sorted({a for a, _ in wanted})
        for start in range(0, len(firsts), 500):
            chunk = firsts[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield self._db.execute(
                f"SELECT {columns} FROM pair_checks WHERE version = ? AND a IN ({marks})",
                (version, *chunk),
            ).fetchall()

    def pair_check_table(
        self, version: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Every stored verification by verifier `version`, as arrays: the pairs' keys
        (a << 32 | b, ascending) and their values, a row each in pair_checks' order (NULL:
        inf). For asking about very many pairs at once (grouping a million photos asks about
        millions) without a Python object for each."""
        cursor = self._db.execute(
            "SELECT a, b, matches, inliers, IFNULL(residual, 9e999), IFNULL(misfit, 9e999),"
            " IFNULL(drift, 9e999), agreement, overlap, mirrored, angle, scale"
            " FROM pair_checks WHERE version = ? ORDER BY a, b", (version,))
        parts = [np.zeros((0, 12))]
        while rows := cursor.fetchmany(1 << 16):  # in parts: the rows as tuples stay few
            parts.append(np.array(rows, dtype=np.float64))
        table = np.concatenate(parts)
        keys = (table[:, 0].astype(np.int64) << 32) | table[:, 1].astype(np.int64)
        return keys, table[:, 2:]

    def put_pair_checks(
        self, rows: Iterable[tuple[int, int, tuple[Any, ...]]], version: int
    ) -> None:
        """Store verifications (a, b, values as pair_checks returns them). Own transaction."""
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO pair_checks(a, b, version, matches, inliers, residual,"
                " misfit, drift, agreement, overlap, mirrored, angle, scale)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(a, b, version, *values) for a, b, values in rows],
            )

    def capture_checks(
        self, pairs: Iterable[tuple[int, int]], version: int
    ) -> dict[tuple[int, int], tuple[bool, str, float | None]]:
        """Stored capture checks of pairs (a < b) by `version`: (other capture, reason,
        clipped detail or None)."""
        wanted = set(pairs)
        out: dict[tuple[int, int], tuple[bool, str, float | None]] = {}
        firsts = sorted({a for a, _ in wanted})
        for start in range(0, len(firsts), 500):
            chunk = firsts[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for a, b, other, reason, detail in self._db.execute(
                "SELECT a, b, other_capture, reason, clipped_detail FROM capture_checks"
                f" WHERE version = ? AND a IN ({marks})", (version, *chunk)
            ):
                if (a, b) in wanted:
                    out[(a, b)] = (bool(other), str(reason), detail)
        return out

    def all_capture_checks(self, version: int) -> dict[tuple[int, int], bool]:
        """Every stored capture check by `version`: pair (a < b) -> other capture."""
        return {(a, b): bool(other) for a, b, other in self._db.execute(
            "SELECT a, b, other_capture FROM capture_checks WHERE version = ?", (version,))}

    def put_capture_checks(
        self, rows: Iterable[tuple[int, int, bool, str, float | None]], version: int
    ) -> None:
        """Store capture checks (a, b, other capture, reason, clipped detail). Own
        transaction."""
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO capture_checks(a, b, version, other_capture, reason,"
                " clipped_detail) VALUES (?,?,?,?,?,?)",
                [(a, b, version, int(other), reason, detail)
                 for a, b, other, reason, detail in rows],
            )

    # -- background stages ------------------------------------------------------------------

    def stage_fingerprint(self, stage: str) -> bytes | None:
        """The fingerprint the library had when `stage` last finished, if it ever did."""
        row = self._db.execute(
            "SELECT fingerprint FROM stages_done WHERE stage = ?", (stage,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def put_stage_fingerprint(self, stage: str, fingerprint: bytes) -> None:
        """`stage` finished for the library as `fingerprint` says. Own transaction."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO stages_done(stage, fingerprint, at) VALUES (?, ?, ?)",
                (stage, fingerprint, time.time()),
            )

    # -- decisions --------------------------------------------------------------------------

    def add_decision(
        self,
        kind: str,
        scope: str,
        files: Iterable[tuple[bytes, str]],
        made_at: float | None = None,
    ) -> int:
        """Store a decision about these (digest, path) files; returns its id. Own transaction."""
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO decisions(kind, scope, made_at) VALUES (?, ?, ?) RETURNING id",
                (kind, scope, time.time() if made_at is None else made_at),
            ).fetchone()
            decision_id = int(row[0])
            self._db.executemany(
                "INSERT OR IGNORE INTO decision_files(decision_id, digest, path) VALUES (?,?,?)",
                [(decision_id, digest, _key(path)) for digest, path in files],
            )
        return decision_id

    def decisions(self) -> list[DecisionRecord]:
        """Every decision, newest first."""
        files: dict[int, list[DecisionFile]] = defaultdict(list)
        for r in self._db.execute(
            "SELECT decision_id, digest, path FROM decision_files ORDER BY decision_id, path"
        ):
            files[int(r[0])].append(DecisionFile(bytes(r[1]), _unkey(r[2])))
        rows = self._db.execute(
            "SELECT id, kind, scope, made_at FROM decisions ORDER BY made_at DESC, id DESC"
        ).fetchall()
        return [DecisionRecord(int(r[0]), str(r[1]), str(r[2]), float(r[3]),
                               tuple(files[int(r[0])]))
                for r in rows]

    def remove_decisions(self, ids: Iterable[int]) -> int:
        """Forget decisions (undo them); returns how many there were. Own transaction."""
        removed = 0
        with self.transaction():
            for decision_id in ids:
                self._db.execute("DELETE FROM decision_files WHERE decision_id = ?",
                                 (int(decision_id),))
                cur = self._db.execute("DELETE FROM decisions WHERE id = ?", (int(decision_id),))
                removed += cur.rowcount
        return removed

    # -- similar shots (core.series) ----------------------------------------------------------

    def shot_measures(self, content_ids: Iterable[int], version: int) -> dict[int, str]:
        """The stored measures (JSON text) of these contents, made at `version`."""
        out: dict[int, str] = {}
        for cid in content_ids:
            row = self._db.execute(
                "SELECT measures FROM shot_measures WHERE content_id = ? AND version = ?",
                (int(cid), version)).fetchone()
            if row is not None:
                out[int(cid)] = str(row[0])
        return out

    def put_shot_measures(self, measures: Iterable[tuple[int, str]], version: int) -> None:
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO shot_measures(content_id, version, measures)"
                " VALUES (?, ?, ?)", [(int(c), version, m) for c, m in measures])

    def add_series_decision(self, kind: str, files: Iterable[tuple[bytes, str]]) -> int:
        """Store a decision about a series' (digest, path) files; returns its id."""
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO series_decisions(kind, made_at) VALUES (?, ?) RETURNING id",
                (kind, time.time())).fetchone()
            decision_id = int(row[0])
            self._db.executemany(
                "INSERT OR IGNORE INTO series_decision_files(decision_id, digest, path)"
                " VALUES (?, ?, ?)", [(decision_id, d, _key(p)) for d, p in files])
        return decision_id

    def series_decisions(self) -> list[DecisionRecord]:
        """Every series decision, newest first (scope: always the whole series)."""
        files: dict[int, list[DecisionFile]] = defaultdict(list)
        for r in self._db.execute("SELECT decision_id, digest, path FROM series_decision_files"
                                  " ORDER BY decision_id, path"):
            files[int(r[0])].append(DecisionFile(bytes(r[1]), _unkey(r[2])))
        rows = self._db.execute("SELECT id, kind, made_at FROM series_decisions"
                                " ORDER BY made_at DESC, id DESC").fetchall()
        return [DecisionRecord(int(r[0]), str(r[1]), "group", float(r[2]),
                               tuple(files[int(r[0])])) for r in rows]

    def remove_series_decisions(self, ids: Iterable[int]) -> int:
        removed = 0
        with self.transaction():
            for decision_id in ids:
                self._db.execute("DELETE FROM series_decision_files WHERE decision_id = ?",
                                 (int(decision_id),))
                removed += self._db.execute("DELETE FROM series_decisions WHERE id = ?",
                                            (int(decision_id),)).rowcount
        return removed

    # -- settings that change results ---------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """Every setting saved in the library: key -> its JSON text."""
        return {str(r[0]): str(r[1])
                for r in self._db.execute("SELECT key, value FROM settings")}

    def set_setting(self, key: str, value: str | None) -> None:
        """Save a setting's JSON text (None forgets it: its default applies again)."""
        with self.transaction():
            if value is None:
                self._db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self._db.execute("INSERT OR REPLACE INTO settings(key, value, at)"
                                 " VALUES (?, ?, ?)", (key, value, time.time()))

    # -- the review in progress ---------------------------------------------------------------

    def set_review_mark(self, path: str, keep: bool | None) -> None:
        """The user marked a photo to keep (True) or remove (False); None forgets the mark."""
        with self.transaction():
            if keep is None:
                self._db.execute("DELETE FROM review_marks WHERE path = ?", (_key(path),))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO review_marks(path, keep, at) VALUES (?, ?, ?)",
                    (_key(path), int(keep), time.time()),
                )

    def set_review_done(self, group_key: bytes, done: bool) -> None:
        with self.transaction():
            if done:
                self._db.execute("INSERT OR REPLACE INTO review_done(group_key, at)"
                                 " VALUES (?, ?)", (group_key, time.time()))
            else:
                self._db.execute("DELETE FROM review_done WHERE group_key = ?", (group_key,))

    def set_review_position(self, strictness: str, group_key: bytes | None) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO review_position(id, strictness, group_key, at)"
                " VALUES (1, ?, ?, ?)", (strictness, group_key, time.time()),
            )

    def clear_review(self, paths: Iterable[str] | None = None) -> None:
        """Forget the review (start over), or only the marks of these paths."""
        with self.transaction():
            if paths is not None:
                self._db.executemany("DELETE FROM review_marks WHERE path = ?",
                                     [(_key(p),) for p in paths])
                return
            self._db.execute("DELETE FROM review_marks")
            self._db.execute("DELETE FROM review_done")
            self._db.execute("DELETE FROM review_position")

    def clear_review_marks(self) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM review_marks")

    def review_state(self) -> ReviewState:
        marks = {_unkey(r[0]): bool(r[1])
                 for r in self._db.execute("SELECT path, keep FROM review_marks")}
        done = {bytes(r[0]) for r in self._db.execute("SELECT group_key FROM review_done")}
        pos = self._db.execute(
            "SELECT strictness, group_key, at FROM review_position WHERE id = 1").fetchone()
        stamps = [r[0] for r in self._db.execute(
            "SELECT max(at) FROM review_marks UNION ALL SELECT max(at) FROM review_done"
            " UNION ALL SELECT max(at) FROM review_position") if r[0] is not None]
        return ReviewState(
            marks, done,
            str(pos[0]) if pos else None,
            bytes(pos[1]) if pos and pos[1] is not None else None,
            max(stamps) if stamps else None,
        )

    def move_file(self, old: str, new: str) -> None:
        """A file moved on disk to another place the library covers: same content, new path.
        Call inside a transaction."""
        self._db.execute("DELETE FROM files WHERE path = ?", (_key(new),))
        self._db.execute("UPDATE files SET path = ? WHERE path = ?", (_key(new), _key(old)))
        # Its companions are put back beside it by whoever moved them (core.actions).
        self._db.execute("DELETE FROM companions WHERE photo IN (?, ?)", (_key(old), _key(new)))

    def integrity_problems(self) -> list[str]:
        rows = self._db.execute("PRAGMA integrity_check").fetchall()
        return [str(r[0]) for r in rows if r[0] != "ok"]


def _pack_u64(values: Sequence[int]) -> bytes:
    return np.asarray([v & 0xFFFF_FFFF_FFFF_FFFF for v in values], dtype=">u8").tobytes()


def _u64(signed: int) -> int:
    """SQLite stores 64-bit hashes signed; give them back unsigned."""
    return signed & 0xFFFF_FFFF_FFFF_FFFF


def _under_params(root: str) -> tuple[int, bytes]:
    prefix = _key(root.rstrip(os.sep) + os.sep)
    return (len(prefix), prefix)


def _is_at_or_under(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)
