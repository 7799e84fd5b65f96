"""One SQLite connection to a library's catalog: opening it, bringing its schema up to date,
transactions. The tables' methods (the other modules of this package) share it."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simfinder.core.closing import ClosesOnExit
from simfinder.core.store.catalog.records import CatalogError
from simfinder.core.store.catalog.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)


class CatalogBase(ClosesOnExit):
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
                f"BEGIN; {MIGRATIONS[target - 1]}; PRAGMA user_version = {target}; COMMIT;"
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

    def integrity_problems(self) -> list[str]:
        rows = self._db.execute("PRAGMA integrity_check").fetchall()
        return [str(r[0]) for r in rows if r[0] != "ok"]
