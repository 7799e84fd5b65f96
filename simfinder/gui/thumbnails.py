"""Thumbnails for the views: read from the library's thumbnail cache off the UI thread, kept as
pixmaps in a byte-bounded LRU on the UI thread.

Requests come from item painting, so only visible items ask. Requests are served newest first
and the queue is bounded: scrolling quickly through 50,000 photos never leaves the loader busy
with rows long gone from the screen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QImageReader, QPixmap

from simfinder.core.photos.thumbs import ThumbnailCache

_MAX_QUEUED = 256


class _Carrier(QObject):
    """Lives on the UI thread; pool threads emit through it (queued to the UI thread)."""

    loaded = Signal(object, int, QImage)


class _LoadJob(QRunnable):
    def __init__(self, loader: ThumbnailStore) -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        while True:
            request = self._loader._next_request()
            if request is None:
                return
            digest, side, path = request
            image = _read_scaled(path, side)
            self._loader._carrier.loaded.emit(digest, side, image)


def _read_scaled(path: Path, side: int) -> QImage:
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and (size.width() > side or size.height() > side):
        size.scale(side, side, Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    image = reader.read()
    if image.isNull():
        return image
    return image.convertToFormat(QImage.Format.Format_RGB32)


class ThumbnailStore(QObject):
    """Thumbnail pixmaps by content digest. `pixmap()` answers at once from the cache (possibly
    at another size, for the view to scale while the right one loads) or queues a load;
    `thumbnail_ready(digest)` says when a load finished."""

    thumbnail_ready = Signal(object)

    def __init__(
        self,
        cache: ThumbnailCache,
        *,
        budget_bytes: int = 192 * 1024 * 1024,
        threads: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._budget = budget_bytes
        self._bytes = 0
        # digest -> (side, pixmap or None for "no thumbnail")
        self._lru: OrderedDict[bytes, tuple[int, QPixmap | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: list[tuple[bytes, int, Path]] = []  # served newest first
        self._wanted: set[tuple[bytes, int]] = set()  # queued or being read
        self._active_jobs = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, threads))
        self._carrier = _Carrier(self)
        self._carrier.loaded.connect(self._on_loaded)

    # -- UI thread --------------------------------------------------------------------------

    def pixmap(self, digest: bytes, side: int) -> QPixmap | None:
        """The best pixmap at hand for `digest` (None: nothing yet, a load is queued)."""
        entry = self._lru.get(digest)
        if entry is not None:
            self._lru.move_to_end(digest)
            cached_side, pix = entry
            if cached_side >= side or pix is None or _is_full(pix, cached_side):
                return pix
            self._request(digest, side)
            return pix
        self._request(digest, side)
        return None

    def is_missing(self, digest: bytes) -> bool:
        """True when the thumbnail file could not be read (the view draws a placeholder)."""
        entry = self._lru.get(digest)
        return entry is not None and entry[1] is None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
        self._lru.clear()
        self._bytes = 0

    def shutdown(self) -> None:
        with self._lock:
            self._queue.clear()
        self._pool.waitForDone(5000)

    def _request(self, digest: bytes, side: int) -> None:
        key = (digest, side)
        with self._lock:
            if key in self._wanted:
                return
            self._wanted.add(key)
            self._queue.append((digest, side, self._cache.path_for(digest)))
            if len(self._queue) > _MAX_QUEUED:
                for old_digest, old_side, _ in self._queue[: len(self._queue) - _MAX_QUEUED]:
                    self._wanted.discard((old_digest, old_side))
                del self._queue[: len(self._queue) - _MAX_QUEUED]
            start = self._active_jobs < self._pool.maxThreadCount()
            if start:
                self._active_jobs += 1
        if start:
            self._pool.start(_LoadJob(self))

    @Slot(object, int, QImage)
    def _on_loaded(self, digest: bytes, side: int, image: QImage) -> None:
        with self._lock:
            self._wanted.discard((digest, side))
        old = self._lru.pop(digest, None)
        if old is not None:
            self._bytes -= _cost(old[1])
            if old[1] is not None and old[0] > side:
                # A bigger one arrived meanwhile: keep it.
                self._lru[digest] = old
                self._bytes += _cost(old[1])
                return
        pix = None if image.isNull() else QPixmap.fromImage(image)
        self._lru[digest] = (side, pix)
        self._bytes += _cost(pix)
        while self._bytes > self._budget and len(self._lru) > 1:
            _, (_, evicted) = self._lru.popitem(last=False)
            self._bytes -= _cost(evicted)
        self.thumbnail_ready.emit(digest)

    # -- pool threads -----------------------------------------------------------------------

    def _next_request(self) -> tuple[bytes, int, Path] | None:
        with self._lock:
            if not self._queue:
                self._active_jobs -= 1
                return None
            return self._queue.pop()


def _cost(pix: QPixmap | None) -> int:
    if pix is None:
        return 64
    return pix.width() * pix.height() * 4 + 64


def _is_full(pix: QPixmap, side: int) -> bool:
    """A thumbnail smaller than the side it was asked at is the whole cached image: asking for a
    bigger side cannot give more pixels."""
    return max(pix.width(), pix.height()) < side
