"""Comparing likely copies after indexing: `simfinder index` verifies what grouping would, so
that finding duplicates afterwards verifies nothing; it can be stopped, killed and resumed."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simfinder.core.matching.grouping as grouping
import simfinder.core.matching.pairchecks as pairchecks
from simfinder.app.usecases import EmbedderProvider, index_folders
from simfinder.cli import main
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching import pending_checks
from simfinder.core.matching.grouping import find_duplicate_groups, pairs_to_verify
from simfinder.core.matching.pending_checks import compare_likely_copies
from simfinder.core.matching.similarity import Strictness
from simfinder.core.matching.verify import VERIFY_VERSION
from simfinder.core.progress import CancelToken, Progress
from simfinder.core.store.check import check_library
from simfinder.core.store.library import Library
from tests.photos import edited_copies


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    return edited_copies(tmp_path / "photos")


def group_names(lib: Library, strictness: Strictness) -> set[frozenset[str]]:
    return {frozenset(Path(p.path).name for p in g.photos)
            for g in find_duplicate_groups(lib, strictness)}


def stored_pairs(lib: Library) -> set[frozenset[bytes]]:
    """The stored verifications, by content digest (ids differ between libraries)."""
    digests = lib.catalog.content_digests()
    rows = lib.catalog._db.execute("SELECT a, b FROM pair_checks").fetchall()
    return {frozenset((digests[a], digests[b])) for a, b in rows}


def no_verifying(*args: object, **kwargs: object) -> None:
    raise AssertionError("verified while finding duplicates")


def test_after_indexing_finding_duplicates_verifies_nothing_and_finds_the_same_groups(
    tmp_path: Path, photos: Path, embedder: EmbedderProvider,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # Without the stage (the indexer alone), grouping verifies while the user waits.
    plain = Library.open(tmp_path / "plain")
    Indexer(plain, embedder).run([photos])
    expected = {s: group_names(plain, s) for s in Strictness}
    assert frozenset({"coins.jpg", "coins-crop.png", "coins-mirror.jpg",
                      "coins-turned.jpg"}) in expected[Strictness.NORMAL]

    # `simfinder index` compares the likely copies and says so.
    assert main(["--library", str(tmp_path / "lib"), "index", str(photos)]) == 0
    err = capsys.readouterr().err
    lib = Library.open(tmp_path / "lib")
    wanted = pairs_to_verify(lib)
    assert len(wanted) > 10
    assert "Compared likely copies in " in err
    verified = lib.catalog._db.execute("SELECT count(*) FROM pair_checks").fetchone()[0]
    assert len(lib.catalog.checked_pairs(wanted, VERIFY_VERSION)) == len(wanted) <= verified
    assert f"{verified} pairs verified now, 0 earlier." in err
    assert stored_pairs(lib) == stored_pairs(plain)

    # Finding duplicates then verifies nothing, at any strictness, and finds the same groups.
    monkeypatch.setattr(pairchecks, "verify_pair", no_verifying)
    for strictness in Strictness:
        assert group_names(lib, strictness) == expected[strictness]
    assert main(["--library", str(tmp_path / "lib"), "duplicates", "--json"]) == 0
    assert "coins-crop.png" in capsys.readouterr().out

    # Indexing again with nothing changed does not look for the pairs again, nor says anything.
    monkeypatch.setattr(grouping, "pairs_to_verify", no_verifying)
    assert main(["--library", str(tmp_path / "lib"), "index", str(photos)]) == 0
    assert "Compared likely copies" not in capsys.readouterr().err


def test_a_stopped_comparison_is_finished_by_the_next_index_run(
    tmp_path: Path, photos: Path, embedder: EmbedderProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pending_checks, "CHUNK", 4)
    cancel = CancelToken()
    seen: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress)
        if progress.phase == "comparing" and progress.done > 0:
            cancel.cancel()  # Stop, as soon as the first pairs are compared

    lib = Library.open(tmp_path / "lib")
    run = index_folders(lib, [photos], embedder, progress=on_progress, cancel=cancel)
    assert not run.index.cancelled and run.cancelled
    first = run.comparison
    assert first is not None and first.cancelled
    assert first.verified == 4 and first.left == first.pairs - 4
    comparing = [(p.done, p.total) for p in seen if p.phase == "comparing"]
    assert comparing[0] == (0, 0) and comparing[-1] == (4, first.pairs)  # looking, stopped
    assert len(stored_pairs(lib)) == 4

    second = index_folders(lib, [photos], embedder).comparison
    assert second is not None and not second.cancelled and not second.skipped
    # It verifies the rest, and then the pairs the copies it verified let the photos near them
    # reach (candidates: a photo's known copies do not take its neighbours' places).
    assert (second.stored_before, second.left) == (4, 0)
    assert second.verified == second.pairs - 4 >= first.pairs - 4
    assert len(stored_pairs(lib)) == second.pairs

    third = index_folders(lib, [photos], embedder).comparison
    assert third is not None and third.skipped


def test_pairs_without_pixels_are_counted_once_not_pending_forever(
    tmp_path: Path, photos: Path, embedder: EmbedderProvider,
) -> None:
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([photos])
    crop = lib.catalog.photo(str(photos / "edits" / "coffee-crop.png"))
    assert crop is not None
    with_crop = [pair for pair in pairs_to_verify(lib) if crop.content_id in pair]
    assert with_crop
    # The crop has no thumbnail and its file no longer decodes (same size and time: the
    # indexer does not look at it again).
    lib.thumbs.path_for(crop.digest).unlink()
    path = Path(crop.path)
    stat = path.stat()
    path.write_bytes(b"\0" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    report = compare_likely_copies(lib)
    assert not report.cancelled and report.left == 0
    # Every pair with the crop is counted as unverifiable (rounds after the first can bring more
    # of them, as verified copies let photos reach further); every other pair is verified.
    assert report.unverifiable >= len(with_crop)
    assert report.verified + report.unverifiable == report.pairs
    assert not lib.catalog.checked_pairs(with_crop, VERIFY_VERSION)
    assert compare_likely_copies(lib).skipped  # done: not tried again until something changes


# The child compares in chunks of 2 pairs and says when each chunk is stored, so the parent can
# kill it at a known point of the stage rather than guess from the clock.
CHILD = """
import sys
from pathlib import Path
import simfinder.core.matching.pairchecks as pairchecks
from simfinder.core.store.library import Library
from simfinder.core.matching.pending_checks import compare_likely_copies
store = pairchecks.PairChecker._store
def store_and_say(self, fresh):
    store(self, fresh)
    print("stored", len(fresh), flush=True)
