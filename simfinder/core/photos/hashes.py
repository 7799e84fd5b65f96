"""Perceptual hashes (64-bit pHash and dHash) and fast Hamming-distance search over them.

Hashes are plain Python ints in 0..2**64-1, bit for bit imagehash's ``phash``/``dhash`` with
``hash_size=8`` (bit 63 = first bit of its bit matrix, so ``f"{h:016x}"`` equals
``str(imagehash_value)``); they are computed here with numpy alone, so the app needs neither
imagehash nor SciPy (whose FFT the DCT took: about 35 MB of the installers).
SQLite stores signed 64-bit integers: convert with :func:`to_sqlite_int` /
:func:`from_sqlite_int`. Arrays of hashes are ``numpy.uint64`` (``int64``
arrays straight from SQLite are accepted too and reinterpreted bit for bit).

:func:`pairs_within` finds all pairs within a Hamming radius without comparing all pairs, by
multi-index hashing: split the 64 bits into ``m`` chunks; two hashes within distance ``d`` have at
least one chunk within distance ``d // m`` (pigeonhole), so candidates come from bucket look-ups on
each chunk (with all bit-flip variants of weight <= ``d // m``) and only they are verified.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cache
from itertools import combinations, pairwise
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

__all__ = [
    "PerceptualHashes",
    "compute_hashes",
    "compute_mirror_hashes",
    "compute_transform_hashes",
    "from_sqlite_int",
    "hamming",
    "hamming_distances",
    "pairs_within",
    "to_sqlite_int",
]

HASH_BITS: Final = 64
_U64_MASK: Final = (1 << 64) - 1
_I64_SPAN: Final = 1 << 64
_I64_MAX: Final = (1 << 63) - 1

U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PerceptualHashes:
    """pHash and dHash of one image, each an unsigned 64-bit int."""

    phash: int
    """``imagehash.phash(image, hash_size=8)`` as an int in 0..2**64-1."""
    dhash: int
    """``imagehash.dhash(image, hash_size=8)`` as an int in 0..2**64-1."""


_PHASH_SIDE: Final = 32  # pHash: the DCT of a 32x32 grey image, its 8x8 lowest frequencies


@cache
def _dct_matrix() -> npt.NDArray[np.float64]:
    """The unnormalised DCT-II as a matrix (``M @ x`` = ``scipy.fftpack.dct(x, axis=0)``)."""
    n = np.arange(_PHASH_SIDE)
    return 2.0 * np.cos(np.pi * np.outer(n, 2 * n + 1) / (2 * _PHASH_SIDE))


def _bits(b: npt.NDArray[np.bool_]) -> int:
    return int.from_bytes(np.packbits(b.ravel()).tobytes(), "big")


def _phash_of(pixels: npt.NDArray[np.float64]) -> int:
    """pHash of a 32x32 grey image: which low-frequency DCT coefficients exceed their median."""
    m = _dct_matrix()[:8]
    low = m @ pixels @ m.T  # the top-left 8x8 of the 2-D DCT, without computing the rest
    return _bits(low > np.median(low))


def _dhash_of(rows: npt.NDArray[np.int16]) -> int:
    """dHash of a 9-wide, 8-high grey image: is each pixel brighter than its left neighbour."""
    return _bits(rows[:, 1:] > rows[:, :-1])


def _shrunk(gray: Image.Image, size: tuple[int, int], dtype: type[Any]) -> npt.NDArray[Any]:
    return np.asarray(gray.resize(size, Image.Resampling.LANCZOS), dtype=dtype)


def compute_hashes(image: Image.Image) -> PerceptualHashes:
    """pHash and dHash (8x8 = 64 bits each) of ``image`` (any mode; hashed in greyscale)."""
    gray = image if image.mode == "L" else image.convert("L")
    return PerceptualHashes(
        phash=_phash_of(_shrunk(gray, (_PHASH_SIDE, _PHASH_SIDE), np.float64)),
        dhash=_dhash_of(_shrunk(gray, (9, 8), np.int16)),
    )


def compute_mirror_hashes(image: Image.Image) -> PerceptualHashes:
    """Hashes of the left-right mirrored image: compare them with another photo's normal hashes
    to find mirrored copies (pHash/dHash themselves are not mirror-invariant)."""
    gray = image if image.mode == "L" else image.convert("L")
    return compute_hashes(ImageOps.mirror(gray))


# The seven other ways a photo can lie on the grid: mirrored, turned by a quarter, a half or
# three quarters, and those mirrored. A copy made by one of them matches the original's hashes
# with that transform applied.
TRANSFORMS: Final = (
    Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.FLIP_TOP_BOTTOM,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_180,
    Image.Transpose.ROTATE_270,
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
)


_SWAPS_AXES: Final = frozenset({Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270,
                                 Image.Transpose.TRANSPOSE, Image.Transpose.TRANSVERSE})


def _turn(t: Image.Transpose, a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Image.transpose(t) for a 2-D array of pixel rows."""
    if t == Image.Transpose.FLIP_LEFT_RIGHT:
        return a[:, ::-1]
    if t == Image.Transpose.FLIP_TOP_BOTTOM:
        return a[::-1, :]
    if t == Image.Transpose.ROTATE_90:
        return np.rot90(a, 1)
    if t == Image.Transpose.ROTATE_180:
        return np.rot90(a, 2)
    if t == Image.Transpose.ROTATE_270:
        return np.rot90(a, 3)
    if t == Image.Transpose.TRANSPOSE:
        return a.T
    return np.rot90(a, 2).T  # TRANSVERSE


