"""Folders (and offline ones), files, their companions and errors."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.records import (
    ErrorRecord,
    FileState,
    FolderDevice,
    OfflineFolder,
    PhotoRecord,
    PhotoRow,
    path_key,
    path_of_key,
)


class FileTables(CatalogBase):
    def add_folder(self, path: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
                (path_key(path), time.time()),
            )

    def remove_folder(self, path: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM folders WHERE path = ?", (path_key(path),))

    def folders(self) -> list[str]:
        rows = self._db.execute("SELECT path FROM folders ORDER BY path").fetchall()
        return [path_of_key(r[0]) for r in rows]

    def folder_device(self, path: str) -> FolderDevice | None:
        """Where a folder root was when last scanned online (None: not known)."""
        row = self._db.execute(
            "SELECT device, mounted FROM folders WHERE path = ?", (path_key(path),)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return FolderDevice(int(row[0]), bool(row[1]))

    def set_folder_device(self, path: str, device: FolderDevice) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE folders SET device = ?, mounted = ? WHERE path = ?",
                (device.device, int(device.mounted), path_key(path)),
            )

    def offline_folders(self) -> list[OfflineFolder]:
        rows = self._db.execute(
            "SELECT path, reason, photos, since FROM offline_folders ORDER BY path"
        ).fetchall()
        return [OfflineFolder(path_of_key(r[0]), r[1], int(r[2]), float(r[3])) for r in rows]

    def set_offline_folders(self, under: str, folders: Iterable[OfflineFolder]) -> None:
        """Replace the offline folders at or below `under` (a folder root) with `folders`;
        one that stays offline keeps its `since`."""
        before = {f.path: f for f in self.offline_folders() if _is_at_or_under(f.path, under)}
        with self.transaction():
            self._db.executemany(
                "DELETE FROM offline_folders WHERE path = ?", [(path_key(p),) for p in before]
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO offline_folders(path, reason, photos, since)"
                " VALUES (?, ?, ?, ?)",
                [
                    (path_key(f.path), f.reason, f.photos,
                     before[f.path].since if f.path in before else f.since)
                    for f in folders
                ],
            )

    def clear_offline(self, under: str) -> None:
        """The folders at or below `under` are no longer offline."""
        self.set_offline_folders(under, [])

    def file_states_under(self, root: str) -> dict[str, FileState]:
        """Indexed files below `root` (a directory path without trailing separator)."""
        rows = self._db.execute(
            "SELECT path, size, mtime_ns, content_id FROM files"
            " WHERE substr(path, 1, ?) = ?",
            _under_params(root),
        ).fetchall()
        return {path_of_key(r[0]): FileState(r[1], r[2], r[3]) for r in rows}

    def file_state(self, path: str) -> FileState | None:
        row = self._db.execute(
            "SELECT size, mtime_ns, content_id FROM files WHERE path = ?", (path_key(path),)
        ).fetchone()
        return FileState(row[0], row[1], row[2]) if row else None

    def errors_under(self, root: str) -> dict[str, ErrorRecord]:
        rows = self._db.execute(
            "SELECT path, reason, size, mtime_ns FROM errors WHERE substr(path, 1, ?) = ?",
            _under_params(root),
        ).fetchall()
        return {path_of_key(r[0]): ErrorRecord(path_of_key(r[0]), r[1], r[2], r[3]) for r in rows}

    def put_file(self, path: str, size: int, mtime_ns: int, content_id: int) -> None:
        """Point `path` at a content (insert or update). Call inside a transaction."""
        self._db.execute(
            "INSERT INTO files(path, size, mtime_ns, content_id, indexed_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns,"
            " content_id=excluded.content_id, indexed_at=excluded.indexed_at",
            (path_key(path), size, mtime_ns, content_id, time.time()),
        )
        self._db.execute("DELETE FROM errors WHERE path = ?", (path_key(path),))

    def remove_files(self, paths: Iterable[str]) -> None:
        """Forget files (and their errors). Call inside a transaction."""
        keys = [(path_key(p),) for p in paths]
        self._db.executemany("DELETE FROM files WHERE path = ?", keys)
        self._db.executemany("DELETE FROM errors WHERE path = ?", keys)
        self._db.executemany("DELETE FROM companions WHERE photo = ?", keys)

    def set_companions(self, folders: Iterable[str], companions: dict[str, list[str]]) -> None:
        """The companions found in a scan of `folders` (photo path -> companion paths) replace
        those known there."""
        with self.transaction():
            self._db.executemany("DELETE FROM companions WHERE folder = ?",
                                 [(path_key(f),) for f in folders])
            self._db.executemany(
                "INSERT OR REPLACE INTO companions(path, photo, folder) VALUES (?, ?, ?)",
                [(path_key(c), path_key(photo), path_key(os.path.dirname(c)))
                 for photo, paths in companions.items() for c in paths],
            )

    def put_companion(self, path: str, photo: str) -> None:
        """A companion file is now at `path`, beside `photo`. Call inside a transaction."""
        self._db.execute(
            "INSERT OR REPLACE INTO companions(path, photo, folder) VALUES (?, ?, ?)",
            (path_key(path), path_key(photo), path_key(os.path.dirname(path))),
        )

    def remove_companion(self, path: str) -> None:
        """Call inside a transaction."""
        self._db.execute("DELETE FROM companions WHERE path = ?", (path_key(path),))

    def all_companions(self) -> dict[str, list[str]]:
        """Every photo's known companion files (sorted), for the photos that have any."""
        out: dict[str, list[str]] = {}
        for path, photo in self._db.execute("SELECT path, photo FROM companions ORDER BY path"):
            out.setdefault(path_of_key(photo), []).append(path_of_key(path))
        return out

    def companions_of(self, photos: Iterable[str]) -> dict[str, list[str]]:
        """The known companion files of `photos` (sorted), for those that have any."""
        out: dict[str, list[str]] = {}
        keys = [path_key(p) for p in photos]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for path, photo in self._db.execute(
                f"SELECT path, photo FROM companions WHERE photo IN ({marks}) ORDER BY path",
                chunk,
            ):
                out.setdefault(path_of_key(photo), []).append(path_of_key(path))
        return out

    def file_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM files").fetchone()[0])

    def photo(self, path: str) -> PhotoRecord | None:
        rows = self._select_photos("WHERE f.path = ?", (path_key(path),))
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
        return [(r[0], path_of_key(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
                for r in rows]

    def put_error(self, path: str, size: int, mtime_ns: int, reason: str) -> None:
        """Record why a file could not be indexed (replacing any earlier entry for it)."""
        self._db.execute("DELETE FROM files WHERE path = ?", (path_key(path),))
        self._db.execute(
            "INSERT OR REPLACE INTO errors(path, size, mtime_ns, reason, at) VALUES (?,?,?,?,?)",
            (path_key(path), size, mtime_ns, reason, time.time()),
        )

    def errors(self) -> list[ErrorRecord]:
        rows = self._db.execute("SELECT path, reason, size, mtime_ns FROM errors ORDER BY path")
        return [ErrorRecord(path_of_key(r[0]), r[1], r[2], r[3]) for r in rows]

    def move_file(self, old: str, new: str) -> None:
        """A file moved on disk to another place the library covers: same content, new path.
        Call inside a transaction."""
        self._db.execute("DELETE FROM files WHERE path = ?", (path_key(new),))
        self._db.execute("UPDATE files SET path = ? WHERE path = ?", (path_key(new), path_key(old)))
        # Its companions are put back beside it by whoever moved them (core.cleanup.actions).
        self._db.execute(
            "DELETE FROM companions WHERE photo IN (?, ?)", (path_key(old), path_key(new))
        )


def _under_params(root: str) -> tuple[int, bytes]:
    prefix = path_key(root.rstrip(os.sep) + os.sep)
    return (len(prefix), prefix)


def _is_at_or_under(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)
