"""Handing photos to the rest of the desktop: the file manager and the default app."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)

_watchers: set[QObject] = set()  # pending D-Bus calls, kept alive until they answer


def open_with_default_app(path: str | os.PathLike[str]) -> bool:
    """Open the file in the app the desktop associates with it."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def open_folder(path: str | os.PathLike[str]) -> bool:
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def show_in_folder(path: str | os.PathLike[str]) -> bool:
    """Open the file's folder in the file manager, with the file selected where the platform
    allows it: Explorer, Finder, and freedesktop file managers (D-Bus FileManager1.ShowItems);
    elsewhere, or when that fails, the folder is opened."""
    file = Path(path)
    if sys.platform == "win32":
        return _start("explorer.exe", [f"/select,{file}"]) or open_folder(file.parent)
    if sys.platform == "darwin":
        return _start("open", ["-R", str(file)]) or open_folder(file.parent)
    if _show_items_over_dbus(file):
        return True
    return open_folder(file.parent)


def _start(program: str, args: list[str]) -> bool:
    result = QProcess.startDetached(program, args)
    return bool(result[0] if isinstance(result, tuple) else result)


def _show_items_over_dbus(file: Path) -> bool:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    try:
        from PySide6.QtDBus import (
            QDBusConnection,
            QDBusInterface,
            QDBusPendingCallWatcher,
        )
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    iface = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                           "org.freedesktop.FileManager1", bus)
    if not iface.isValid():
        return False
    uri = QUrl.fromLocalFile(str(file)).toString()
    watcher = QDBusPendingCallWatcher(iface.asyncCallWithArgumentList("ShowItems", [[uri], ""]))
    _watchers.add(watcher)

    def answered(w: QDBusPendingCallWatcher) -> None:
        _watchers.discard(w)
        if w.isError():
            log.info("file manager could not select %s: %s", file, w.error().message())
            open_folder(file.parent)
        w.deleteLater()

    watcher.finished.connect(answered)
    return True
