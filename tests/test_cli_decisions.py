"""`simfinder decide` / `decisions` and `duplicates --all` as a user runs them: decided groups
leave `duplicates --json` (and come back marked with --all), decisions are listed, undone,
exported and imported, a new copy reopens its group with only the new file flagged."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import run


def groups(lib: Path, *extra: str) -> list[dict[str, Any]]:
    result = run("--library", str(lib), "duplicates", "--json", *extra)
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)["groups"]
    return found


def names(group: dict[str, Any]) -> set[str]:
    return {Path(f["path"]).name for f in group["files"]}


@pytest.mark.slow
def test_decide_list_undo_export_import(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: object,
) -> None:
    photos = photo_folder()
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0
    before = groups(lib)
    assert all(g["decision"] is None and not g["decided"] and g["new"] == [] for g in before)
    coffee_n = next(n for n, g in enumerate(before, 1) if "coffee.jpg" in names(g))

    kept = run("--library", str(lib), "decide", "keep-all", "--group", str(coffee_n))
    assert kept.returncode == 0, kept.stderr
    assert "decisions undo 1" in kept.stdout
    apart = run("--library", str(lib), "decide", "not-duplicates", str(photos["chelsea"]),
                str(photos["cat-small"]))
    assert apart.returncode == 0, apart.stderr

    after = groups(lib)
    assert not any("coffee.jpg" in names(g) for g in after)
    assert not any({"chelsea.jpg", "cat-small.jpg"} <= names(g) for g in after)
    everything = groups(lib, "--all")
    coffee = next(g for g in everything if "coffee.jpg" in names(g))
    assert coffee["decided"] is True and coffee["decision"]["kind"] == "keep-all"
    assert all(f["keep"] for f in coffee["files"])
    assert len(everything) == len(after) + 1
    text = run("--library", str(lib), "duplicates", "--all").stdout
    assert "decided: keep all (decision 1)" in text

    listed = json.loads(run("--library", str(lib), "decisions", "--json").stdout)["decisions"]
    assert [d["kind"] for d in listed] == ["not-duplicates", "keep-all"]
    assert sorted(Path(p).name for p in listed[0]["present"]) == ["cat-small.jpg",
                                                                   "chelsea.jpg"]
    human = run("--library", str(lib), "decisions").stdout
    assert "Keep all: 3 photos" in human and "Not duplicates: 2 photos" in human

    saved = tmp_path / "decisions.json"
    assert run("--library", str(lib), "decisions", "export", str(saved)).returncode == 0
    undo = run("--library", str(lib), "decisions", "undo", "1")
    assert undo.returncode == 0 and "Undid 1 decision" in undo.stdout
    assert any("coffee.jpg" in names(g) for g in groups(lib))
    imported = run("--library", str(lib), "decisions", "import", str(saved))
    assert imported.returncode == 0
    assert "Imported 1 decision (1 already there)" in imported.stdout
    assert not any("coffee.jpg" in names(g) for g in groups(lib))

    # A new copy of a decided coffee: the group comes back with the new file flagged.
    fresh = tmp_path / "photos" / "new" / "coffee copy.jpg"
    fresh.parent.mkdir()
    shutil.copyfile(photos["coffee"], fresh)
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0
    back = next(g for g in groups(lib) if "coffee.jpg" in names(g))
    assert back["decided"] is False and back["decision"]["kind"] == "keep-all"
    assert back["new"] == [str(fresh)]
    assert {Path(f["path"]).name for f in back["files"] if f["keep"]} >= \
        {"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg"}
    assert "came back: 1 new since keep all" in run("--library", str(lib), "duplicates").stdout


def test_decide_refuses_bad_usage_with_one_line(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: object,
) -> None:
    photos = photo_folder()
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0
    for args, words in [
        (["decide", "keep-all", str(photos["coffee"])], "two photos"),
        (["decide", "keep-all"], "two photos or more, or one group"),
        (["decide", "keep-all", "--group", "99"], "no group 99"),
        (["decide", "not-duplicates", str(photos["rocket"]), str(photos["rocket-copy"])],
         "exact copies"),
        (["decisions", "undo", "7"], "no decision 7"),
    ]:
        result = run("--library", str(lib), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = run("--library", str(lib), "decisions", "import", str(bad))
    assert result.returncode == 1 and "not a simfinder decisions file" in result.stderr
