"""Finding and ranking the similar shots off the UI thread: a worker on a thread of its own
(with its own Library), the newest request only, the shots it measures reported as it goes,
and a Cancel that stops the measuring (the shots measured so far are kept in the library, so
the next search starts from there)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from PySide6.QtCore import QObject, Signal, Slot

from simfinder.app.series import review_series, series_companions
from simfinder.core.matching.series import Series
from simfinder.core.matching.similarity import Strictness
from simfinder.core.progress import Cancelled, CancelToken
from simfinder.core.store.catalog import SeriesReviewState
from simfinder.gui.words import tr
from simfinder.gui.workers import _Latest, _NewestOnlyController, _NewestOnlyWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    request_id: int
    strictness: Strictness
    generation: int
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True, slots=True)
class SeriesFound:
    series: list[Series]
    companions: dict[str, list[str]]  # photo path -> its companion files
    saved: SeriesReviewState | None = None  # the review saved in the library, as read then


class SeriesWorker(_NewestOnlyWorker):
    measuring = Signal(int, int, int)  # request id, shots measured, shots to measure

    @Slot(object)
    def run(self, request: SeriesRequest) -> None:
        if self._superseded(request.request_id) or request.cancel.cancelled:
            self.done.emit(request.request_id, None)
            return
        try:
            library = self._open(request.generation)
            found = review_series(
                library, request.strictness, cancel=request.cancel,
                progress=lambda n, total: self.measuring.emit(request.request_id, n, total))
            answer = SeriesFound(found, series_companions(library, found),
                                 library.catalog.series_review())
        except Cancelled:
            self.done.emit(request.request_id, None)
            return
        except Exception as exc:
            log.exception("finding similar shots failed")
            self.failed.emit(request.request_id,
                             tr("Could not find the similar shots: {error}").format(error=exc))
            return
        self.done.emit(request.request_id, answer)


class SeriesController(_NewestOnlyController):
    """Finds the series off the UI thread; only the newest request's answer is delivered."""

    results = Signal(object)  # SeriesFound
    measuring = Signal(int, int)  # shots measured, shots to measure
    cancelled = Signal()
    error = Signal(str)

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        latest = _Latest()
        self._series_worker = SeriesWorker(root, latest)
        super().__init__(self._series_worker, latest, "simfinder-series", parent)
        self._series_worker.measuring.connect(self._on_measuring)
        self._request: SeriesRequest | None = None

    def find(self, strictness: Strictness) -> int:
        if self._request is not None:
            self._request.cancel.cancel()  # a new search supersedes it: stop measuring for it
        request_id = self._next_request()
        self._request = SeriesRequest(request_id, strictness, self.generation)
        self._submit.emit(self._request)
        return request_id

    def stop(self) -> None:
        """Stop the search going on (the user's Cancel): `cancelled` follows."""
        if self._request is not None and self.pending == self._request.request_id:
            self._request.cancel.cancel()

    def shutdown(self) -> None:
        if self._request is not None:
            self._request.cancel.cancel()
        super().shutdown()

    @Slot(int, int, int)
    def _on_measuring(self, request_id: int, done: int, total: int) -> None:
        if request_id == self.pending:
            self.measuring.emit(done, total)

    def _answered(self, request_id: int, answer: object) -> None:
        self._request = None
        if answer is None:
            self.cancelled.emit()
        else:
            self.results.emit(cast(SeriesFound, answer))

    def _refused(self, request_id: int, message: str) -> None:
        self._request = None
        self.error.emit(message)
