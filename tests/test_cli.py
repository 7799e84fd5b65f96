"""The command line as scripts and users run it: a real subprocess, real photos."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simfinder.config import CACHE_ENV, LIBRARY_ENV


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "simfinder", *args],
        capture_output=True, text=True, env=full_env, timeout=300, check=False,
    )


@pytest.fixture
def indexed_library(tmp_path: Path, photo_folder: Callable[..., dict[str, Path]],
                    embedder: object) -> tuple[Path, dict[str, Path]]:
    photos = photo_folder()
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    lib = tmp_path / "lib"
    result = run("--library", str(lib), "index", str(tmp_path / "photos"))
    assert result.returncode == 0, result.stderr
    return lib, photos


def test_index_reports_progress_and_a_summary(indexed_library: tuple[Path, dict[str, Path]],
                                              tmp_path: Path) -> None:
    lib, photos = indexed_library
    again = run("--library", str(lib), "index", str(tmp_path / "photos"))
    assert again.returncode == 0
    assert f"{len(photos)} unchanged" in again.stderr
    assert "1 still failing" in again.stderr
    first_status = json.loads(run("--library", str(lib), "status", "--json").stdout)
    assert first_status["photos"] == len(photos)
    assert first_status["errors"][0]["path"].endswith("broken.jpg")
    assert first_status["folders"] == [str(tmp_path / "photos")]


def test_first_index_prints_counts_rate_and_failures(tmp_path: Path,
                                                     photo_folder: Callable[..., object],
                                                     embedder: object) -> None:
    photo_folder()
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"")
    result = run("--library", str(tmp_path / "lib"), "index", str(tmp_path / "photos"))
    assert result.returncode == 0
    assert "photos/s" in result.stderr and "ETA" in result.stderr
    assert "12 indexed, 1 recognised by content" in result.stderr
    assert "1 failed" in result.stderr
    assert "broken.jpg: empty file" in result.stderr


def test_duplicates_json_follows_the_contract(
    indexed_library: tuple[Path, dict[str, Path]],
) -> None:
    lib, photos = indexed_library
    result = run("--library", str(lib), "duplicates", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"groups"}
    groups = {frozenset(f["path"] for f in g["files"]): g["kind"] for g in doc["groups"]}
    assert groups[frozenset({str(photos["rocket"]), str(photos["rocket-copy"])})] == "exact"
    cat = frozenset(str(photos[k]) for k in ("chelsea", "cat-small", "cat-png"))
    assert groups[cat] == "near"
    for g in doc["groups"]:
        for f in g["files"]:
            assert Path(f["path"]).is_absolute()
            assert isinstance(f["width"], int) and isinstance(f["bytes"], int)
        assert sum(f["keep"] for f in g["files"]) == 1
    text = run("--library", str(lib), "duplicates", "--threshold", "strict")
    assert "Group 1: 2 exact copies" in text.stdout


def test_similar_json_for_inside_and_outside_images(
    indexed_library: tuple[Path, dict[str, Path]], tmp_path: Path,
) -> None:
    lib, photos = indexed_library
    result = run("--library", str(lib), "similar", str(photos["coffee"]), "--top", "3",
                 "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["query"] == str(photos["coffee"])
    assert len(doc["results"]) == 3
    assert {r["path"] for r in doc["results"][:2]} == {str(photos["coffee-q30"]),
                                                       str(photos["coffee-bright"])}
    assert [r["kind"] for r in doc["results"]] == ["duplicate", "duplicate", "similar"]
    assert all(0 <= r["score"] <= 1 for r in doc["results"])
    # the finer word and the evidence behind it: duplicates score 0.9 and up (normal)
    for r in doc["results"]:
        assert r["match"] in {"exact", "near-duplicate", "similar"}
        assert isinstance(r["evidence"]["why"], str) and r["evidence"]["why"]
        assert (r["match"] == "near-duplicate") == (r["evidence"].get("duplicate_at") in
                                                    {"strict", "normal"})
        assert (r["score"] >= 0.9) == (r["kind"] == "duplicate")

    from PIL import Image

    outside = tmp_path / "outside.png"
    with Image.open(photos["chelsea"]) as im:
        im.resize((200, 133)).save(outside)
    doc = json.loads(run("--library", str(lib), "similar", str(outside), "--json").stdout)
    assert doc["results"][0]["path"] in {str(photos[k]) for k in ("chelsea", "cat-small",
                                                                  "cat-png")}


def test_library_from_the_environment(indexed_library: tuple[Path, dict[str, Path]]) -> None:
    lib, photos = indexed_library
    doc = json.loads(run("status", "--json", env={LIBRARY_ENV: str(lib)}).stdout)
    assert doc["library"] == str(lib) and doc["photos"] == len(photos)


@pytest.mark.parametrize(
    "args",
    [["frobnicate"], ["duplicates", "--threshold", "very"], ["similar"],
     ["similar", "x.jpg", "--top", "0"], ["index"]],
)
def test_bad_usage_exits_2(args: list[str], tmp_path: Path) -> None:
    result = run("--library", str(tmp_path / "lib"), *args)
    assert result.returncode == 2
    assert result.stderr.strip()


def test_missing_paths_are_usage_errors_with_one_clear_line(tmp_path: Path) -> None:
    result = run("--library", str(tmp_path / "lib"), "index", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"simfinder: no such folder: {tmp_path / 'nope'}"


def test_failure_exits_1_with_one_line(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = run("--library", str(not_a_dir / "lib"), "status")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("simfinder: error:")

    bogus = tmp_path / "bogus.jpg"
    bogus.write_text("hello")
    result = run("--library", str(tmp_path / "lib"), "similar", str(bogus))
    assert result.returncode == 1
    assert result.stderr.strip() == f"simfinder: {bogus}: not an image file"


def test_demo_builds_indexes_and_shows_results(tmp_path: Path, embedder: object) -> None:
    lib = tmp_path / "demo-lib"
    result = run("--library", str(lib), "demo", env={CACHE_ENV: os.environ[CACHE_ENV]})
    assert result.returncode == 0, result.stderr
    assert "exact copies" in result.stdout and "near-duplicates" in result.stdout
    assert "Photos most similar to" in result.stdout
    photos = lib / "demo-photos"
    assert (photos / "cat.png").is_file() and (photos / "copies" / "cat-small.jpg").is_file()
    doc = json.loads(run("--library", str(lib), "duplicates", "--json").stdout)
    groups = [{Path(f["path"]).relative_to(photos).as_posix() for f in g["files"]}
              for g in doc["groups"]]
    assert {"cat.png", "backup/cat.png", "copies/cat-small.jpg", "copies/cat-cropped.jpg"} in \
        groups
    assert {"coins.png", "backup/coins (1).png"} in groups
    assert not any({"motorcycle-left.png", "motorcycle-right.png"} <= g for g in groups)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: object,
) -> None:
    import signal

    photos = photo_folder()
    for i in range(200):  # seconds of work, so the interrupt lands mid-run
        (tmp_path / "photos" / f"copy{i}.jpg").write_bytes(
            photos["astronaut"].read_bytes() + i.to_bytes(2, "big"))
    lib = tmp_path / "lib"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simfinder", "--library", str(lib), "index",
         str(tmp_path / "photos")],
        stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until indexing has begun
        if line.startswith("Found"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Stopping after the photos in hand" in err
    assert "Cancelled in" in err and "Traceback" not in err
    resumed = run("--library", str(lib), "index", str(tmp_path / "photos"))
    assert resumed.returncode == 0
    status = json.loads(run("--library", str(lib), "status", "--json").stdout)
    assert status["photos"] == len(photos) + 200


def test_a_second_writer_is_told_the_library_is_busy_and_readers_go_on(
    indexed_library: tuple[Path, dict[str, Path]], tmp_path: Path,
) -> None:
    from simfinder.core.store.library import Library

    lib_dir, photos = indexed_library
    other = Library.open(lib_dir)  # e.g. the desktop app, indexing
    with other.writing():
        busy = run("--library", str(lib_dir), "index", str(tmp_path / "photos"))
        assert busy.returncode == 1
        assert busy.stderr.strip() == (
            f"simfinder: error: the library {lib_dir} is busy: another simfinder is indexing it")
        status = run("--library", str(lib_dir), "status", "--json")
        assert status.returncode == 0
        assert json.loads(status.stdout)["photos"] == len(photos)
        assert run("--library", str(lib_dir), "duplicates", "--json").returncode == 0
    other.close()
    assert run("--library", str(lib_dir), "index", str(tmp_path / "photos")).returncode == 0


def test_an_emptied_mount_point_is_offline_until_forgotten(
    indexed_library: tuple[Path, dict[str, Path]], tmp_path: Path,
) -> None:
    lib, photos = indexed_library
    folder = tmp_path / "photos"
    for child in folder.iterdir():  # what an unmounted drive leaves: its empty mount point
        subprocess.run(["rm", "-r", str(child)], check=True)
    again = run("--library", str(lib), "index", str(folder))
    assert again.returncode == 0, again.stderr
    assert "0 removed" in again.stderr
    assert f"Offline: {folder} (empty): its {len(photos)} photos are kept" in again.stderr

    status = run("--library", str(lib), "status")
    assert f"Photos: {len(photos)} indexed" in status.stdout
    assert f"Folders: {folder} (offline)" in status.stdout
    assert f"Offline: {folder} (empty), {len(photos)} photos kept since" in status.stdout
    doc = json.loads(run("--library", str(lib), "status", "--json").stdout)
    assert [(o["path"], o["reason"], o["photos"]) for o in doc["offline"]] == [
        (str(folder), "empty", len(photos))]

    forget = run("--library", str(lib), "forget", str(folder))
    assert forget.returncode == 0, forget.stderr
    assert f"Forgot {len(photos)} photos at {folder}" in forget.stdout
    doc = json.loads(run("--library", str(lib), "status", "--json").stdout)
    assert (doc["photos"], doc["offline"], doc["errors"]) == (0, [], [])


def test_index_forget_missing_removes_an_emptied_folders_photos(
    indexed_library: tuple[Path, dict[str, Path]], tmp_path: Path,
) -> None:
    lib, photos = indexed_library
    folder = tmp_path / "photos"
    for child in folder.iterdir():
        subprocess.run(["rm", "-r", str(child)], check=True)
    again = run("--library", str(lib), "index", "--forget-missing", str(folder))
    assert again.returncode == 0, again.stderr
    assert f"{len(photos)} removed" in again.stderr and "Offline" not in again.stderr
    assert json.loads(run("--library", str(lib), "status", "--json").stdout)["photos"] == 0
