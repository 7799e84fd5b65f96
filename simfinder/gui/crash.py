"""What happens when the GUI hits a bug (qutebrowser's way): the traceback goes to a log file
under the user's log folder and one non-modal dialog says so; more errors while it is open only
update it, never pile up dialogs."""

from __future__ import annotations

import datetime
import html
import logging
import platform
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from simfinder import __version__
from simfinder.gui.words import tr

log = logging.getLogger(__name__)

CRASH_LOG = "crash.log"


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir("simfinder", appauthor=False))


class CrashHandler(QObject):
    """Install with `install()`; `handle()` is the sys.excepthook (callable from any thread)."""

    _report = Signal(str, str)  # summary, log path: shown on the UI thread

    def __init__(self, log_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_dir = log_dir or default_log_dir()
        self.dialog: QMessageBox | None = None
        self.count = 0
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def log_path(self) -> Path:
        return self.log_dir / CRASH_LOG

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.handle
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        self.handle(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    def handle(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        path = self._write_log(text)
        log.error("unexpected error (details in %s):\n%s", path, text)
        summary = f"{exc_type.__name__}: {exc}"
        if QApplication.instance() is not None:
            self._report.emit(summary, str(path) if path else "")
        else:
            sys.__stderr__.write(text) if sys.__stderr__ else None

    def _write_log(self, text: str) -> Path | None:
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as fh:
                stamp = datetime.datetime.now().isoformat(timespec="seconds")
                fh.write(f"==== {stamp}  simfinder {__version__}, Python "
                         f"{platform.python_version()}, {platform.platform()}\n{text}\n")
            return self.log_path
        except OSError:
            return None

    @Slot(str, str)
    def _show(self, summary: str, path: str) -> None:
        self.count += 1
        where = (tr("The details were saved to<br><code>{path}</code><br>Please include that "
                    "file when you report the problem.").format(path=path)
                 if path else tr("The details could not be saved."))
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.setInformativeText(
                tr("{count} unexpected errors so far; the last "
                   "one:<br><code>{error}</code><br><br>{where}").format(count=self.count,
                                                                       error=_esc(summary),
                                                                       where=where))
            return
        parent = _main_window()
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(tr("simfinder: unexpected error"))
        box.setText(tr("Something went wrong inside simfinder. You can keep working; if things "
                       "look wrong, restart it. Your photos were not changed."))
        box.setInformativeText(tr("<code>{error}</code><br><br>{where}").format(
            error=_esc(summary), where=where))
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setModal(False)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        box.show()
        self.dialog = box


def _main_window() -> QWidget | None:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return None
    for widget in app.topLevelWidgets():
        if widget.objectName() == "simfinder-main" and widget.isVisible():
            return widget
    return None


def _esc(text: str) -> str:
    return html.escape(text)
