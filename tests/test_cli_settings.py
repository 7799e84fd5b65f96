"""`simfinder settings`: the settings that change results, kept with the library and used by
`duplicates` the way the app uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simfinder.cli import main
from tests.test_cli import indexed_library, run  # noqa: F401  (a fixture)


def settings(lib: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--library", str(lib), "settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_settings_list_show_and_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib"
    code, out, _ = settings(lib, capsys=capsys)
    assert code == 0
    assert "strictness = normal  (default)" in out
    assert "keep-rules = reference-folder,most-detail," in out
    assert "reference-folders = \"\"  (default)" in out

    code, out, _ = settings(lib, "strictness", "loose", capsys=capsys)
    assert (code, out) == (0, "strictness = loose\n")
    # Only the rules given move up; the others follow in the default order.
    code, out, _ = settings(lib, "keep-rules", "oldest,most-detail", capsys=capsys)
    assert code == 0 and out.startswith("keep-rules = oldest,most-detail,reference-folder,")
    photos = tmp_path / "photos"
    photos.mkdir()
    assert settings(lib, "reference-folders", str(photos), capsys=capsys)[0] == 0

    code, out, _ = settings(lib, "strictness", capsys=capsys)
    assert (code, out) == (0, "loose\n")
    code, out, _ = settings(lib, "--json", capsys=capsys)
    values = json.loads(out)
    assert values["reference-folders"] == [str(photos)]
    assert values["keep-rules"][:2] == ["oldest", "most-detail"]
    code, out, _ = settings(lib, capsys=capsys)
    assert "strictness = loose\n" in out  # no longer "(default)"
    # None again: "" clears a list.
    assert settings(lib, "reference-folders", "", capsys=capsys)[0] == 0
    assert settings(lib, "reference-folders", capsys=capsys)[1] == '""\n'


@pytest.mark.parametrize(("args", "names"), [
    (["colour"], "strictness"),
    (["strictness", "very"], "strict, normal, loose"),
    (["keep-rules", "biggest"], "most-detail"),
    (["preferred-formats", "JPEG,XYZ"], "HEIF"),
    (["reference-folders", "/no/such/folder"], "not a folder: /no/such/folder"),
])
def test_a_bad_key_or_value_is_refused_naming_the_valid_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], names: str,
) -> None:
    code, out, err = settings(tmp_path / "lib", *args, capsys=capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and names in err
    # Nothing was changed.
    code, out, _ = settings(tmp_path / "lib", capsys=capsys)
    assert out.count("(default)") == 5


def test_duplicates_follow_the_librarys_keep_rules_and_strictness(
    indexed_library: tuple[Path, dict[str, Path]],  # noqa: F811
) -> None:
    lib, photos = indexed_library

    def kept() -> set[str]:
        result = run("--library", str(lib), "duplicates", "--json")
        assert result.returncode == 0, result.stderr
        return {f["path"] for g in json.loads(result.stdout)["groups"] for f in g["files"]
                if f["keep"]}

    assert str(photos["rocket"]) in kept() and str(photos["rocket-copy"]) not in kept()
    backup = str(photos["rocket-copy"].parent)
    assert run("--library", str(lib), "settings", "reference-folders", backup).returncode == 0
    now = kept()
    assert str(photos["rocket-copy"]) in now and str(photos["rocket"]) not in now
    text = run("--library", str(lib), "duplicates").stdout
    assert f"keep {photos['rocket-copy'].name}" not in text  # sizes come first
    assert "in a reference folder" in text
    csv_rows = run("--library", str(lib), "duplicates", "--csv").stdout.splitlines()
    assert any(str(photos["rocket-copy"]) in r and ",true,in a reference folder," in r
               for r in csv_rows)

    # The strictness setting is the threshold when none is given.
    # The strictness setting is the threshold when none is given (these photos group alike
    # at every strictness: the count names the strictness used).
    assert run("--library", str(lib), "settings", "strictness", "loose").returncode == 0
    refused = run("--library", str(lib), "decide", "keep-all", "--group", "9")
    assert refused.returncode == 2 and "groups at loose; no group 9" in refused.stderr
    refused = run("--library", str(lib), "decide", "keep-all", "--group", "9",
                  "--threshold", "strict")
    assert "groups at strict; no group 9" in refused.stderr


def test_duplicates_uses_the_strictness_setting_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from simfinder.app import review

    asked: list[str] = []
    monkeypatch.setattr(review, "review_groups",
                        lambda _lib, strictness, *_a, **_k: asked.append(strictness.value) or [])
    lib = tmp_path / "lib"
    assert settings(lib, "strictness", "strict", capsys=capsys)[0] == 0
    assert main(["--library", str(lib), "duplicates", "--json"]) == 0
    assert main(["--library", str(lib), "duplicates", "--threshold", "loose"]) == 0
    assert asked == ["strict", "loose"]
