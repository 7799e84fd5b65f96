"""The review as the window keeps it: the user's marks, the groups they are done with, where
they were and their decisions, saved as they go on the review recorder's thread; what comes
back (the decisions list, the saved review) arrives as signals on the UI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from simfinder.app.decisions import (
    decide,
    export_decisions,
    import_decisions_file,
    list_all_decisions,
    undo_refs,
)
from simfinder.app.review_log import ReviewRecorder
from simfinder.app.series import keep_all
from simfinder.app.usecases import catalog_file
from simfinder.core.matching.series import Series
from simfinder.core.store.catalog import Catalog, PhotoRecord
from simfinder.gui.words import tr

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class ReviewController(QObject):
    decisions_listed = Signal(object)  # list[DecisionView], newest first
    decisions_changed = Signal()  # a decision was made, undone or imported
    decisions_undone = Signal(int)  # how many were taken back
    decisions_imported = Signal(int, int)  # added, already there
    decisions_exported = Signal(int, object)  # how many, to which file (Path)
    state_loaded = Signal(object)  # ReviewState
    saved = Signal(int)  # writes committed so far
    failed = Signal(str)  # one line for the user

    def __init__(self, library_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # The review's own writes (marks, done groups, position) go straight to the recorder.
        self.recorder = ReviewRecorder(catalog_file(library_root),
                                       on_review_written=self._written)

    def load_state(self) -> None:
        self.recorder.submit(lambda c: c.review_state(), self._deliver(self.state_loaded))

    # -- decisions --------------------------------------------------------------------------

    def decide(self, kind: str, photos: Sequence[PhotoRecord], scope: str) -> None:
        chosen = list(photos)
        self._change(lambda c: decide(c, kind, chosen, scope), lambda _id: None)

    def keep_series(self, series: Series) -> None:
        """Remember that the user keeps every shot of a series (by content)."""
        self._change(lambda c: keep_all(c, series), lambda _id: None)

    def undo(self, refs: Sequence[str]) -> None:
        """Take back decisions of either kind, by reference ("3", or "s3" for a series)."""
        chosen = [str(r) for r in refs]
        self._change(lambda c: undo_refs(c, chosen), self.decisions_undone.emit)

    def import_file(self, path: Path) -> None:
        self._change(lambda c: import_decisions_file(c, path),
                     lambda counts: self.decisions_imported.emit(*counts))

    def export(self, path: Path) -> None:
        def done(count: int | None, error: str | None) -> None:
            if error is not None:
                self.failed.emit(tr("Could not save the decisions to {path}: {error}").format(
                    path=path, error=error))
            else:
                self.decisions_exported.emit(count, path)

        self.recorder.submit(lambda c: export_decisions(c, path), done)

    def refresh(self) -> None:
        self.recorder.submit(list_all_decisions, self._deliver(self.decisions_listed))

    # -- machinery --------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        return self.recorder.flush(timeout)

    def close(self) -> None:
        self.recorder.close()

    def _written(self, error: str | None) -> None:
        if error is not None:
            self.failed.emit(tr("Could not save the review: {error}").format(error=error))
        else:
            self.saved.emit(self.recorder.saved)

    def _change(self, work: Callable[[Catalog], _T], changed: Callable[[_T], object]) -> None:
        """Run a change of the decisions on the recorder's thread; then `changed` gets what it
        returned (on the UI thread), decisions_changed is emitted and the list read again."""
        def done(result: Any, error: str | None) -> None:
            if error is not None:
                self.failed.emit(error)
                return
            self.saved.emit(self.recorder.saved)
            changed(result)
            self.decisions_changed.emit()
            self.refresh()

        self.recorder.submit(work, done)

    def _deliver(self, signal: Any) -> Any:
        def done(result: object, error: str | None) -> None:
            if error is not None:
                self.failed.emit(error)
            else:
                signal.emit(result)

        return done

