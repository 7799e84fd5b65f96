"""Starting the desktop app: QApplication, settings, crash handler, the main window."""

from __future__ import annotations

import faulthandler
import gc
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from simfinder.config import APP_NAME, demo_dirs, resolve_library_dir

if TYPE_CHECKING:
    from simfinder.gui.mainwindow import MainWindow

log = logging.getLogger(__name__)

# Set by `bench/gui_responsiveness.py`: print when the window is on screen, then quit.
STARTUP_PROBE_ENV = "SIMFINDER_GUI_STARTUP_PROBE"


class NoDisplay(RuntimeError):
    """There is no screen to show a window on."""


def _check_display() -> None:
    """Before Qt is started: a screen to show the window on, and the system libraries Qt's
    platform plugin needs (Qt would abort without them, saying only that it could not load it)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise NoDisplay("no display to show the window on (DISPLAY and WAYLAND_DISPLAY are "
                        "unset); use the command-line subcommands, or set QT_QPA_PLATFORM")
    from simfinder.gui.platform_libraries import window_problem

    problem = window_problem()
    if problem:
        raise NoDisplay(problem)


def split_arguments(
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[list[Path], list[Path]]:
    """(folders, image files) among the command line's paths; FileNotFoundError names the
    paths that are neither (a file manager's "Open with simfinder" passes an image file)."""
    folders: list[Path] = []
    images: list[Path] = []
    for p in (Path(a).expanduser() for a in paths):
        if p.is_dir():
            folders.append(p)
        elif p.is_file():
            images.append(p)
        else:
            raise FileNotFoundError(f"no such folder or file: {p}")
    return folders, images


def show_main_window(
    window: MainWindow, folders: Sequence[Path] = (), images: Sequence[Path] = ()
) -> None:
    """Show the window, load its library, add `folders`, and search with the first of
    `images` as soon as the library is loaded (so a photo in it is recognised as such)."""
    from PySide6.QtCore import Qt

    window.show()
    window.start(add_folders=folders)
    if images:
        image = images[0]
        window.indexer.library_updated.connect(lambda _update: window.search_with_file(image),
                                               Qt.ConnectionType.SingleShotConnection)


def freeze_start_up_objects() -> None:
    """Take what start-up made (modules, classes, the window's objects: ~55,000 that live as
    long as the app) out of the garbage collector's rounds. Its full collections hold the GIL
    while they walk every object it tracks, so all threads wait, the window's included: with
    these in, each one stalled the window ~25 ms; now a round walks only what came later.
    Collected first, so no garbage is frozen with them."""
    gc.collect()
    gc.freeze()


def run(
    library: str | os.PathLike[str] | None = None,
    folders: Sequence[str | os.PathLike[str]] = (),
    *,
    demo: bool = False,
) -> int:
    """Open the main window on a library (the default one unless given) and run until it is
    closed. `folders` are added to the library, and an image file among them is searched with;
    `demo` opens the demo library, building and indexing the demo photo folder in the
    background."""
    _check_display()
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QStyle

    from simfinder import __version__
    from simfinder.gui.crash import CrashHandler
    from simfinder.gui.mainwindow import MainWindow
    from simfinder.gui.settings import AppSettings

    add, images = split_arguments(folders)
    if demo:
        from simfinder.app.demo import build_demo_folder

        library_dir, photos = demo_dirs(library)
        build_demo_folder(photos)
        add.append(photos)
    else:
        library_dir = resolve_library_dir(library)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName("simfinder")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("simfinder")
    icon_file = Path(__file__).resolve().parents[2] / "resources" / "simfinder.svg"
    app.setWindowIcon(QIcon(str(icon_file)) if icon_file.is_file()
                      else app.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon))
    crash = CrashHandler(parent=app)
    crash.install()
    fault_log = _enable_faulthandler(crash.log_dir)

    settings = AppSettings(QSettings(APP_NAME, APP_NAME))
    window = MainWindow(library_dir, settings)
    freeze_start_up_objects()
    show_main_window(window, add, images)
    if os.environ.get(STARTUP_PROBE_ENV):
        def report() -> None:
            heavy = sorted(m for m in ("torch", "onnxruntime") if m in sys.modules)
            tracked = len(gc.get_objects())  # what the collector's full rounds walk
            print(f"shown {time.time():.6f} tracked={tracked} heavy={','.join(heavy) or 'none'}",
                  flush=True)
            window.close()

        QTimer.singleShot(0, report)
    code = app.exec()
    crash.uninstall()
    if fault_log is not None:
        faulthandler.disable()
        fault_log.close()
    return int(code)


def _enable_faulthandler(log_dir: Path) -> TextIO | None:
    """Hard crashes (in C code) leave a Python stack in the log folder too."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = (log_dir / "faults.log").open("a", encoding="utf-8")
    except OSError:
        return None
    faulthandler.enable(fh)
    return fh
