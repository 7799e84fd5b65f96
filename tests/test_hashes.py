"""Tests for simfinder.core.photos.hashes."""

from __future__ import annotations

import io
import itertools
import sqlite3

import imagehash
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter, ImageOps

from simfinder.core.photos import hashes
from simfinder.core.photos.decode import DecodedPhoto, decode_photo
from simfinder.core.photos.hashes import (
    PerceptualHashes,
    compute_hashes,
    compute_mirror_hashes,
    from_sqlite_int,
    hamming_distances,
    pairs_within,
    pairwise_distances,
    to_sqlite_int,
)
from tests.datasets import dataset

U64 = st.integers(min_value=0, max_value=2**64 - 1)


def popcount(x: int) -> int:
    return bin(x).count("1")


def scene(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A smooth random 'photo': low-frequency noise, upsampled and blurred."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    im = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    return im.filter(ImageFilter.GaussianBlur(3))


def reencode(im: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as reopened:
        return reopened.convert("RGB")


def brute_pairs(values: np.ndarray, d: int) -> np.ndarray:
    ints = [int(v) for v in values]
    found = [
        (i, j)
        for i, j in itertools.combinations(range(len(ints)), 2)
        if popcount(ints[i] ^ ints[j]) <= d
    ]
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def brute_pairs_np(values: np.ndarray, d: int) -> np.ndarray:
    """Row-by-row all-pairs reference (hamming_distances is checked against Python above)."""
    found: list[tuple[int, int]] = []
    for i in range(len(values) - 1):
        close = np.flatnonzero(hamming_distances(values[i + 1 :], int(values[i])) <= d)
        found.extend((i, i + 1 + int(j)) for j in close)
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def planted(n: int, seed: int, near_fraction: float = 0.3, max_flips: int = 14) -> np.ndarray:
    """Random hashes where a fraction are copies of others with 0..max_flips bits flipped."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    for _ in range(int(n * near_fraction)):
        src, dst = rng.integers(0, n, size=2)
        v = int(values[src])
        for bit in rng.choice(64, size=int(rng.integers(0, max_flips + 1)), replace=False):
            v ^= 1 << int(bit)
        values[dst] = v
    return values


# --------------------------------------------------------------------------- compute_hashes


def assert_imagehash_bit_for_bit(images: list[Image.Image]) -> None:
    for im in images:
        result = compute_hashes(im)
        assert result.phash == int(str(imagehash.phash(im, hash_size=8)), 16)
        assert result.dhash == int(str(imagehash.dhash(im, hash_size=8)), 16)


def test_hashes_of_camera_photos_are_imagehash_bit_for_bit() -> None:
    photos = sorted(dataset("camera_photos", "images").rglob("*.jpg"))[:12]
    assert len(photos) == 12
    assert_imagehash_bit_for_bit([Image.open(p).reduce(8) for p in photos])


def test_hashes_are_imagehash_bit_for_bit() -> None:
    """Libraries indexed with imagehash's pHash/dHash keep matching after the switch to numpy."""
    assert_imagehash_bit_for_bit([scene(seed, (320 + 37 * seed, 240)) for seed in range(20)])
    im = scene(1)
    result = compute_hashes(im)
    assert isinstance(result, PerceptualHashes)
    assert 0 <= result.phash < 2**64 and 0 <= result.dhash < 2**64
    assert compute_hashes(im.convert("L")) == result  # greyscale either way
    assert compute_hashes(im.convert("RGBA")) == result


def test_resized_and_reencoded_copy_is_close() -> None:
    for seed in range(5):
        original = scene(seed, (640, 480))
        copy = reencode(original.resize((300, 225), Image.Resampling.BILINEAR), quality=40)
        a, b = compute_hashes(original), compute_hashes(copy)
        assert popcount(a.phash ^ b.phash) <= 4
        assert popcount(a.dhash ^ b.dhash) <= 6


def test_different_images_are_far_apart() -> None:
    values = [compute_hashes(scene(seed)) for seed in range(12)]
    for a, b in itertools.combinations(values, 2):
        assert popcount(a.phash ^ b.phash) >= 12
        assert popcount(a.dhash ^ b.dhash) >= 8


def test_real_photos_duplicates_close_distinct_far() -> None:
    suite = dataset("duplicateimages_tests", "images")
    base = suite / "equal_but_binary_different"
    group = [
        base / "jpeg_vs_heic/20221026_124702.jpg",
        base / "jpeg_vs_heic/20221026_124702.heic",
        base / "shrunk10%/20221026_124702_90%.jpg",
        base / "heic_bit_depth/20221026_124702_10bit.heic",
        suite / "jpeg_artifacts/jpeg_10/20221026_124702_q10.jpg",
    ]
    decoded = [decode_photo(p) for p in group]
    assert all(isinstance(d, DecodedPhoto) for d in decoded)
    values = [compute_hashes(d.image) for d in decoded if isinstance(d, DecodedPhoto)]
    for a, b in itertools.combinations(values, 2):
        assert popcount(a.phash ^ b.phash) <= 4

    distinct = sorted(dataset("imagededup_tests/images/base_images").glob("*.jpg"))
    assert len(distinct) == 10
    photos = [decode_photo(p) for p in distinct]
    far = [compute_hashes(d.image) for d in photos if isinstance(d, DecodedPhoto)]
    assert len(far) == 10
    for a, b in itertools.combinations(far, 2):
        assert popcount(a.phash ^ b.phash) > 6


def test_mirror_hashes() -> None:
    im = scene(7)
    mirrored = ImageOps.mirror(im)
    assert compute_mirror_hashes(im) == compute_hashes(mirrored)
    assert compute_mirror_hashes(mirrored) == compute_hashes(im)
    assert popcount(compute_hashes(im).phash ^ compute_hashes(mirrored).phash) > 8


# --------------------------------------------------------------------------- SQLite ints


@pytest.mark.parametrize("value", [0, 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1, 0xDEADBEEF])
def test_sqlite_round_trip_edges(value: int) -> None:
    stored = to_sqlite_int(value)
    assert -(2**63) <= stored < 2**63
    assert from_sqlite_int(stored) == value
    assert stored == int(np.array([value], dtype=np.uint64).view(np.int64)[0])


@given(U64)
def test_sqlite_round_trip_property(value: int) -> None:
    assert from_sqlite_int(to_sqlite_int(value)) == value


def test_sqlite_storage_for_real() -> None:
    values = [0, 2**63, 2**64 - 1, 12345]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE h (v INTEGER)")
    with pytest.raises(OverflowError):
        db.execute("INSERT INTO h VALUES (?)", (2**63,))  # why the conversion exists
    db.executemany("INSERT INTO h VALUES (?)", [(to_sqlite_int(v),) for v in values])
    back = [from_sqlite_int(v) for (v,) in db.execute("SELECT v FROM h ORDER BY rowid")]
    assert back == values
    column = np.array([v for (v,) in db.execute("SELECT v FROM h ORDER BY rowid")], np.int64)
    assert hamming_distances(column, 2**64 - 1).tolist() == [64, 63, 0, 58]


def test_sqlite_range_checked() -> None:
    for bad in (-1, 2**64):
        with pytest.raises(ValueError):
            to_sqlite_int(bad)
    for bad in (2**63, -(2**63) - 1):
        with pytest.raises(ValueError):
            from_sqlite_int(bad)


# --------------------------------------------------------------------------- hamming_distances


@given(st.lists(U64, max_size=50), U64)
def test_hamming_distances_matches_python(values: list[int], query: int) -> None:
    arr = np.array(values, dtype=np.uint64)
    got = hamming_distances(arr, query)
    assert got.dtype == np.uint8
    assert got.tolist() == [popcount(v ^ query) for v in values]
    signed = arr.view(np.int64)  # straight from SQLite
    assert hamming_distances(signed, to_sqlite_int(query)).tolist() == got.tolist()


def test_hamming_distances_lookup_table_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 2**64, size=1000, dtype=np.uint64)
    expected = [popcount(int(v) ^ 0x0123456789ABCDEF) for v in arr]
    monkeypatch.delattr(np, "bitwise_count", raising=False)  # numpy < 2.0
    assert hamming_distances(arr, 0x0123456789ABCDEF).tolist() == expected
    assert pairs_within(np.array([0, 1, 3, 2**64 - 1], np.uint64), 1).tolist() == [[0, 1], [1, 2]]
    values = planted(3000, seed=5)  # multi-index path
    assert np.array_equal(pairs_within(values, 8), brute_pairs_np(values, 8))


def test_hamming_distances_input_checks() -> None:
    assert hamming_distances(np.array([1, 2, 3], dtype=np.uint8), 0).tolist() == [1, 1, 2]
    assert hamming_distances(np.zeros(0, dtype=np.uint64), 5).shape == (0,)
    with pytest.raises(ValueError):
        hamming_distances(np.zeros((2, 2), dtype=np.uint64), 0)
    with pytest.raises(TypeError):
        hamming_distances(np.zeros(3, dtype=np.float64), 0)
    with pytest.raises(ValueError):
        hamming_distances(np.array([-1, 2], dtype=np.int32), 0)


# --------------------------------------------------------------------------- pairs_within


def test_pairs_within_small_examples() -> None:
    values = np.array([0b0000, 0b0001, 0b0011, 0b1111, 0b0000], dtype=np.uint64)
    assert pairs_within(values, 0).tolist() == [[0, 4]]
    assert pairs_within(values, 1).tolist() == [[0, 1], [0, 4], [1, 2], [1, 4]]
    assert pairs_within(values, 64).shape == (10, 2)
    assert pairs_within(values, 1000).shape == (10, 2)
    empty = pairs_within(np.zeros(1, dtype=np.uint64), 5)
    assert empty.shape == (0, 2) and empty.dtype == np.int64
    assert pairs_within(np.zeros(0, dtype=np.uint64), 5).shape == (0, 2)
    with pytest.raises(ValueError):
        pairs_within(values, -1)


def test_pairs_within_identical_hashes() -> None:
    values = np.full(300, 0xFFFF0000FFFF0000, dtype=np.uint64)
    result = pairs_within(values, 0)
    assert result.shape == (300 * 299 // 2, 2)
    assert np.all(result[:, 0] < result[:, 1])


@pytest.mark.parametrize("n", [40, 700, 3000])
@pytest.mark.parametrize("d", [0, 1, 2, 3, 5, 7, 8, 10, 12, 20])
def test_pairs_within_equals_brute_force(n: int, d: int) -> None:
    values = planted(n, seed=n * 100 + d)
    got = pairs_within(values, d)
    expected = brute_pairs(values, d) if n <= 700 else brute_pairs_np(values, d)
    assert got.dtype == np.int64 and got.ndim == 2 and got.shape[1] == 2
    assert np.array_equal(got, expected)
    assert np.all(got[:, 0] < got[:, 1])


@pytest.mark.parametrize("m", [3, 4, 5, 6, 8, 11])
def test_multi_index_hashing_every_chunking(m: int) -> None:
    values = planted(1500, seed=m)
    for d in (0, 2, 4, 6, 9, 11):
        expected = brute_pairs_np(values, d)
        got = hashes._pairs_mih(values, d, m)
        codes = np.unique(np.concatenate(got)) if got else np.zeros(0, np.int64)
        assert np.array_equal(np.stack([codes // 1500, codes % 1500], axis=1), expected)


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(U64, min_size=0, max_size=40),
    flips=st.lists(
        st.tuples(st.integers(0, 39), st.lists(st.integers(0, 63), max_size=12)), max_size=40
    ),
    d=st.integers(0, 16),
)
def test_pairs_within_property(base: list[int], flips: list[tuple[int, list[int]]], d: int) -> None:
    values = list(base)
    for src, bits in flips:  # plant near-duplicates of existing hashes
        if values:
            v = values[src % len(values)]
            for bit in bits:
                v ^= 1 << bit
            values.append(v)
    arr = np.array(values, dtype=np.uint64)
    assert np.array_equal(pairs_within(arr, d), brute_pairs(arr, d))


def test_pairs_within_accepts_sqlite_int64() -> None:
    values = planted(500, seed=9)
    assert np.array_equal(pairs_within(values.view(np.int64), 6), pairs_within(values, 6))


def test_pairs_within_finds_planted_pairs_among_100k() -> None:
    # Speed is measured in bench/, not here; this checks the multi-index path at scale.
    rng = np.random.default_rng(11)
    values = rng.integers(0, 2**64, size=100_000, dtype=np.uint64)
    values[50_000:50_100] = values[:100] ^ np.uint64(0b1011)  # 100 planted pairs at distance 3
    result = pairs_within(values, 10)
    found = {tuple(p) for p in result.tolist()}
    assert all((i, 50_000 + i) in found for i in range(100))
    for i, j in result.tolist():
        assert popcount(int(values[i]) ^ int(values[j])) <= 10


def test_pairwise_distances_match_bit_counts() -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2**64, size=200, dtype=np.uint64)
    b = rng.integers(0, 2**64, size=200, dtype=np.uint64)
    got = pairwise_distances(a, b.view(np.int64))
    assert got.tolist() == [bin(int(x) ^ int(y)).count("1") for x, y in zip(a, b, strict=True)]
