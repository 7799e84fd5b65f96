from __future__ import annotations

import os
from pathlib import Path

import pytest

from simfinder.core.indexing import scan as scan_module
from simfinder.core.indexing.scan import scan_folders

JPEG_HEAD = b"\xff\xd8\xff\xe0" + b"\x00" * 60


def touch(path: Path, data: bytes = JPEG_HEAD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def paths(result: scan_module.ScanResult) -> set[str]:
    return {f.path for f in result.files}


def test_finds_photos_by_name_and_by_content(tmp_path: Path) -> None:
    a = touch(tmp_path / "a.JPG")
    b = touch(tmp_path / "deep" / "er" / "b.heic", b"....ftypheic")
    sniffed = touch(tmp_path / "really-a-jpeg.svg")  # content says JPEG, name says SVG
    touch(tmp_path / "notes.txt", JPEG_HEAD)  # known non-photo extension: not opened
    touch(tmp_path / "drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    touch(tmp_path / ".hidden" / "c.jpg")
    touch(tmp_path / ".d.jpg")
    result = scan_folders([tmp_path])
    assert paths(result) == {str(a), str(b), str(sniffed)}
    f = next(f for f in result.files if f.path == str(a))
    st = os.stat(a)
    assert (f.size, f.mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_symlink_loops_end_and_files_are_listed_once(tmp_path: Path) -> None:
    touch(tmp_path / "x" / "a.jpg")
    os.symlink(tmp_path, tmp_path / "x" / "loop")
    result = scan_folders([tmp_path, tmp_path / "x"])
    assert paths(result) == {str(tmp_path / "x" / "a.jpg")}


def test_unreadable_folders_are_reported_and_the_rest_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = touch(tmp_path / "ok" / "a.jpg")
    touch(tmp_path / "locked" / "b.jpg")
    real_scandir = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(scan_module.os, "scandir", scandir)
    result = scan_folders([tmp_path, tmp_path / "missing"])
    assert paths(result) == {str(ok)}
    assert (str(tmp_path / "locked"), "permission denied") in result.unreadable
    assert (str(tmp_path / "missing"), "folder not found") in result.unreadable


def test_excluded_folders_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "lib" / "thumbs" / "ab" / "t.jpg")
    keep = touch(tmp_path / "p.jpg")
    assert paths(scan_folders([tmp_path], exclude=[tmp_path / "lib" / "thumbs"])) == {str(keep)}


@pytest.mark.parametrize("brand", [b"heic", b"heim", b"heis", b"hevc", b"mif1", b"avif", b"avis"])
def test_a_heif_or_avif_file_without_its_extension_is_found_as_the_decoder_reads_it(
        tmp_path: Path, brand: bytes) -> None:
    # A phone export with no extension: the scan and the decoder agree on what is an image
    # (the scan knew fewer HEIF brands than the decoder: heim, heis, hevc, avis were missed).
    from simfinder.core.photos.decode import DecodeFailure, decode_photo

    photo = touch(tmp_path / "IMG_0001", b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 20)
    assert paths(scan_folders([tmp_path])) == {str(photo)}
    # Only the header: the decoder fails, and calls it a damaged image, not a non-image.
    failure = decode_photo(photo)
    assert isinstance(failure, DecodeFailure)
    assert failure.reason != "not an image file"
