"""A file's content identity: the digest that byte-identical copies share."""

from __future__ import annotations

import hashlib

DIGEST_SIZE = 16
_READ_CHUNK = 1 << 20


def file_digest(path: str) -> bytes:
    """BLAKE2b-128 of the file's bytes: the identity of its content."""
    h = hashlib.blake2b(digest_size=DIGEST_SIZE)
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            h.update(chunk)
    return h.digest()
