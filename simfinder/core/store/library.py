"""One library folder on disk (see `layout`): its catalog, vectors, thumbnails and writer lock."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
from filelock import FileLock, Timeout

from simfinder.core.closing import ClosesOnExit
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME
from simfinder.core.store.catalog import Catalog
from simfinder.core.store.layout import LOCK_FILE, VECTORS_FILE, catalog_file, thumbnail_cache
from simfinder.core.store.vector_index import VectorIndex

log = logging.getLogger(__name__)

class LibraryBusy(RuntimeError):
    """Another process is indexing or changing this library right now."""


class LibraryWriteError(RuntimeError):
    """The library folder cannot be written (disk full, read-only, permissions)."""

    @classmethod
    def from_exception(cls, root: Path, exc: BaseException) -> LibraryWriteError:
        reason = str(exc)
        code = getattr(exc, "errno", None)
        if code == errno.ENOSPC or "disk is full" in reason or "disk full" in reason:
            reason = "the disk is full"
        elif code == errno.EROFS or "readonly" in reason or "read-only" in reason:
            reason = "it is on a read-only disk"
        elif code in (errno.EACCES, errno.EPERM):
            reason = "permission denied"
        elif isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        return cls(f"cannot write to the library {root}: {reason}")


class Library(ClosesOnExit):
    """Open with `Library.open(path)` (a context manager that closes it); the catalog
    connection belongs to the opening thread."""

    def __init__(self, root: Path, catalog: Catalog) -> None:
        self.root = root
        self.catalog = catalog
        self.thumbs = thumbnail_cache(root)
        self.model_name = MODEL_NAME
        self.dim = EMBED_DIM
        self._vectors: VectorIndex | None = None
        self._lock = FileLock(str(root / LOCK_FILE))

    @classmethod
    def open(cls, root: Path) -> Library:
        root.mkdir(parents=True, exist_ok=True)
        return cls(root, Catalog(catalog_file(root)))

    @property
    def vectors_path(self) -> Path:
        return self.root / VECTORS_FILE

    def close(self) -> None:
        self.catalog.close()

    # -- vector index -----------------------------------------------------------------------

    @property
    def vectors(self) -> VectorIndex:
        """The vector index, loaded on first use and brought in step with the catalog."""
        if self._vectors is None:
            self.sync_vectors()
        assert self._vectors is not None
        return self._vectors

    def sync_vectors(self) -> int:
        """Bring the vector index in step with the catalog, which is the truth: after a crash,
        or after another thread or process changed the library. Cheap when nothing changed.
        Returns how many vectors were added."""
        if self._vectors is None:
            self._vectors = self._load_vectors()
        ids, _ = self.catalog.embeddings(self.model_name, self.dim, with_vectors=False)
        missing, _ = self._vectors.retain(set(ids.tolist()))
        if missing:
            log.info("adding %d vectors missing from the index", len(missing))
            want, matrix = self.catalog.embeddings(self.model_name, self.dim, only=missing)
            self._vectors.add(want, matrix)
        return len(missing)

    def _load_vectors(self) -> VectorIndex:
        if self.vectors_path.exists():
            try:
                return VectorIndex.load(self.vectors_path, self.dim)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("vector index %s unreadable (%s); rebuilding", self.vectors_path, exc)
        return VectorIndex(self.dim)

    def save_vectors(self, *, force: bool = False) -> None:
        if self._vectors is not None and (self._vectors.dirty or force):
            self._vectors.save(self.vectors_path)

    def drop_vectors(self) -> None:
        """Forget the in-memory index (next use reloads and reconciles it)."""
        self._vectors = None

    def vector_of(self, content_id: int) -> npt.NDArray[np.float32] | None:
        if content_id not in self.vectors:
            return None
        vec: npt.NDArray[np.float32] = self.vectors.vectors([content_id])[0]
        return vec

    def forget_files(self, paths: Iterable[str]) -> list[tuple[int, bytes]]:
        """Take files out of the library (their catalog rows and errors); contents no file
        points at any more leave the catalog, the vector index and the thumbnail cache. The
        files on disk are not touched. Returns the (content id, digest) of contents dropped.
        Only call while holding `writing()`; save the vectors when done."""
        with self.catalog.transaction():
            self.catalog.remove_files(paths)
            orphans = self.catalog.remove_orphan_contents()
        if orphans:
            self.vectors.remove([cid for cid, _ in orphans])
            for _, digest in orphans:
                self.thumbs.remove(digest)
        return orphans

    def remove_stale_temp_files(self) -> int:
        """Delete temp files a killed writer left behind. Only call while holding `writing()`."""
        stale = [*self.root.glob(".*.tmp"), *self.thumbs.root.glob("??/.*.tmp")]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    # -- exclusive writing ------------------------------------------------------------------

    @contextmanager
    def writing(self, timeout: float = 0.0) -> Iterator[None]:
        """Hold the library's writer lock (one indexer at a time across processes)."""
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise LibraryBusy(
                f"the library {self.root} is busy: another simfinder is indexing it"
            ) from exc
        try:
            yield
        finally:
            self._lock.release()
