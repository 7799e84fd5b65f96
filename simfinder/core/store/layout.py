"""The files of a library folder. Only the store knows them: the app and the views ask it
for a library, its catalog file or its thumbnails, never build these paths themselves."""

from __future__ import annotations

from pathlib import Path

from simfinder.core.photos.thumbs import ThumbnailCache

CATALOG_FILE = "catalog.sqlite"
VECTORS_FILE = "vectors.hnsw"
THUMBS_DIR = "thumbs"
LOCK_FILE = "writer.lock"


def catalog_file(root: Path) -> Path:
    """Where a library keeps its catalog."""
    return root / CATALOG_FILE


def thumbnail_cache(root: Path) -> ThumbnailCache:
    """A library's thumbnail cache."""
    return ThumbnailCache(root / THUMBS_DIR)
