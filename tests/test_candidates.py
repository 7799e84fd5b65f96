"""Which pairs grouping compares: a photo's many copies do not hide the photos after them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from simfinder.core.indexing.neighbours import NEIGHBOURS, keep_forward_lists
from simfinder.core.matching.grouping import pairs_to_verify
from simfinder.core.matching.similarity import VERIFY_FLOOR
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME
from simfinder.core.photos.hashes import TRANSFORMS, to_sqlite_int
from simfinder.core.store.catalog import ContentFeatures, as_stored
from simfinder.core.store.library import Library


def unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_a_hard_copy_of_a_photo_with_many_copies_is_still_compared(tmp_path: Path) -> None:
    """A photo kept in more plain copies than its neighbour list is long (re-encodes, resizes:
    the same hashes) and one heavily edited copy (a screenshot of it, at a cosine of 0.5, under
    the photos that look like the screenshot): from the copies, the edited one comes right
    after their own copies, and it must be compared with them. Before, each copy's list was
    full of its own copies, and the screenshot's first places went to its look-alikes, so the
    pair was never verified and the screenshot never grouped."""
    rng = np.random.default_rng(7)
    basis = np.linalg.qr(rng.normal(size=(EMBED_DIM, EMBED_DIM)))[0].T  # orthonormal rows
    photo, edit_dir = basis[0], basis[1]
    copies = [unit(photo + 0.02 * rng.normal(size=EMBED_DIM)) for _ in range(NEIGHBOURS + 2)]
    screenshot = unit(0.5 * photo + np.sqrt(0.75) * edit_dir)
    # Look-alikes of the screenshot (other screenshots): closer to it than its photo is, far
    # from the photo.
    look_alikes = [unit(0.65 * screenshot + 0.76 * basis[2 + k]) for k in range(8)]
    vectors = [*copies, screenshot, *look_alikes]
    hashes = rng.integers(0, 2**63, size=(len(vectors), 2), dtype=np.uint64)
    hashes[: len(copies)] = hashes[0]  # the plain copies: the same picture by their hashes

    lib = Library.open(tmp_path / "lib")
    ids = []
    with lib.catalog.transaction():
        for i, v in enumerate(vectors):
            cid = lib.catalog.put_content(ContentFeatures(
                i.to_bytes(16, "big"), 800, 600, "JPEG", None, None,
                to_sqlite_int(int(hashes[i, 0])), to_sqlite_int(int(hashes[i, 1])),
                MODEL_NAME, v))
            lib.catalog.put_file(f"/photos/{i:03d}.jpg", 100_000, i, cid)
            lib.catalog.put_turned_hashes(
                cid, *(rng.integers(0, 2**63, size=len(TRANSFORMS)).tolist() for _ in "pd"))
            ids.append(cid)
        labels = np.asarray(ids, dtype=np.int64)
        stored = as_stored(np.stack(vectors))
        lib.vectors.add(labels, stored)
        keep_forward_lists(lib, labels, stored)
    cosine = float(copies[0] @ screenshot)
    assert VERIFY_FLOOR <= cosine < min(float(screenshot @ v) for v in look_alikes)

    shot = ids[len(copies)]
    compared = {pair for pair in pairs_to_verify(lib) if shot in pair}
    with_copies = {b if a == shot else a for a, b in compared} & set(ids[: len(copies)])
    assert with_copies
    lib.close()
