"""Decisions and the files they name, as stored for duplicate groups (`decisions`) and for
series (`series_decisions`): the same rows in two pairs of tables, kept apart so that a
decision about one kind of group never settles the other."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from simfinder.core.store.catalog.records import (
    DecisionFile,
    DecisionRecord,
    path_key,
    path_of_key,
)


@dataclass(frozen=True, slots=True)
class DecisionTables:
    decisions: str
    files: str
    scope: str  # the scope column, or an SQL literal where the table has none


GROUP_DECISIONS = DecisionTables("decisions", "decision_files", "scope")
SERIES_DECISIONS = DecisionTables("series_decisions", "series_decision_files", "'group'")


def insert_decision(
    db: sqlite3.Connection,
    tables: DecisionTables,
    values: dict[str, object],
    files: Iterable[tuple[bytes, str]],
) -> int:
    """A decision row (its columns in `values`) and its (digest, path) files; returns its id.
    Call inside a transaction."""
    row = db.execute(
        f"INSERT INTO {tables.decisions}({', '.join(values)})"
        f" VALUES ({', '.join('?' * len(values))}) RETURNING id",
        list(values.values()),
    ).fetchone()
    decision_id = int(row[0])
    db.executemany(
        f"INSERT OR IGNORE INTO {tables.files}(decision_id, digest, path) VALUES (?,?,?)",
        [(decision_id, digest, path_key(path)) for digest, path in files],
    )
    return decision_id


def read_decisions(db: sqlite3.Connection, tables: DecisionTables) -> list[DecisionRecord]:
    """Every decision with its files, newest first."""
    files: dict[int, list[DecisionFile]] = defaultdict(list)
    for r in db.execute(
        f"SELECT decision_id, digest, path FROM {tables.files} ORDER BY decision_id, path"
    ):
        files[int(r[0])].append(DecisionFile(bytes(r[1]), path_of_key(r[2])))
    rows = db.execute(
        f"SELECT id, kind, {tables.scope}, made_at FROM {tables.decisions}"
        " ORDER BY made_at DESC, id DESC"
    ).fetchall()
    return [DecisionRecord(int(r[0]), str(r[1]), str(r[2]), float(r[3]),
                           tuple(files[int(r[0])]))
            for r in rows]


def delete_decisions(db: sqlite3.Connection, tables: DecisionTables, ids: Iterable[int]) -> int:
    """Forget decisions; returns how many there were. Call inside a transaction."""
    removed = 0
    for decision_id in ids:
        db.execute(f"DELETE FROM {tables.files} WHERE decision_id = ?", (int(decision_id),))
        cur = db.execute(f"DELETE FROM {tables.decisions} WHERE id = ?", (int(decision_id),))
        removed += cur.rowcount
    return removed
