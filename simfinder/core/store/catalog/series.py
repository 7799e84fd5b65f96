"""Similar shots (core.matching.series): the ranker's measures of each content, the user's
decisions about series and the review in progress, kept apart from those about duplicate
groups."""

from __future__ import annotations

import time
from collections.abc import Iterable

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.decision_tables import (
    SERIES_DECISIONS,
    delete_decisions,
    insert_decision,
    read_decisions,
)
from simfinder.core.store.catalog.records import DecisionRecord, SeriesReviewState

_CHUNK = 500  # ids in one IN (...): below SQLite's limit on bound variables


class SeriesTables(CatalogBase):
    def shot_measures(self, content_ids: Iterable[int], version: int) -> dict[int, str]:
        """The stored measures (JSON text) of these contents, made at `version`."""
        out: dict[int, str] = {}
        ids = [int(c) for c in content_ids]
        for start in range(0, len(ids), _CHUNK):  # one query per chunk, not one per content
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                "SELECT content_id, measures FROM shot_measures"
                f" WHERE version = ? AND content_id IN ({marks})", [version, *chunk]
            ):
                out[int(r[0])] = str(r[1])
        return out

    def put_shot_measures(self, measures: Iterable[tuple[int, str]], version: int) -> None:
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO shot_measures(content_id, version, measures)"
                " VALUES (?, ?, ?)", [(int(c), version, m) for c, m in measures])

    def add_series_decision(self, kind: str, files: Iterable[tuple[bytes, str]],
                            made_at: float | None = None) -> int:
        """Store a decision about a series' (digest, path) files (made now, or at `made_at`
        for an imported one); returns its id."""
        when = time.time() if made_at is None else made_at
        with self.transaction():
            return insert_decision(self._db, SERIES_DECISIONS,
                                   {"kind": kind, "made_at": when}, files)

    def series_decisions(self) -> list[DecisionRecord]:
        """Every series decision, newest first (scope: always the whole series)."""
        return read_decisions(self._db, SERIES_DECISIONS)

    def remove_series_decisions(self, ids: Iterable[int]) -> int:
        with self.transaction():
            return delete_decisions(self._db, SERIES_DECISIONS, ids)

    def set_series_marks(self, digests: Iterable[bytes], marked: bool) -> None:
        """Shots (by the digest of the file that stands for each) marked for removal, or
        not any more."""
        rows = [(bytes(d),) for d in digests]
        with self.transaction():
            if marked:
                now = time.time()
                self._db.executemany("INSERT OR REPLACE INTO series_marks(digest, at)"
                                     " VALUES (?, ?)", [(d, now) for (d,) in rows])
            else:
                self._db.executemany("DELETE FROM series_marks WHERE digest = ?", rows)

    def set_series_done(self, keys: Iterable[bytes], done: bool) -> None:
        """Series (by key) the user is done with, or not any more."""
        rows = [(bytes(k),) for k in keys]
        with self.transaction():
            if done:
                now = time.time()
                self._db.executemany("INSERT OR REPLACE INTO series_done(series_key, at)"
                                     " VALUES (?, ?)", [(k, now) for (k,) in rows])
            else:
                self._db.executemany("DELETE FROM series_done WHERE series_key = ?", rows)

    def set_series_position(self, key: bytes | None) -> None:
        """The series (by key) the user is on in the similar-shots review (None: forget)."""
        with self.transaction():
            if key is None:
                self._db.execute("DELETE FROM series_position")
            else:
                self._db.execute("INSERT OR REPLACE INTO series_position(id, series_key, at)"
                                 " VALUES (1, ?, ?)", (bytes(key), time.time()))

    def series_review(self) -> SeriesReviewState:
        where = self._db.execute("SELECT series_key FROM series_position").fetchone()
        return SeriesReviewState(
            frozenset(bytes(r[0]) for r in self._db.execute("SELECT digest FROM series_marks")),
            frozenset(bytes(r[0]) for r in
                      self._db.execute("SELECT series_key FROM series_done")),
            None if where is None else bytes(where[0]))
