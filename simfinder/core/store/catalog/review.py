"""The user's decisions, the settings that change results, and the review in progress."""

from __future__ import annotations

import time
from collections.abc import Iterable

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.decision_tables import (
    GROUP_DECISIONS,
    delete_decisions,
    insert_decision,
    read_decisions,
)
from simfinder.core.store.catalog.records import (
    DecisionRecord,
    ReviewState,
    path_key,
    path_of_key,
)


class ReviewTables(CatalogBase):
    def add_decision(
        self,
        kind: str,
        scope: str,
        files: Iterable[tuple[bytes, str]],
        made_at: float | None = None,
    ) -> int:
        """Store a decision about these (digest, path) files; returns its id. Own transaction."""
        values = {"kind": kind, "scope": scope,
                  "made_at": time.time() if made_at is None else made_at}
        with self.transaction():
            return insert_decision(self._db, GROUP_DECISIONS, values, files)

    def decisions(self) -> list[DecisionRecord]:
        """Every decision, newest first."""
        return read_decisions(self._db, GROUP_DECISIONS)

    def remove_decisions(self, ids: Iterable[int]) -> int:
        """Forget decisions (undo them); returns how many there were. Own transaction."""
        with self.transaction():
            return delete_decisions(self._db, GROUP_DECISIONS, ids)

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

    def set_review_mark(self, path: str, keep: bool | None) -> None:
        """The user marked a photo to keep (True) or remove (False); None forgets the mark."""
        with self.transaction():
            if keep is None:
                self._db.execute("DELETE FROM review_marks WHERE path = ?", (path_key(path),))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO review_marks(path, keep, at) VALUES (?, ?, ?)",
                    (path_key(path), int(keep), time.time()),
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
                                     [(path_key(p),) for p in paths])
                return
            self._db.execute("DELETE FROM review_marks")
            self._db.execute("DELETE FROM review_done")
            self._db.execute("DELETE FROM review_position")

    def clear_review_marks(self) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM review_marks")

    def review_state(self) -> ReviewState:
        marks = {path_of_key(r[0]): bool(r[1])
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
