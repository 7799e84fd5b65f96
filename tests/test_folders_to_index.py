"""The folders an indexing run covers, resolved and remembered in one place for the app and
the command line."""

from __future__ import annotations

from pathlib import Path

from simfinder.core.photos.embed import Embedder


def no_embedder() -> Embedder:
    raise AssertionError("a cancelled run loads no CNN")


def test_the_folders_a_run_indexes_are_resolved_and_remembered_in_one_place(
    tmp_path: Path,
) -> None:
    from simfinder.app.usecases import folders_to_index, index_folders
    from simfinder.core.progress import CancelToken
    from simfinder.core.store.library import Library

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    library = Library.open(tmp_path / "lib")
    try:
        cancel = CancelToken()
        cancel.cancel()
        # Remembered at once, even by a run that does not go on.
        run = index_folders(library, [tmp_path / "a" / ".." / "a"], no_embedder, cancel=cancel)
        assert run.cancelled and library.catalog.folders() == [str(tmp_path / "a")]
        assert folders_to_index(library, [str(tmp_path / "b")]) == [tmp_path / "b"]
        assert folders_to_index(library, [tmp_path / "a"], remembered=True) == \
            [tmp_path / "a", tmp_path / "b"]
    finally:
        library.close()
