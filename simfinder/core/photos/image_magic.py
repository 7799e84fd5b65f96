"""The leading bytes of the image formats simfinder decodes: one definition for the scan (a file
whose name does not say what it is) and the decoder (an image it cannot open is damaged, not a
non-image)."""

from __future__ import annotations

import logging
from typing import Final

log = logging.getLogger(__name__)

HEAD_BYTES: Final = 16  # how much of a file starts_like_image needs

TIFF_MAGIC: Final = (b"II*\x00", b"MM\x00*")  # TIFF, and the TIFF-like RAW formats

_LEADING: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM",
                   *TIFF_MAGIC)

# ISO base media file brands of HEIF and AVIF images and image sequences (ISO/IEC 23008-12
# and the AVIF specification; the list libheif recognises).
ISOBMFF_IMAGE_BRANDS: Final = frozenset({
    b"heic", b"heix", b"heim", b"heis",  # HEVC images
    b"hevc", b"hevx", b"hevm", b"hevs",  # HEVC image sequences
    b"mif1", b"mif2", b"msf1",  # HEIF structural brands (any codec)
    b"avif", b"avis",  # AV1 images and sequences
})


def starts_like_image(head: bytes) -> bool:
    """True if `head` (a file's first HEAD_BYTES bytes) is how an image format we decode
    starts: JPEG, PNG, GIF, BMP, TIFF, WebP, HEIF or AVIF."""
    return (
        head.startswith(_LEADING)
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or (head[4:8] == b"ftyp" and head[8:12] in ISOBMFF_IMAGE_BRANDS)
    )