def compute_transform_hashes(image: Image.Image) -> list[PerceptualHashes]:
    """Hashes of the image under each of TRANSFORMS, in that order, the way imagehash makes
    pHash and dHash but from one shrunk copy per hash: a flip or quarter-turn of the 32x32
    (pHash) or 9x8 / 8x9 (dHash) grey image instead of shrinking the turned photo again.
    About 1 ms for a 256-px working image; the result is within a few bits of hashing the
    turned photo itself (resampling is not quite symmetric), well inside the distances at
    which copies are told apart. Flipped and quarter-turned copies need no second look at
    the pixels, nor a second CNN pass."""
    gray = image if image.mode == "L" else image.convert("L")
    small = _shrunk(gray, (_PHASH_SIDE, _PHASH_SIDE), np.float64)
    wide = _shrunk(gray, (9, 8), np.int16)
    tall = _shrunk(gray, (8, 9), np.int16)
    return [PerceptualHashes(phash=_phash_of(_turn(t, small)),
                             dhash=_dhash_of(_turn(t, tall if t in _SWAPS_AXES else wide)))
            for t in TRANSFORMS]


def to_sqlite_int(h: int) -> int:
    """Unsigned 64-bit hash -> the signed 64-bit integer with the same bits (for SQLite)."""
    if not 0 <= h <= _U64_MASK:
        raise ValueError(f"not an unsigned 64-bit value: {h}")
    return h - _I64_SPAN if h > _I64_MAX else h


def from_sqlite_int(v: int) -> int:
    """Inverse of :func:`to_sqlite_int`: signed 64-bit integer -> unsigned 64-bit hash."""
    if not -(1 << 63) <= v <= _I64_MAX:
        raise ValueError(f"not a signed 64-bit value: {v}")
    return v + _I64_SPAN if v < 0 else v


# --------------------------------------------------------------------------- popcount


def _as_u64(hashes: npt.ArrayLike) -> U64Array:
    arr = np.asarray(hashes)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D array of hashes, got shape {arr.shape}")
    if arr.dtype == np.uint64:
        return arr
    if arr.dtype == np.int64:  # straight from SQLite: same bits
        return arr.view(np.uint64)
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.signedinteger) and int(arr.min()) < 0:
            raise ValueError("negative hash values in a non-int64 array")
        return arr.astype(np.uint64)
    raise TypeError(f"hashes must be an integer array, got dtype {arr.dtype}")


_POPCOUNT8: Final = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(x: U64Array) -> npt.NDArray[np.uint8]:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        counted: npt.NDArray[np.uint8] = np.bitwise_count(x)
        return counted
    as_bytes = np.ascontiguousarray(x).view(np.uint8).reshape(*x.shape, 8)
    summed: npt.NDArray[np.uint8] = _POPCOUNT8[as_bytes].sum(axis=-1, dtype=np.uint8)
    return summed


def hamming(a: int, b: int) -> int:
    """Hamming distance of two hashes (unsigned or signed SQLite values; only 64 bits count).
    Python's popcount: ~50x cheaper than a numpy call when pairs come one at a time."""
    return ((a ^ b) & _U64_MASK).bit_count()


def hamming_distances(hashes: npt.ArrayLike, query: int) -> npt.NDArray[np.uint8]:
    """Hamming distance (0..64, dtype uint8) from ``query`` to each of ``hashes`` (shape (n,)).

    ``query`` may be unsigned (0..2**64-1) or a signed SQLite value; only its 64 bits count.
    """
    arr = _as_u64(hashes)
    return _popcount(arr ^ np.uint64(query & _U64_MASK))