pairchecks.PairChecker._store = store_and_say
compare_likely_copies(Library.open(Path(sys.argv[1])), chunk=2)
print("done", flush=True)
"""


@pytest.mark.slow
def test_kill_while_comparing_loses_nothing_stored_and_the_next_run_resumes(
    tmp_path: Path, photos: Path, embedder: EmbedderProvider,
) -> None:
    reference = Library.open(tmp_path / "reference")
    Indexer(reference, embedder).run([photos])
    reference.close()
    base = tmp_path / "base"
    shutil.copytree(tmp_path / "reference", base)  # indexed, not compared
    reference = Library.open(tmp_path / "reference")
    assert compare_likely_copies(reference).left == 0
    expected = stored_pairs(reference)
    assert len(expected) > 10

    rng = random.Random(20261124)
    for trial in range(3):
        lib_dir = tmp_path / f"lib{trial}"
        shutil.copytree(base, lib_dir)
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(lib_dir)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        stored = 0
        for _ in range(rng.randint(1, 3)):  # chunks committed
            stored += int(proc.stdout.readline().split()[1])
        time.sleep(rng.uniform(0.0, 0.03))  # then mid-chunk or mid-commit
        proc.kill()  # SIGKILL
        proc.wait()
        proc.stdout.close()

        lib = Library.open(lib_dir)
        assert lib.catalog.integrity_problems() == []
        assert check_library(lib).problems == []
        kept = stored_pairs(lib)
        assert stored <= len(kept) < len(expected) and kept <= expected
        report = compare_likely_copies(lib)  # resumes: the stage had not finished
        assert report.stored_before == len(kept) and report.left == 0
        assert stored_pairs(lib) == expected
        lib.close()


def test_each_photo_s_features_are_computed_once_by_the_two_workers(
    tmp_path: Path, photos: Path, embedder: EmbedderProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([photos])
    pairs = pairs_to_verify(lib)
    contents = {c for pair in pairs for c in pair}
    computed: list[int] = []
    slow = pairchecks.local_features

    def counted(image: object) -> object:
        computed.append(1)
        time.sleep(0.05)  # both workers reach the photos their runs of pairs share
        return slow(image)  # type: ignore[arg-type]

    monkeypatch.setattr(pairchecks, "local_features", counted)
    checker = pairchecks.PairChecker(lib, workers=2)
    found = checker.check(pairs)
    assert len(found) == len(pairs) > 8
    assert len(computed) == checker.stats.features == len(contents)
