"""The action journal: every move to the trash or to a folder, for Undo and crash recovery."""

from __future__ import annotations

import time

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.records import (
    JOURNAL_STATES,
    JournalBatch,
    JournalItem,
    path_key,
    path_of_key,
)


class JournalTables(CatalogBase):
    def journal_begin(self, kind: str, target: str | None = None) -> int:
        """Start a batch of file actions; returns its id."""
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO action_batches(kind, target, started_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (kind, path_key(target) if target is not None else None, time.time()),
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
                (batch_id, path_key(source), path_key(dest) if dest is not None else None, size,
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
                (state, error, time.time(), path_key(dest) if dest is not None else None,
                 path_key(record) if record is not None else None, item_id),
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
            JournalBatch(int(r[0]), str(r[1]), path_of_key(r[2]) if r[2] is not None else None,
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
            JournalItem(int(r[0]), int(r[1]), path_of_key(r[2]),
                        path_of_key(r[3]) if r[3] is not None else None,
                        path_of_key(r[4]) if r[4] is not None else None,
                        int(r[5]), bytes(r[6]) if r[6] is not None else None, str(r[7]), r[8],
                        int(r[9]) if r[9] is not None else None)
            for r in rows
        ]
