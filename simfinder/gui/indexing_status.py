"""The indexing's progress in the status bar: a line of text and a bar, for indexing, comparing
likely copies and moving photos; and the summary of a run once it is done."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

from simfinder.app.usecases import IndexRun
from simfinder.core.progress import Progress
from simfinder.gui.words import counted, duration, tr

log = logging.getLogger(__name__)



def _action_words(phase: str) -> str | None:
    """The words before "n of m photos" while photos are moved or put back."""
    return {"trash": tr("Moving to the trash:"), "move": tr("Moving:"),
            "undo": tr("Putting back:")}.get(phase)


class IndexingStatus(QObject):
    """The progress line and bar (the window puts them in its status bar). Runs that were
    paused or stopped are kept, so that the run that finishes the work reports it all."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.label = QLabel(parent)
        self.bar = QProgressBar(parent)
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(14)
        self.label.hide()
        self.bar.hide()
        self._unfinished: list[IndexRun] = []  # paused or stopped since the last finish

    def hide(self) -> None:
        self.bar.hide()
        self.label.hide()

    def show_progress(self, progress: Progress) -> None:
        words = _action_words(progress.phase)
        if progress.phase == "scanning":
            self.label.setText(tr("Found {photos}; checking what changed…").format(
                photos=counted(progress.done, "%Ln photo(s)")))
            self.bar.setRange(0, 0)
        elif progress.phase == "comparing":
            self._show_comparing(progress)
        elif words is not None:
            self.bar.setRange(0, max(progress.total, 1))
            self.bar.setValue(progress.done)
            self.label.setText(tr("{what} {done} of {photos}").format(
                what=words, done=f"{progress.done:,}",
                photos=counted(progress.total, "%Ln photo(s)")))
        else:
            self.bar.setRange(0, max(progress.total, 1))
            self.bar.setValue(progress.done)
            text = tr("Indexing {done} of {total}").format(done=f"{progress.done:,}",
                                                           total=f"{progress.total:,}")
            if progress.rate > 0:
                text += tr(" · {rate} photos/s").format(rate=f"{progress.rate:.1f}")
            text += self._time_left(progress)
            self.label.setText(text)
        self.label.show()
        self.bar.show()

    def _show_comparing(self, progress: Progress) -> None:
        """After indexing: the likely copies are compared, so that the Duplicates view finds
        them ready (total 0: still looking for them)."""
        if not progress.total:
            self.label.setText(tr("Looking for likely copies…"))
            self.bar.setRange(0, 0)
            return
        self.bar.setRange(0, progress.total)
        self.bar.setValue(progress.done)
        self.label.setText(
            tr("Comparing likely copies {done} / {total}").format(
                done=f"{progress.done:,}", total=f"{progress.total:,}")
            + self._time_left(progress))

    @staticmethod
    def _time_left(progress: Progress) -> str:
        eta = progress.eta
        if eta is None or progress.done >= progress.total:
            return ""
        return tr(" · about {time} left").format(time=duration(eta))

    def show_state(self, state: str, last: Progress | None) -> None:
        """The indexer's state: what the line says while it starts, pauses or stops."""
        if state == "indexing":
            self.label.setText(tr("Looking for photos…"))
            self.bar.setRange(0, 0)
            self.label.show()
            self.bar.show()
        elif state == "pausing":
            self.label.setText(tr("Stopping after the current batch…"))
        elif state in ("paused", "stopped"):
            left = ""
            if last is not None and last.phase == "indexing" and last.total > last.done:
                left = tr(": {photos} still to index").format(
                    photos=counted(last.total - last.done, "%Ln photo(s)"))
            elif last is not None and last.phase == "comparing":
                left = tr(": likely copies still to compare")
                if last.total > last.done:
                    left = tr(": {pairs} still to compare").format(
                        pairs=counted(last.total - last.done, "%Ln pair(s) of likely copies"))
            word = tr("Paused") if state == "paused" else tr("Stopped")
            self.label.setText(word + left
                               + tr(" (resumes with Resume, Rescan or the next start)"))
            self.bar.hide()
            self.label.show()
        else:
            self.hide()

    def show_failure(self, message: str) -> None:
        self.label.setText(message)
        self.label.show()
        self.bar.hide()

    def run_finished(self, run: IndexRun) -> str | None:
        """The status-bar summary once the work is done: None while it was only paused or
        stopped (kept for the run that finishes it)."""
        if run.cancelled:
            # A resumed run alone may have had nothing left to do but compare.
            self._unfinished.append(run)
            return None
        runs, self._unfinished = [*self._unfinished, run], []
        return finished_text(runs)


def finished_text(runs: Sequence[IndexRun]) -> str:
    """"Indexing done in 3 min 05 s: 120 new, 2 gone from disk; …" for these runs together."""
    reports = [r.index for r in runs]
    indexed = sum(r.indexed for r in reports)
    linked = sum(r.linked for r in reports)
    removed = sum(r.removed for r in reports)
    failed = sum(len(r.failed) for r in reports)
    parts = []
    if indexed:
        parts.append(tr("{count} new").format(count=f"{indexed:,}"))
    if linked:
        parts.append(counted(linked, "%Ln copy or move(s)"))
    if removed:
        parts.append(tr("{count} gone from disk").format(count=f"{removed:,}"))
    if failed:
        parts.append(tr("{count} could not be read").format(count=f"{failed:,}"))
    summary = ", ".join(parts) if parts else tr("nothing changed")
    compared = [r.comparison for r in runs if r.comparison is not None]
    verified = sum(c.verified for c in compared)
    if verified:
        summary += tr("; {pairs} compared in {time}").format(
            pairs=counted(verified, "%Ln pair(s) of likely copies"),
            time=duration(sum(c.seconds for c in compared)))
    elapsed = sum(r.elapsed for r in reports)
    return tr("Indexing done in {time}: {summary}.").format(time=duration(elapsed),
                                                             summary=summary)
