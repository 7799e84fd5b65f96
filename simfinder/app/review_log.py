"""The review saved as the user goes: every keep mark, every group marked done, where they were,
the similar-shots review's marks and done series, and every decision, written to the catalog
the moment it is made, in order, on a thread of its own (the window never waits for the
disk). Each write is its own transaction flushed to the disk (synchronous=FULL), so closing
the app, a crash, a kill or a power cut loses nothing that was written; on the next start the
app reads it back and offers to continue."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from simfinder.core.store.catalog import Catalog, CatalogError, ReviewState

log = logging.getLogger(__name__)

T = TypeVar("T")

_STOP = object()


class ReviewRecorder:
    """Runs catalog writes (and the reads that must follow them) one after another on its own
    thread and connection. `submit` returns a Future; `on_done(result, error)` is called on
    the recorder's thread when the work is committed (error: one line for the user)."""

    def __init__(self, catalog_path: Path,
                 on_review_written: Callable[[str | None], None] | None = None) -> None:
        self.catalog_path = catalog_path
        self.saved = 0  # writes committed so far
        # Called on the recorder's thread after each write of the review below (mark, done,
        # position, forgetting), with None or one line for the user.
        self._on_review_written = on_review_written
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- the review -------------------------------------------------------------------------

    def mark(self, path: str, keep: bool | None) -> None:
        """The user marked a photo to keep or remove (None: back to the rules' choice)."""
        self._write(lambda c: c.set_review_mark(path, keep))

    def done(self, group_key: bytes, done: bool) -> None:
        self._write(lambda c: c.set_review_done(group_key, done))

    def position(self, strictness: str, group_key: bytes | None) -> None:
        self._write(lambda c: c.set_review_position(strictness, group_key))

    def forget_marks(self, paths: Iterable[str] | None = None) -> None:
        """Forget the marks of these photos (moved away, say), or all marks."""
        chosen = None if paths is None else list(paths)
        if chosen is None:
            self._write(lambda c: c.clear_review_marks())
        elif chosen:
            self._write(lambda c: c.clear_review(chosen))

    def start_over(self) -> None:
        """Forget the review in progress: marks, done groups and position."""
        self._write(lambda c: c.clear_review())

    # -- the similar-shots review ----------------------------------------------------------

    def series_marks(self, digests: list[bytes], marked: bool) -> None:
        """Shots (by the digest of the file that stands for each) marked for removal, or not."""
        chosen = list(digests)
        self._write(lambda c: c.set_series_marks(chosen, marked))

    def series_done(self, keys: list[bytes], done: bool) -> None:
        chosen = list(keys)
        self._write(lambda c: c.set_series_done(chosen, done))

    def series_position(self, key: bytes | None) -> None:
        self._write(lambda c: c.set_series_position(key))

    def _write(self, work: Callable[[Catalog], object]) -> None:
        hook = self._on_review_written
        self.submit(work, None if hook is None else lambda _result, error: hook(error))

    def state(self) -> Future[ReviewState]:
        return self.submit(lambda c: c.review_state())

    # -- machinery --------------------------------------------------------------------------

    def submit(
        self,
        work: Callable[[Catalog], T],
        on_done: Callable[[T | None, str | None], None] | None = None,
    ) -> Future[T]:
        future: Future[T] = Future()
        self._ensure_thread()
        self._queue.put((work, on_done, future))
        return future

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is written; False on timeout."""
        marker = self.submit(lambda c: None)
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="simfinder-review",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        catalog: Catalog | None = None
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                work, on_done, future = item
                result: Any = None
                error: str | None = None
                try:
                    if catalog is None:
                        catalog = Catalog(self.catalog_path, durable=True)
                    result = work(catalog)
                    self.saved += 1
                except (sqlite3.Error, CatalogError, OSError, ValueError) as exc:
                    log.warning("could not save the review: %s", exc)
                    error = str(exc)
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                if on_done is not None:
                    try:
                        on_done(result, error)
                    except Exception:
                        log.exception("review callback failed")
        finally:
            if catalog is not None:
                catalog.close()
