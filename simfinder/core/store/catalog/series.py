"""Similar shots (core.matching.series): the ranker's measures of each content, and the user's
decisions about series, kept apart from those about duplicate groups."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.records import (
    DecisionFile,
    DecisionRecord,
    path_key,
    path_of_key,
)


class SeriesTables(CatalogBase):
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
                " VALUES (?, ?, ?)", [(decision_id, d, path_key(p)) for d, p in files])
        return decision_id

    def series_decisions(self) -> list[DecisionRecord]:
        """Every series decision, newest first (scope: always the whole series)."""
        files: dict[int, list[DecisionFile]] = defaultdict(list)
        for r in self._db.execute("SELECT decision_id, digest, path FROM series_decision_files"
                                  " ORDER BY decision_id, path"):
            files[int(r[0])].append(DecisionFile(bytes(r[1]), path_of_key(r[2])))
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
