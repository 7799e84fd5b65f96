"""Where simfinder keeps things on disk: one place, platformdirs-based (as vorta's config.py)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "simfinder"
LIBRARY_ENV = "SIMFINDER_LIBRARY"


def default_library_dir() -> Path:
    """The library used when neither --library nor SIMFINDER_LIBRARY is given."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library"


def resolve_library_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--library beats SIMFINDER_LIBRARY beats the platform default."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_library_dir()


CACHE_ENV = "SIMFINDER_CACHE_DIR"


def model_cache_dir() -> Path:
    """Derived model files (the ONNX export of the CNN); safe to delete, rebuilt on demand."""
    env = os.environ.get(CACHE_ENV)
    base = Path(env) if env else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return base / "models"


def demo_dirs(explicit_library: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """(library, photo folder) for the demo. The demo never mixes into the user's own library:
    without --library / SIMFINDER_LIBRARY it gets a library of its own."""
    if explicit_library or os.environ.get(LIBRARY_ENV):
        library = resolve_library_dir(explicit_library)
        return library, library / "demo-photos"
    base = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return base / "demo-library", base / "demo-photos"
