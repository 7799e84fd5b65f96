"""What a drop or a paste holds, in the terms of the app: folders to add, local image files or
image data to search with, or web addresses that can't be searched (no network connections)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage

from simfinder.core.indexing.scan import looks_like_image
from simfinder.core.photos.formats import is_photo_path

# Encoded image data some apps put on the clipboard or in a drag, by preference: the original
# bytes beat a re-encoded QImage (a byte-identical copy in the library is then found as such).
_IMAGE_TYPES = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/avif": ".avif",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
}


@dataclass(slots=True)
class DropContents:
    folders: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)  # local photo files
    data: bytes | None = None  # encoded image bytes (with `suffix`)
    suffix: str = ".png"
    image: QImage | None = None  # decoded image data, when no encoded bytes came along
    remote: list[str] = field(default_factory=list)  # http(s)/other non-local URLs
    not_images: list[Path] = field(default_factory=list)

    @property
    def searchable(self) -> bool:
        return bool(self.images or self.data or (self.image is not None))

    @property
    def empty(self) -> bool:
        return not (self.folders or self.searchable or self.remote or self.not_images)


def is_image_file(path: Path) -> bool:
    return path.is_file() and (is_photo_path(path) or looks_like_image(str(path)))


def read_mime(mime: QMimeData) -> DropContents:
    out = DropContents()
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.is_dir():
                    out.folders.append(path)
                elif is_image_file(path):
                    out.images.append(path)
                else:
                    out.not_images.append(path)
            elif url.isValid() and not url.isEmpty():
                out.remote.append(url.toString())
    if not out.images:
        for fmt in mime.formats():
            suffix = _IMAGE_TYPES.get(fmt.lower())
            if suffix is None:
                continue
            payload = bytes(mime.data(fmt).data())
            if payload:
                out.data, out.suffix = payload, suffix
                break
        if out.data is None and mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                out.image = image
    return out


def might_hold_something(mime: QMimeData) -> bool:
    """Cheap test for drag-enter: is it worth accepting this drag?"""
    return mime.hasUrls() or mime.hasImage() or any(
        f.lower() in _IMAGE_TYPES for f in mime.formats())


def save_for_search(contents: DropContents, folder: Path, serial: int) -> Path:
    """Write dropped or pasted image data to a file the search can read (not the library)."""
    folder.mkdir(parents=True, exist_ok=True)
    if contents.data is not None:
        path = folder / f"pasted-image-{serial}{contents.suffix}"
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(contents.data)
        os.replace(tmp, path)
        return path
    assert contents.image is not None
    path = folder / f"pasted-image-{serial}.png"
    if not contents.image.save(str(path)):  # PNG, by the name
        raise OSError(f"could not save the image to {path}")
    return path
