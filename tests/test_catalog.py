from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from simfinder.core.store.catalog import (
    SCHEMA_VERSION,
    Catalog,
    CatalogError,
    ContentFeatures,
    as_stored,
)
from simfinder.core.store.catalog import evidence as catalog_evidence
from simfinder.core.store.layout import CATALOG_FILE
from simfinder.core.store.library import Library


def features(digest: bytes, dim: int = 8, seed: int = 0) -> ContentFeatures:
    vec = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return ContentFeatures(digest, 640, 480, "JPEG", "2024-05-01T10:00:00", "Canon X", -5, 7,
                           "model-a", vec / np.linalg.norm(vec))


def test_new_catalog_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    assert cat.schema_version() == SCHEMA_VERSION
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_library_opened_in_a_with_block_is_closed_after_it_even_on_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(RuntimeError), Library.open(tmp_path / "lib") as library:
        library.catalog.add_folder("/photos")
        raise RuntimeError("the command failed")
    with pytest.raises(sqlite3.ProgrammingError):  # the connection is closed
        library.catalog.folders()
    with Catalog(tmp_path / "lib" / CATALOG_FILE) as cat:
        assert cat.folders() == ["/photos"]  # what was written before the error is kept
    with pytest.raises(sqlite3.ProgrammingError):
        cat.folders()


def test_catalog_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "c.sqlite")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(CatalogError, match="schema"):
        Catalog(tmp_path / "c.sqlite")


