"""`simfinder duplicates --json / --csv`: the groups with the keeper rules' default marks."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from simfinder.core.cleanup.keeper import DEFAULT_PLAN, choose_keepers
from simfinder.core.store.library import Library
from tests.test_cli import run


def test_json_and_csv_carry_the_default_keeper_marks(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: object,
) -> None:
    photos = photo_folder()
    lib_dir = tmp_path / "lib"
    assert run("--library", str(lib_dir), "index", str(tmp_path / "photos")).returncode == 0

    as_json = run("--library", str(lib_dir), "duplicates", "--json")
    as_csv = run("--library", str(lib_dir), "duplicates", "--csv")
    assert as_json.returncode == 0 and as_csv.returncode == 0, as_json.stderr + as_csv.stderr
    doc = json.loads(as_json.stdout)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == ["group", "kind", "confidence", "path", "width", "height", "bytes",
                             "format", "taken_at", "camera", "keep", "keep_reason", "decision",
                             "new", "companions"]

    # The keep flags are those of the keeper's default rules (what the GUI starts with).
    lib = Library.open(lib_dir)
    try:
        for group in doc["groups"]:
            records = [lib.catalog.photo(f["path"]) for f in group["files"]]
            assert all(r is not None for r in records)
            expected = choose_keepers(records, DEFAULT_PLAN)  # type: ignore[arg-type]
            assert {f["path"] for f in group["files"] if f["keep"]} == \
                {r.path for r in records if r is not None and r.file_id in expected}
    finally:
        lib.close()

    # The CSV says the same, group by group, with the photo's details.
    from_csv: dict[int, dict[str, bool]] = {}
    for row in rows:
        from_csv.setdefault(int(row["group"]), {})[row["path"]] = row["keep"] == "true"
    from_json = {n: {f["path"]: f["keep"] for f in g["files"]}
                 for n, g in enumerate(doc["groups"], 1)}
    assert from_csv == from_json
    cat_png = next(r for r in rows if r["path"] == str(photos["cat-png"]))
    assert (cat_png["format"], cat_png["keep"], cat_png["kind"]) == ("PNG", "true", "near")
    assert int(cat_png["bytes"]) == photos["cat-png"].stat().st_size
    assert 0 < float(cat_png["confidence"]) <= 1
    # Why each photo is kept, in plain words, in both; nothing for those marked for removal.
    rocket = next(r for r in rows if r["path"] == str(photos["rocket"]))
    assert rocket["keep_reason"] == ("in your photo folders: the others are in backup, download "
                                     "or export folders")
    assert {r["keep_reason"] for r in rows if r["keep"] == "false"} == {""}
    reasons = {f["path"]: f["keep_reason"] for g in doc["groups"] for f in g["files"]}
    assert reasons == {r["path"]: r["keep_reason"] or None for r in rows}

    both = run("--library", str(lib_dir), "duplicates", "--json", "--csv")
    assert both.returncode == 2


def test_json_and_csv_list_each_photos_companion_files(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: object,
) -> None:
    photos = photo_folder()
    rocket, copy = photos["rocket"], photos["rocket-copy"]
    sidecars = [rocket.with_name("rocket.jpg.xmp"), rocket.with_name("rocket.jpg.json")]
    for path in [*sidecars, copy.with_name("orphan.xmp")]:
        path.write_text("<x:xmpmeta/>")
    lib_dir = tmp_path / "lib"
    assert run("--library", str(lib_dir), "index", str(tmp_path / "photos")).returncode == 0

    doc = json.loads(run("--library", str(lib_dir), "duplicates", "--json").stdout)
    files = {f["path"]: f for g in doc["groups"] for f in g["files"]}
    assert files[str(rocket)]["companions"] == sorted(str(p) for p in sidecars)
    assert files[str(copy)]["companions"] == []
    rows = list(csv.DictReader(io.StringIO(
        run("--library", str(lib_dir), "duplicates", "--csv").stdout)))
    by_path = {r["path"]: r["companions"] for r in rows}
    assert by_path[str(rocket)] == ";".join(sorted(str(p) for p in sidecars))
    assert by_path[str(copy)] == ""

    # A sidecar deleted, another one added: the next scan says so.
    sidecars[0].unlink()
    added = copy.with_name("rocket.jpg.xmp")
    added.write_text("<x:xmpmeta/>")
    assert run("--library", str(lib_dir), "index", str(tmp_path / "photos")).returncode == 0
    doc = json.loads(run("--library", str(lib_dir), "duplicates", "--json").stdout)
    files = {f["path"]: f for g in doc["groups"] for f in g["files"]}
    assert files[str(rocket)]["companions"] == [str(sidecars[1])]
    assert files[str(copy)]["companions"] == [str(added)]
