"""Small one-off jobs off the UI thread (decoding a preview, a dropped image's thumbnail):
a function runs in a QThreadPool and its result comes back to the UI thread as a signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Carrier(QObject):
    finished = Signal(int, object, object)  # task id, result, error text or None


class _Task(QRunnable):
    def __init__(self, carrier: _Carrier, task_id: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._carrier = carrier
        self._task_id = task_id
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported to the caller, never lost in the pool
            log.warning("background task failed", exc_info=True)
            self._carrier.finished.emit(self._task_id, None, f"{type(exc).__name__}: {exc}")
            return
        self._carrier.finished.emit(self._task_id, result, None)


class TaskRunner(QObject):
    """`submit(fn, on_done)` runs fn() on a pool thread, then on_done(result, error) on the UI
    thread. Results of tasks submitted under a `channel` that a newer task of the same channel
    superseded are dropped."""

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._carrier = _Carrier(self)
        self._carrier.finished.connect(self._on_finished)
        self._next_id = 0
        self._callbacks: dict[int, tuple[str | None, Callable[[Any, str | None], None]]] = {}
        self._latest: dict[str, int] = {}

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any, str | None], None],
        *,
        channel: str | None = None,
    ) -> int:
        self._next_id += 1
        task_id = self._next_id
        self._callbacks[task_id] = (channel, on_done)
        if channel is not None:
            self._latest[channel] = task_id
        self._pool.start(_Task(self._carrier, task_id, fn))
        return task_id

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return bool(self._pool.waitForDone(timeout_ms))

    @Slot(int, object, object)
    def _on_finished(self, task_id: int, result: Any, error: str | None) -> None:
        channel, on_done = self._callbacks.pop(task_id, (None, None))
        if on_done is None:
            return
        if channel is not None and self._latest.get(channel) != task_id:
            return  # superseded
        on_done(result, error)
