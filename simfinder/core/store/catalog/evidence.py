"""Evidence for telling copies from other shots, kept so that grouping again is cheap: turned
hashes, neighbour lists, pair verifications, capture checks, and background stages done."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.records import (
    SCAN_PAIRS,
)


class EvidenceTables(CatalogBase):
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

    def pair_check_table_where(
        self, version: int, min_inliers: int, min_agreement: float
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """`pair_check_table` of just the verifications with at least `min_inliers` inliers
        and an agreement of at least `min_agreement`: the few that can show a copy, without
        reading the many that cannot."""
        cursor = self._db.execute(
            "SELECT a, b, matches, inliers, IFNULL(residual, 9e999), IFNULL(misfit, 9e999),"
            " IFNULL(drift, 9e999), agreement, overlap, mirrored, angle, scale"
            " FROM pair_checks WHERE version = ? AND inliers >= ? AND agreement >= ?"
            " ORDER BY a, b", (version, min_inliers, min_agreement))
        table = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 12)
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


def _pack_u64(values: Sequence[int]) -> bytes:
    return np.asarray([v & 0xFFFF_FFFF_FFFF_FFFF for v in values], dtype=">u8").tobytes()
