"""The thumbnail cache: one small JPEG per distinct content, named by its digest."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from simfinder.core.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

THUMB_QUALITY = 85


def encode_thumbnail(image: Image.Image) -> bytes:
    """JPEG bytes of an RGB thumbnail (JPEG over WebP: several times faster to encode)."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=THUMB_QUALITY, optimize=False)
    return buf.getvalue()


class ThumbnailCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path_for(self, digest: bytes) -> Path:
        name = digest.hex()
        return self.root / name[:2] / f"{name}.jpg"

    def has(self, digest: bytes) -> bool:
        return self.path_for(digest).is_file()

    def put(self, digest: bytes, jpeg: bytes) -> None:
        write_bytes_atomic(self.path_for(digest), jpeg)

    def remove(self, digest: bytes) -> None:
        self.path_for(digest).unlink(missing_ok=True)

    def digests(self) -> Iterator[bytes]:
        """Digests of every cached thumbnail (for consistency checks)."""
        for path in self.root.glob("??/*.jpg"):
            try:
                yield bytes.fromhex(path.stem)
            except ValueError:
                log.warning("stray file in thumbnail cache: %s", path)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.glob("??/*.jpg"))
