"""Numbers as people read them, shared by the command line and the desktop app."""

from __future__ import annotations


def human_size(n: int) -> str:
    """Bytes in the largest unit that keeps the number below 1024: "812 B", "3.4 MB"."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
