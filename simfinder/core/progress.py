"""Progress reporting and cancellation for long jobs (the shape of dupeGuru's Job callback)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str  # "scanning", "indexing", "finishing"
    done: int
    total: int
    elapsed: float  # seconds in this phase
    current: str | None = None  # the file being worked on, if any

    @property
    def rate(self) -> float:
        """Items per second in this phase."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, or None while there is nothing to extrapolate from."""
        if self.done <= 0 or self.total <= 0 or self.elapsed <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


ProgressCallback = Callable[[Progress], None]


class Cancelled(Exception):
    """Raised inside a job when its CancelToken was set."""


class CancelToken:
    """Set from any thread; the job checks it between work items and stops cleanly."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled


class ProgressMeter:
    """Turns counts into throttled Progress callbacks (at most ~10 per second)."""

    def __init__(self, callback: ProgressCallback | None, phase: str, total: int) -> None:
        self._callback = callback
        self.phase = phase
        self.total = total
        self.done = 0
        self._start = time.monotonic()
        self._last = 0.0

    def advance(self, n: int = 1, current: str | None = None, *, force: bool = False) -> None:
        self.done += n
        if self._callback is None:
            return
        now = time.monotonic()
        if force or now - self._last >= 0.1 or self.done >= self.total:
            self._last = now
            self._callback(Progress(self.phase, self.done, self.total, now - self._start, current))
