"""Which files simfinder indexes, decided by file extension.

The extension only decides whether a file is *looked at*; what a file really is gets decided by
content sniffing when it is decoded (see :mod:`simfinder.core.photos.decode`).
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import PurePath

log = logging.getLogger(__name__)

__all__ = [
    "HEIF_EXTENSIONS",
    "PHOTO_EXTENSIONS",
    "RASTER_EXTENSIONS",
    "RAW_EXTENSIONS",
    "avif_support_available",
    "is_photo_path",
    "is_raw_path",
    "raw_support_available",
]

#: Formats Pillow reads natively (MPO: multi-picture JPEG from 3D and some phone cameras).
RASTER_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".mpo",
        ".png",
        ".webp",
        ".tif", ".tiff",
        ".bmp", ".dib",
        ".gif",
    }
)  # fmt: skip

#: HEIF family, read through pillow-heif.
HEIF_EXTENSIONS: frozenset[str] = frozenset({".heic", ".heif", ".hif"})

#: Camera RAW files, read through rawpy (LibRaw) when it is installed.
RAW_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".cr2", ".cr3",  # Canon
        ".nef", ".nrw",  # Nikon
        ".arw", ".srf", ".sr2",  # Sony
        ".orf",  # Olympus / OM System
        ".rw2",  # Panasonic
        ".raf",  # Fujifilm
        ".dng",  # Adobe / many phones
        ".pef",  # Pentax
        ".srw",  # Samsung
        ".x3f",  # Sigma
        ".erf",  # Epson
        ".kdc",  # Kodak
        ".mrw",  # Minolta
        ".3fr",  # Hasselblad
    }
)  # fmt: skip


@cache
def avif_support_available() -> bool:
    """True if Pillow (11.3+ with libavif) or a pillow-heif build with AVIF can decode AVIF."""
    try:
        from PIL import features

        if features.check("avif"):
            return True
    except Exception:  # features.check raises for unknown feature names on old Pillow
        log.debug("Pillow has no AVIF feature", exc_info=True)
    try:
        import pillow_heif

        return bool(pillow_heif.libheif_info().get("decoders", {}).get("AVIF"))
    except Exception:
        log.debug("pillow-heif AVIF decoder check failed", exc_info=True)
        return False


#: Everything we index: raster + HEIF + RAW, plus AVIF when this install can decode it.
PHOTO_EXTENSIONS: frozenset[str] = (
    RASTER_EXTENSIONS
    | HEIF_EXTENSIONS
    | RAW_EXTENSIONS
    | (frozenset({".avif"}) if avif_support_available() else frozenset())
)


def _suffix(path: str | os.PathLike[str]) -> str:
    return PurePath(path).suffix.lower()


def is_photo_path(path: str | os.PathLike[str]) -> bool:
    """True if the file name has one of the photo extensions we index (case-insensitive)."""
    return _suffix(path) in PHOTO_EXTENSIONS


def is_raw_path(path: str | os.PathLike[str]) -> bool:
    """True if the file name has a camera RAW extension (case-insensitive)."""
    return _suffix(path) in RAW_EXTENSIONS


@cache
def raw_support_available() -> bool:
    """True if rawpy (LibRaw) is importable, i.e. RAW files can be decoded."""
    try:
        import rawpy  # noqa: F401
    except ImportError:
        log.info("rawpy is not installed: RAW files cannot be decoded")
        return False
    except Exception:  # a broken binary wheel (missing libraw) must not take the app down
        log.warning("rawpy failed to import: RAW files cannot be decoded", exc_info=True)
        return False
    return True
