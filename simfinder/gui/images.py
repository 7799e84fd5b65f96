"""Decoding photos into QImages off the UI thread (the engine's decoder: EXIF orientation, HEIC,
RAW previews, a decompression-bomb guard), and saving image data dropped or pasted."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from simfinder.core.photos.decode import DecodeFailure, decode_photo


class ImageLoadError(Exception):
    """The file is not a photo we can show; the message says why, in plain words."""


def pil_to_qimage(image: Image.Image) -> QImage:
    rgb = image.convert("RGB")
    data = rgb.tobytes("raw", "RGB")
    qimage = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return qimage.copy()  # own the pixels: `data` goes away with this frame


def load_photo(path: Path, max_side: int) -> QImage:
    """The photo at `path`, upright, its longest side at most `max_side`. Call off the UI
    thread: a big photo takes a moment."""
    decoded = decode_photo(path, max_side=max_side)
    if isinstance(decoded, DecodeFailure):
        raise ImageLoadError(decoded.reason)
    return pil_to_qimage(decoded.image)
