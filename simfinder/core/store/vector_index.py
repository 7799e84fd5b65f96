"""The hnswlib vector index over content embeddings (cosine), kept in step with the catalog.

The catalog holds every embedding, so this file is derived data: it is saved atomically (temp
file + `os.replace`) and, when it is missing, unreadable or out of step with the catalog after a
crash, it is brought back in step from the catalog on open rather than trusted.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import hnswlib
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

_EF_CONSTRUCTION = 200
_M = 16
_MIN_CAPACITY = 1024


class VectorIndex:
    """Cosine kNN over unit vectors, labelled by catalog content id."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.init_index(
            max_elements=_MIN_CAPACITY, ef_construction=_EF_CONSTRUCTION, M=_M,
            allow_replace_deleted=True,
        )
        self._index.set_ef(64)
        self._labels: set[int] = set()
        self.dirty = False

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        """Load a saved index; raises OSError/RuntimeError if the file is missing or broken."""
        vi = cls.__new__(cls)
        vi.dim = dim
        vi._index = hnswlib.Index(space="cosine", dim=dim)
        vi._index.load_index(str(path), allow_replace_deleted=True)
        if vi._index.dim != dim:
            raise RuntimeError(f"vector index has dimension {vi._index.dim}, expected {dim}")
        vi._index.set_ef(64)
        # hnswlib also lists labels it has marked deleted; `retain` settles which are live.
        vi._labels = {int(x) for x in vi._index.get_ids_list()}
        vi.dirty = False
        return vi

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, label: object) -> bool:
        return label in self._labels

    def labels(self) -> set[int]:
        return set(self._labels)

    def add(self, labels: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        if len(labels) == 0:
            return
        known = [lab in self._labels or self._revive(lab) for lab in labels.tolist()]
        fresh = [i for i, k in enumerate(known) if not k]
        self._ensure_capacity(len(fresh))
        if len(fresh) < len(labels):
            # Existing labels: hnswlib updates their vectors in place.
            stale = [i for i, k in enumerate(known) if k]
            self._index.add_items(vectors[stale], labels[stale])
        if fresh:
            self._index.add_items(vectors[fresh], labels[fresh], replace_deleted=True)
        self._labels.update(int(x) for x in labels.tolist())
        self.dirty = True

    def _revive(self, label: int) -> bool:
        """Unmark a label deleted earlier (a content re-embedded by another model)."""
        try:
            self._index.unmark_deleted(label)
        except RuntimeError:
            return False  # hnswlib has never seen it
        return True

    def remove(self, labels: list[int]) -> int:
        """Delete labels; returns how many were live in hnswlib until now."""
        live = 0
        for lab in labels:
            if lab in self._labels:
                try:
                    self._index.mark_deleted(lab)
                    live += 1
                except RuntimeError:
                    pass  # deleted before the last save; hnswlib still lists it
                self._labels.discard(lab)
                self.dirty = True
        return live

    def retain(self, expected: set[int]) -> tuple[set[int], int]:
        """Drop labels the catalog no longer has. Returns the expected labels still missing and
        how many live vectors had to be dropped (both 0 when index and catalog agree).

        Catalog content ids are never reused, so a label that is both listed here and expected
        holds that content's vector.
        """
        dropped = self.remove(sorted(self._labels - expected))
        return expected - self._labels, dropped

    def vectors(self, labels: list[int]) -> npt.NDArray[np.float32]:
        if not labels:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.get_items(labels), dtype=np.float32)

    def query(
        self, vectors: npt.NDArray[np.float32], k: int, *, ef: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """k nearest labels and cosine *similarities* per query row (best first).

        `ef` is the search breadth (at least k; default max(64, 2k)): wider finds more of the
        true nearest and costs more (bench/knn_breadth.py measures both against brute force)."""
        k = min(k, len(self._labels))
        n = len(vectors)
        if k <= 0 or n == 0:
            return np.empty((n, 0), dtype=np.int64), np.empty((n, 0), dtype=np.float32)
        self._index.set_ef(max(k, ef) if ef is not None else max(64, k * 2))
        labels, distances = self._index.knn_query(vectors, k=k)
        return labels.astype(np.int64), (1.0 - distances).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves either the old file or the new one, never half."""
        fd, tmp = tempfile.mkstemp(prefix=".vectors-", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            self._index.save_index(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.dirty = False

    def _ensure_capacity(self, extra: int) -> None:
        # Deleted slots may get reused, but sizing for the worst case is always safe.
        needed = self._index.get_current_count() + extra
        capacity = self._index.get_max_elements()
        if needed > capacity:
            self._index.resize_index(max(_MIN_CAPACITY, capacity * 2, needed))
