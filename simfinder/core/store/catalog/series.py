"""Similar shots (core.matching.series): the ranker's measures of each content, and the user's
decisions about series, kept apart from those about duplicate groups."""

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
from simfinder.core.store.catalog.records import DecisionRecord


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
            return insert_decision(self._db, SERIES_DECISIONS,
                                   {"kind": kind, "made_at": time.time()}, files)

    def series_decisions(self) -> list[DecisionRecord]:
        """Every series decision, newest first (scope: always the whole series)."""
        return read_decisions(self._db, SERIES_DECISIONS)

    def remove_series_decisions(self, ids: Iterable[int]) -> int:
        with self.transaction():
            return delete_decisions(self._db, SERIES_DECISIONS, ids)
