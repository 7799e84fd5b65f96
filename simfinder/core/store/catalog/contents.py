"""Contents: each distinct photo's features, hashes and embedding."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from simfinder.core.store.catalog.base import CatalogBase
from simfinder.core.store.catalog.records import (
    ContentFeatures,
)


class ContentTables(CatalogBase):
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


def _u64(signed: int) -> int:
    """SQLite stores 64-bit hashes signed; give them back unsigned."""
    return signed & 0xFFFF_FFFF_FFFF_FFFF