def test_files_share_content_and_orphans_are_collected(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    with cat.transaction():
        cid = cat.put_content(features(b"d1"))
        cat.put_file("/p/a.jpg", 10, 1, cid)
        cat.put_file("/p/sub/b.jpg", 10, 2, cid)
    assert set(cat.file_states_under("/p")) == {"/p/a.jpg", "/p/sub/b.jpg"}
    assert cat.file_states_under("/p/sub") == {"/p/sub/b.jpg": cat.file_state("/p/sub/b.jpg")}
    # "/p" must not match "/pictures"
    assert cat.file_states_under("/pictures") == {}
    with cat.transaction():
        cat.remove_files(["/p/a.jpg"])
        assert cat.remove_orphan_contents() == []
        cat.remove_files(["/p/sub/b.jpg"])
        assert [d for _, d in cat.remove_orphan_contents()] == [b"d1"]
    assert cat.content_count() == 0


def test_content_ids_are_never_reused(tmp_path: Path) -> None:
    # They label vectors in the hnswlib index, which cannot re-add a deleted label.
    cat = Catalog(tmp_path / "c.sqlite")
    with cat.transaction():
        first = cat.put_content(features(b"d1"))
        cat.put_file("/p/a.jpg", 1, 1, first)
    with cat.transaction():
        cat.remove_files(["/p/a.jpg"])
        cat.remove_orphan_contents()
    with cat.transaction():
        second = cat.put_content(features(b"d2"))
    assert second > first


def test_embeddings_and_hashes_round_trip(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    f = features(b"d1")
    with cat.transaction():
        cid = cat.put_content(f)
        cat.put_file("/p/a.jpg", 1, 1, cid)
    ids, matrix = cat.embeddings("model-a", 8)
    assert ids.tolist() == [cid]
    # kept at half precision: what comes back is what as_stored gives, close to what went in
    np.testing.assert_array_equal(matrix[0], as_stored(f.embedding))
    np.testing.assert_allclose(matrix[0], f.embedding, atol=1e-3)
    assert cat.embeddings("other-model", 8)[0].size == 0
    assert cat.content_hashes(cid) == (2**64 - 5, 7)


def test_non_utf8_file_names_survive(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    weird = os.fsdecode(b"/p/caf\xe9.jpg")  # Latin-1 name on a UTF-8 file system
    with cat.transaction():
        cid = cat.put_content(features(b"d1"))
        cat.put_file(weird, 1, 1, cid)
    assert cat.photos()[0].path == weird
    assert os.fsencode(cat.photos()[0].path) == b"/p/caf\xe9.jpg"


def test_an_error_replaces_the_file_and_indexing_clears_the_error(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    with cat.transaction():
        cat.put_error("/p/bad.jpg", 3, 4, "truncated or corrupt image data")
    assert [(e.path, e.reason) for e in cat.errors()] == [
        ("/p/bad.jpg", "truncated or corrupt image data")
    ]
    with cat.transaction():
        cid = cat.put_content(features(b"d1"))
        cat.put_file("/p/bad.jpg", 5, 6, cid)
    assert cat.errors() == []


def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    with pytest.raises(RuntimeError), cat.transaction():
        cid = cat.put_content(features(b"d1"))
        cat.put_file("/p/a.jpg", 1, 1, cid)
        raise RuntimeError("power cut")
    assert cat.file_count() == 0 and cat.content_count() == 0


def test_a_schema_3_catalog_gains_decisions_and_review_keeping_its_photos(
    tmp_path: Path,
) -> None:
    from simfinder.core.store.catalog.schema import MIGRATIONS as _MIGRATIONS

    db = sqlite3.connect(tmp_path / "c.sqlite")
    for n, step in enumerate(_MIGRATIONS[:3], 1):
        db.executescript(f"BEGIN; {step}; PRAGMA user_version = {n}; COMMIT;")
    db.close()
    old = Catalog(tmp_path / "c.sqlite")
    assert old.schema_version() == SCHEMA_VERSION >= 4
    with old.transaction():
        cid = old.put_content(features(b"a"))
        old.put_file("/p/a.jpg", 10, 1, cid)
    decision = old.add_decision("keep-all", "group", [(b"a", "/p/a.jpg"), (b"b", "/p/b.jpg")])
    # A decision outlives the contents it names (they may come back), and can be undone.
    with old.transaction():
        old.remove_files(["/p/a.jpg"])
        old.remove_orphan_contents()
    assert [d.id for d in old.decisions()] == [decision]
    assert {f.path for f in old.decisions()[0].files} == {"/p/a.jpg", "/p/b.jpg"}
    assert old.remove_decisions([decision, 999]) == 1
    assert old.decisions() == []
    old.set_review_mark("/p/a.jpg", False)
    old.set_review_done(b"k" * 16, True)
    old.set_review_position("loose", b"k" * 16)
    state = old.review_state()
    assert (state.marks, state.done, state.strictness, state.position) == \
        ({"/p/a.jpg": False}, {b"k" * 16}, "loose", b"k" * 16)
    old.clear_review()
    assert old.review_state().empty
    old.close()


def test_a_schema_11_catalog_gains_the_similar_shots_review_keeping_its_decisions(
    tmp_path: Path,
) -> None:
    from simfinder.core.store.catalog.schema import MIGRATIONS as _MIGRATIONS

    db = sqlite3.connect(tmp_path / "c.sqlite")
    for n, step in enumerate(_MIGRATIONS[:11], 1):
        db.executescript(f"BEGIN; {step}; PRAGMA user_version = {n}; COMMIT;")
    db.close()
    old = Catalog(tmp_path / "c.sqlite")
    kept = old.add_series_decision("keep-all", [(b"a", "/p/a.jpg"), (b"b", "/p/b.jpg")])
    old.close()

    cat = Catalog(tmp_path / "c.sqlite")
    assert cat.schema_version() == SCHEMA_VERSION >= 12
    assert [d.id for d in cat.series_decisions()] == [kept]
    assert cat.series_review().marked == cat.series_review().done == frozenset()
    cat.set_series_marks([b"a", b"b"], True)
    cat.set_series_done([b"k" * 16], True)
    cat.set_series_marks([b"a"], False)
    cat.close()
    back = Catalog(tmp_path / "c.sqlite")  # saved: there on the next opening
    assert back.series_review().marked == {b"b"}
    assert back.series_review().done == {b"k" * 16}
    back.set_series_done([b"k" * 16], False)
    assert back.series_review().done == frozenset()
    # The duplicates review is another: starting it over leaves the series' marks.
    back.clear_review()
    assert back.series_review().marked == {b"b"}
    back.close()


def test_embeddings_written_at_single_precision_are_still_read(tmp_path: Path) -> None:
    # Catalogs of earlier versions kept float32 embeddings.
    cat = Catalog(tmp_path / "c.sqlite")
    f = features(b"d1")
    with cat.transaction():
        cid = cat.put_content(f)
    cat._db.execute("UPDATE contents SET embedding = ? WHERE id = ?",
                    (f.embedding.astype(np.float32).tobytes(), cid))
    cat._db.commit()
    np.testing.assert_array_equal(cat.embeddings("model-a", 8)[1][0], f.embedding)


def test_half_precision_keeps_the_cosines(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(50, 256)).astype(np.float32)
    vecs[25:] = vecs[:25] + 0.2 * rng.normal(size=(25, 256)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    cat = Catalog(tmp_path / "c.sqlite")
    with cat.transaction():
        for i, v in enumerate(vecs):
            cat.put_content(ContentFeatures(bytes([i]), 1, 1, "JPEG", None, None, 0, 0, "m", v))
    _, back = cat.embeddings("m", 256)
    assert np.abs(back @ back.T - vecs @ vecs.T).max() < 1e-3


def test_stored_pair_checks_are_found_among_many_or_few_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Grouping asks for most stored pairs at once, a search for a few: both get exactly the
    stored verifications of the pairs they asked for, of the verifier version asked for."""
    monkeypatch.setattr(catalog_evidence, "SCAN_PAIRS", 50)  # "many" here: one scan
    cat = Catalog(tmp_path / "c.sqlite")
    with cat.transaction():
        ids = [cat.put_content(features(bytes([n]))) for n in range(40)]
    stored = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 : i + 4]]
    values = (12, 9, 1.5, None, 0.5, 0.9, 0.8, 0, 3.0, 1.0)
    cat.put_pair_checks(((a, b, values) for a, b in stored), 7)
    cat.put_pair_checks([(ids[0], ids[-1], values)], 6)  # another verifier's
    unknown = [(ids[0], ids[20]), (ids[5], ids[30])]

    many = cat.pair_checks([*stored, *unknown], 7)
    assert set(many) == set(stored) and many[stored[0]] == values
    assert cat.checked_pairs([*stored, *unknown, (ids[0], ids[-1])], 7) == set(stored)
    few = [stored[3], stored[50], *unknown]
    assert set(cat.pair_checks(few, 7)) == {stored[3], stored[50]}
    assert cat.checked_pairs(few, 7) == {stored[3], stored[50]}
    assert cat.checked_pairs([(ids[0], ids[-1])], 6) == {(ids[0], ids[-1])}
    assert cat.pair_checks([], 7) == {}


def test_a_stage_fingerprint_is_kept_until_replaced(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite")
    assert cat.stage_fingerprint("compare") is None
    cat.put_stage_fingerprint("compare", b"one")
    cat.put_stage_fingerprint("compare", b"two")
    cat.close()
    again = Catalog(tmp_path / "c.sqlite")
    assert again.stage_fingerprint("compare") == b"two"
    assert again.stage_fingerprint("other") is None


def test_shot_measures_are_read_back_for_the_contents_asked_at_their_version(
        tmp_path: Path) -> None:
    """More contents than one query takes (1,200 over chunks of 500): each one's measures,
    only at the version asked, none for a content never measured."""
    cat = Catalog(tmp_path / "c.sqlite")
    with cat.transaction():
        ids = [cat.put_content(features(n.to_bytes(4, "big"), seed=n)) for n in range(1200)]
    cat.put_shot_measures(((c, f'{{"n": {c}}}') for c in ids[:1100]), 3)
    cat.put_shot_measures([(ids[5], '{"old": 1}')], 2)  # measured again at another version
    got = cat.shot_measures([*ids, 999_999], 3)
    assert set(got) == set(ids[:1100]) - {ids[5]}
    assert got[ids[1099]] == f'{{"n": {ids[1099]}}}'
    assert cat.shot_measures([ids[5]], 2) == {ids[5]: '{"old": 1}'}
    cat.close()
