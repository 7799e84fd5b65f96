"""SIGKILL at random moments while indexing: the library always opens, agrees with itself (each
stored photo with its vector and its neighbour list), and a resumed run ends exactly where an
uninterrupted run does."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import ImageOps

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.indexing.neighbours import LISTED
from simfinder.core.store.check import check_library
from simfinder.core.store.library import Library
from tests.photos import sample, save

TRIALS = 8

# The child indexes with small batches and says when each is committed, so the parent can kill
# it at a known stage of the work rather than guess from the clock.
CHILD = """
import sys
from pathlib import Path
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.store.library import Library
from simfinder.core.indexing.neighbours import LISTED
lib = Library.open(Path(sys.argv[1]))
Indexer(lib, EmbedderProvider("cpu"), batch_size=4).run(
    [Path(sys.argv[2])], on_indexed=lambda paths: print("batch", len(paths), flush=True))
print("done", flush=True)
"""


def make_photos(root: Path) -> None:
    names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
             "coins.png", "hubble_deep_field.jpg", "motorcycle_left.png"]
    for i, name in enumerate(names):
        im = sample(name, 300)
        for j in range(6):  # distinct files: rotated, mirrored, re-encoded variants
            variant = ImageOps.mirror(im) if j % 2 else im
            save(variant.rotate(90 * (j // 2), expand=True), root / f"{i}" / f"{j}.jpg",
                 quality=70 + j)


def state(lib: Library) -> dict[str, bytes]:
    return {p.path: p.digest for p in lib.catalog.photos()}


@pytest.mark.slow
def test_kill_at_random_moments_then_resume(tmp_path: Path,
                                            embedder: EmbedderProvider) -> None:
    photos = tmp_path / "photos"
    make_photos(photos)
    reference = Library.open(tmp_path / "reference")
    Indexer(reference, embedder).run([photos])
    expected = state(reference)
    assert len(expected) == 48

    rng = random.Random(20261124)
    killed_midway = 0
    for trial in range(TRIALS):
        lib_dir = tmp_path / f"lib{trial}"
        # Two kills per library: the second lands on a run that is itself resuming.
        for _ in range(2):
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(lib_dir), str(photos)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            assert proc.stdout is not None
            # Wait for a random number of committed batches, then kill a random moment later:
            # mid-decode, mid-embedding, mid-commit or mid-save.
            wanted = rng.randint(0, 4)
            line = ""
            for _ in range(wanted + 1):
                line = proc.stdout.readline()
                if not line.startswith("batch"):
                    break
            time.sleep(rng.uniform(0.0, 0.15))
            if line.startswith("batch") and proc.poll() is None:
                killed_midway += 1
            proc.kill()  # SIGKILL; nothing if the run already finished (poll() reaped it)
            proc.wait()
            proc.stdout.close()

            # Right after the kill: the library opens and its parts agree.
            lib = Library.open(lib_dir)
            assert lib.catalog.integrity_problems() == []
            contents = lib.catalog.content_count()
            assert len(lib.vectors) == contents
            # Every stored embedding has its neighbour list, and no list outlives its content.
            listed, _, _ = lib.catalog.neighbour_lists(lib.model_name, LISTED)
            assert set(listed.tolist()) == set(lib.catalog.content_digests())
            for p in lib.catalog.photos():
                assert lib.thumbs.has(p.digest), p.path
                assert expected[p.path] == p.digest
            lib.close()

        lib = Library.open(lib_dir)
        report = Indexer(lib, embedder).run([photos])
        assert not report.cancelled and report.failed == []
        assert state(lib) == expected  # no photo lost, none twice
        assert len(lib.vectors) == reference.catalog.content_count()
        assert check_library(lib).problems == []
        assert not list(lib_dir.rglob("*.tmp"))
        lib.close()
    # the kills really landed while indexing ran (a resumed run may finish before its kill)
    assert killed_midway >= TRIALS


# The child stops inside the transaction of its second batch, its embeddings written and its
# neighbour lists not yet, and says so: the parent kills it right there.
CHILD_STOPPED_MID_BATCH = """
import sys, time
from pathlib import Path
import simfinder.core.indexing.indexer as indexer
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.store.library import Library
keep = indexer.keep_forward_lists
batches = []
def stop_in_second(library, ids, vectors):
    batches.append(len(ids))
    if len(batches) == 2:
        print("stopped", batches[0], flush=True)
        time.sleep(60)
    return keep(library, ids, vectors)
indexer.keep_forward_lists = stop_in_second
lib = Library.open(Path(sys.argv[1]))
indexer.Indexer(lib, EmbedderProvider("cpu"), batch_size=4).run([Path(sys.argv[2])])
"""


def test_kill_mid_batch_keeps_embeddings_and_neighbour_lists_together(
    tmp_path: Path, embedder: EmbedderProvider,
) -> None:
    photos = tmp_path / "photos"
    make_photos(photos)
    lib_dir = tmp_path / "lib"
    proc = subprocess.Popen([sys.executable, "-c", CHILD_STOPPED_MID_BATCH, str(lib_dir),
                             str(photos)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    said, first = proc.stdout.readline().split()
    assert said == "stopped"
    proc.kill()
    proc.wait()
    proc.stdout.close()

    lib = Library.open(lib_dir)
    # The first batch (4 photos, or a few more when several decodes finish at once) is there
    # with its lists; the second left nothing.
    assert lib.catalog.content_count() == int(first)
    listed, _, _ = lib.catalog.neighbour_lists(lib.model_name, LISTED)
    assert set(listed.tolist()) == set(lib.catalog.content_digests())
    assert len(lib.vectors) == int(first)
    Indexer(lib, embedder).run([photos])
    listed, _, _ = lib.catalog.neighbour_lists(lib.model_name, LISTED)
    assert set(listed.tolist()) == set(lib.catalog.content_digests())
    assert lib.catalog.content_count() == 48
    lib.close()
