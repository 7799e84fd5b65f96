"""`simfinder trash --marked`, `move --marked --to DIR` and `undo`: the review's marks acted on
from the command line, journalled as in the app."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from simfinder.core.store.catalog import Catalog
from simfinder.core.store.layout import CATALOG_FILE
from tests.test_cli import indexed_library, run  # noqa: F401  (a fixture)


def marked_by_rules(lib: Path) -> set[str]:
    doc = json.loads(run("--library", str(lib), "duplicates", "--json").stdout)
    return {f["path"] for g in doc["groups"] for f in g["files"] if not f["keep"]}


def save_marks(lib: Path, marks: dict[str, bool], strictness: str = "normal") -> None:
    """What the app's Duplicates view saves as the user marks photos."""
    catalog = Catalog(lib / CATALOG_FILE)
    try:
        for path, keep in marks.items():
            catalog.set_review_mark(path, keep)
        catalog.set_review_position(strictness, None)
    finally:
        catalog.close()


def test_trash_the_marked_photos_then_undo(
    indexed_library: tuple[Path, dict[str, Path]], temp_trash: Path,  # noqa: F811
) -> None:
    lib, photos = indexed_library
    # The user kept both copies of the rocket in the app: only the keep rules' other marks.
    save_marks(lib, {str(photos["rocket-copy"]): True})
    expected = marked_by_rules(lib) - {str(photos["rocket-copy"])}
    assert expected and str(photos["rocket"]) not in expected

    dry = run("--library", str(lib), "trash", "--marked", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    listed = set(dry.stdout.splitlines()[:-1])
    assert listed == expected
    assert dry.stdout.splitlines()[-1].startswith(f"Would move {len(expected)} photos (")
    assert all(Path(p).exists() for p in expected)  # nothing moved

    size = sum(Path(p).stat().st_size for p in expected)
    done = run("--library", str(lib), "trash", "--marked")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Moved {len(expected)} photos (")
    assert "to the Trash" in done.stdout and "simfinder undo" in done.stdout
    assert not any(Path(p).exists() for p in expected)
    assert photos["rocket-copy"].exists() and photos["rocket"].exists()
    assert len(list((temp_trash / "files").iterdir())) == len(expected)
    status = json.loads(run("--library", str(lib), "status", "--json").stdout)
    assert status["photos"] == len(photos) - len(expected)

    back = run("--library", str(lib), "undo")
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith(f"Put back {len(expected)} photos (")
    assert all(Path(p).exists() for p in expected)
    assert sum(Path(p).stat().st_size for p in expected) == size
    status = json.loads(run("--library", str(lib), "status", "--json").stdout)
    assert status["photos"] == len(photos)
    again = run("--library", str(lib), "undo")
    assert again.returncode == 2 and again.stderr == "simfinder: nothing to undo\n"


def test_move_the_marked_photos_into_a_folder_then_undo(
    indexed_library: tuple[Path, dict[str, Path]], tmp_path: Path,  # noqa: F811
) -> None:
    lib, photos = indexed_library
    # Marks saved at another strictness are not this review's: the keep rules' marks.
    save_marks(lib, {str(photos["rocket-copy"]): True}, strictness="loose")
    expected = marked_by_rules(lib)
    assert str(photos["rocket-copy"]) in expected
    target = tmp_path / "removed"

    dry = run("--library", str(lib), "move", "--marked", "--to", str(target), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    pairs = dict(line.split(" -> ") for line in dry.stdout.splitlines()[:-1])
    assert set(pairs) == expected
    assert pairs[str(photos["rocket-copy"])] == str(target / "photos" / "backup" / "rocket.jpg")
    assert not target.exists()

    done = run("--library", str(lib), "move", "--marked", "--to", str(target))
    assert done.returncode == 0, done.stderr
    assert f"into {target}." in done.stdout
    assert all(Path(dest).is_file() for dest in pairs.values())
    assert not any(Path(p).exists() for p in expected)
    back = run("--library", str(lib), "undo")
    assert back.returncode == 0 and f"from {target}." in back.stdout
    assert all(Path(p).is_file() for p in expected)


def test_nothing_marked_is_refused_in_one_line(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    for args in (["trash", "--marked"], ["move", "--marked", "--to", str(tmp_path / "x")]):
        result = run("--library", str(lib), *args)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == ("simfinder: no photo is marked for removal "
                                 "(see `simfinder duplicates`)\n")
    assert run("--library", str(lib), "trash").returncode == 2  # --marked is required


def test_trash_and_undo_take_the_companion_files_along(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: object,
    temp_trash: Path,
) -> None:
    photos = photo_folder()
    copy = photos["rocket-copy"]  # in a backup folder: marked for removal by the keep rules
    sidecars = [copy.with_name("rocket.MOV"), copy.with_name("rocket.jpg.xmp")]
    for n, path in enumerate(sidecars):
        path.write_bytes(bytes([n]) * 1000)
    # The original has companions of the same kinds: the copy has nothing more to keep.
    for name in ("rocket.MOV", "rocket.jpg.xmp"):
        photos["rocket"].with_name(name).write_bytes(b"the original's")
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0
    marked = marked_by_rules(lib)
    assert str(copy) in marked

    dry = run("--library", str(lib), "trash", "--marked", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert {f"{p} (with its photo)" for p in sidecars} <= set(dry.stdout.splitlines())
    assert f"Would move {len(marked)} photos and 2 companion files (" in dry.stdout

    done = run("--library", str(lib), "trash", "--marked")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == ("Note: rocket.jpg.xmp is not valid XMP: it goes "
                                           "with backup/rocket.jpg all the same.")
    assert done.stdout.splitlines()[1].startswith(
        f"Moved {len(marked)} photos and 2 companion files (")
    assert not any(p.exists() for p in [copy, *sidecars])

    back = run("--library", str(lib), "undo")
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith(f"Put back {len(marked)} photos and 2 companion files (")
    assert [p.read_bytes() for p in sidecars] == [b"\x00" * 1000, b"\x01" * 1000]