def pairwise_distances(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Hamming distance between ``a[i]`` and ``b[i]`` for each i (arrays of equal shape)."""
    return _popcount(_as_u64(a) ^ _as_u64(b))


# --------------------------------------------------------------------------- pairs_within

_EMPTY_PAIRS_SHAPE: Final = (0, 2)
_MAX_CHUNK_BITS: Final = 22  # bucket tables of 2**22 int32 entries (16 MiB) at most
_MAX_VARIANTS: Final = 4096  # bit-flip variants per chunk we are willing to enumerate
_BLOCK: Final = 1 << 20  # (query, variant) look-ups per vectorised step
_PIECE: Final = 1 << 22  # candidate pairs expanded per vectorised step

# Per-element costs in nanoseconds (least-squares fit on numpy 2.x, x86-64) used to choose the
# number of chunks, or the all-pairs scan when that is cheaper (small n, large radius).
_COST_LOOKUP: Final = 6.0  # one (query, variant) bucket look-up
_COST_CANDIDATE: Final = 13.0  # one candidate pair expanded and verified
_COST_TABLE: Final = 2.6  # one bucket-table entry built
_COST_BRUTE: Final = 3.0  # one pair compared in the blockwise all-pairs scan


def _variants_count(bits: int, radius: int) -> int:
    return sum(math.comb(bits, k) for k in range(radius + 1))


@cache
def _variant_masks(bits: int, radius: int) -> tuple[int, ...]:
    """All non-zero ``bits``-bit masks with 1..radius bits set."""
    return tuple(
        sum(1 << p for p in positions)
        for k in range(1, radius + 1)
        for positions in combinations(range(bits), k)
    )


def _chunk_widths(m: int) -> list[int]:
    return [HASH_BITS // m + (1 if k < HASH_BITS % m else 0) for k in range(m)]


def _plan(n: int, max_distance: int) -> int | None:
    """Number of chunks for multi-index hashing, or None when the all-pairs scan is cheaper."""
    best_m: int | None = None
    best_cost = n * (n - 1) / 2 * _COST_BRUTE
    m_min = math.ceil(HASH_BITS / _MAX_CHUNK_BITS)
    for m in range(m_min, HASH_BITS + 1):
        radius = max_distance // m
        widths = _chunk_widths(m)
        cost = 0.0
        for bits in widths:
            variants = _variants_count(bits, radius)
            if variants > _MAX_VARIANTS:
                cost = math.inf
                break
            expected_candidates = n * n / 2 * variants / (1 << bits)
            cost += (
                n * variants * _COST_LOOKUP
                + expected_candidates * _COST_CANDIDATE
                + (1 << bits) * _COST_TABLE
            )
        if cost < best_cost:
            best_m, best_cost = m, cost
    return best_m


def _expand_ranges(
    owners: I64Array, starts: I64Array, counts: I64Array
) -> tuple[I64Array, I64Array]:
    """For each k, pair owners[k] with every position in [starts[k], starts[k] + counts[k])."""
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    before = np.cumsum(counts) - counts
    positions = np.repeat(starts - before, counts) + np.arange(total, dtype=np.int64)
    return np.repeat(owners, counts), positions


def _pieces(counts: I64Array) -> list[tuple[int, int]]:
    """Split ``counts`` into consecutive index ranges whose sums are about _PIECE at most."""
    if counts.size == 0:
        return []
    cumulative = np.cumsum(counts)
    bounds = [0]
    while bounds[-1] < counts.size:
        start = bounds[-1]
        offset = int(cumulative[start - 1]) if start else 0
        end = int(np.searchsorted(cumulative, offset + _PIECE, side="right"))
        bounds.append(max(end, start + 1))
    return list(pairwise(bounds))


_LEVELS: Final = 16  # bucket ranges are walked level by level up to this depth, then expanded


def _verify(
    h: U64Array,
    sorted_h: U64Array,
    owners: I64Array,
    starts: I64Array,
    counts: I64Array,
    order: I64Array,
    d: int,
) -> list[I64Array]:
    """Verify owners[k] against the bucket slice order[starts[k] : starts[k] + counts[k]].

    Buckets are mostly tiny, so the first _LEVELS entries of every slice are checked level by
    level (no index expansion); the rest of the few long slices are expanded in pieces."""
    found: list[I64Array] = []
    n = h.size
    owner_h = h[owners]
    active = np.flatnonzero(counts > 0)
    level = 0
    while active.size and level < _LEVELS:
        positions = starts[active] + level
        close = _popcount(owner_h[active] ^ sorted_h[positions]) <= d
        if close.any():
            i, j = owners[active[close]], order[positions[close]]
            found.append(np.minimum(i, j) * n + np.maximum(i, j))
        level += 1
        active = active[counts[active] > level]
    if active.size:
        rest_owners, rest_starts = owners[active], starts[active] + level
        rest_counts = counts[active] - level
        for lo, hi in _pieces(rest_counts):
            i, positions = _expand_ranges(
                rest_owners[lo:hi], rest_starts[lo:hi], rest_counts[lo:hi]
            )
            close = _popcount(h[i] ^ sorted_h[positions]) <= d
            if close.any():
                i, j = i[close], order[positions[close]]
                found.append(np.minimum(i, j) * n + np.maximum(i, j))
    return found


def _chunk_keys(h: U64Array, m: int) -> list[tuple[int, npt.NDArray[np.int32]]]:
    """Split every hash into m chunks (bit width, chunk value). Bits are assigned to chunks
    through a fixed pseudo-random permutation, so that runs of correlated neighbouring bits
    (common in dHash rows and pHash low frequencies) are spread over all chunks and every
    chunk gets a fair share of the entropy."""
    bits = np.unpackbits(h.astype(">u8").view(np.uint8).reshape(-1, 8), axis=1)  # MSB first
    keys: list[tuple[int, npt.NDArray[np.int32]]] = []
    start = 0
    for width in _chunk_widths(m):
        key = np.zeros(h.size, dtype=np.int32)
        for position in _BIT_ORDER[start : start + width]:
            key <<= 1
            key |= bits[:, position]
        keys.append((width, key))
        start += width
    return keys


_BIT_ORDER: Final = tuple(int(i) for i in np.random.default_rng(0x5F1D).permutation(HASH_BITS))


def _pairs_mih(h: U64Array, d: int, m: int) -> list[I64Array]:
    n = h.size
    radius = d // m
    found: list[I64Array] = []
    for bits, keys in _chunk_keys(h, m):
        order = np.argsort(keys, kind="stable").astype(np.int64)
        counts = np.bincount(keys, minlength=1 << bits).astype(np.int64)
        starts = np.cumsum(counts) - counts

        # Same chunk value: pair each element with the ones after it in its bucket (each pair once).
        sorted_keys = keys[order]
        positions = np.arange(n, dtype=np.int64)
        after = starts[sorted_keys] + counts[sorted_keys] - positions - 1
        sorted_h = h[order]
        found += _verify(h, sorted_h, order, positions + 1, after, order, d)

        # Chunk values differing in 1..radius bits: look up every flipped variant; keep only
        # variants greater than the query's value so that each unordered pair is seen once.
        masks = np.asarray(_variant_masks(bits, radius), dtype=np.int32)
        if masks.size == 0:
            continue
        occupied = counts > 0
        block = max(1, _BLOCK // masks.size)
        for lo in range(0, n, block):
            query = keys[lo : lo + block, None]
            variants = query ^ masks[None, :]
            hits = occupied[variants]
            hits &= variants > query
            flat = np.flatnonzero(hits)
            if flat.size == 0:
                continue
            wanted = variants.ravel()[flat]
            owners = flat // masks.size + lo
            found += _verify(h, sorted_h, owners, starts[wanted], counts[wanted], order, d)
    return found


def _pairs_brute(h: U64Array, d: int) -> list[I64Array]:
    n = h.size
    found: list[I64Array] = []
    block = max(1, _PIECE // max(n, 1))
    for lo in range(0, n - 1, block):
        hi = min(n - 1, lo + block)
        dist = _popcount(h[lo:hi, None] ^ h[None, lo + 1 :])  # row r, column c <-> (lo+r, lo+1+c)
        rows, cols = np.nonzero(dist <= d)
        i = rows.astype(np.int64) + lo
        j = cols.astype(np.int64) + lo + 1
        keep = j > i
        if keep.any():
            found.append(i[keep] * n + j[keep])
    return found


def pairs_within(hashes: npt.ArrayLike, max_distance: int) -> I64Array:
    """All index pairs ``(i, j)``, ``i < j``, with Hamming distance <= ``max_distance``.

    Returns an int64 array of shape (m, 2), sorted by i then j, without duplicates. Uses
    multi-index hashing (or, for small inputs or large radii, a blockwise vectorised scan,
    whichever the cost model predicts is cheaper). The output itself can be quadratic when
    many hashes are (nearly) equal: that is the caller's data, not the search.
    """
    h = _as_u64(hashes)
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0, got {max_distance}")
    n = h.size
    if n < 2:
        return np.zeros(_EMPTY_PAIRS_SHAPE, dtype=np.int64)
    d = min(max_distance, HASH_BITS)
    m = _plan(n, d) if d < HASH_BITS else None
    found = _pairs_mih(h, d, m) if m is not None else _pairs_brute(h, d)
    if not found:
        return np.zeros(_EMPTY_PAIRS_SHAPE, dtype=np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack([codes // n, codes % n], axis=1).astype(np.int64)
