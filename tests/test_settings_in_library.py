"""The settings that change results live in the library: the app's Settings and Keep Rules
read and write them there, and the values earlier versions kept in QSettings move in once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from simfinder.cli import main
from simfinder.core.cleanup.keeper import KeepPlan, KeepRule
from simfinder.core.matching.similarity import Strictness
from simfinder.gui.settings import AppSettings


def app_settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def cli_settings(lib: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--library", str(lib), "settings"]) == 0
    return capsys.readouterr().out


def test_settings_of_an_earlier_version_move_into_the_library_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    refs = tmp_path / "originals"
    refs.mkdir()
    earlier = app_settings(tmp_path)
    earlier.q.setValue("matching/strictness", "loose")
    earlier.q.setValue("duplicates/rules", ["oldest-capture", "reference-folder"])
    earlier.q.setValue("duplicates/referenceFolders", [str(refs)])
    earlier.q.sync()

    settings = app_settings(tmp_path)
    settings.use_library(tmp_path / "lib")
    assert settings.strictness is Strictness.LOOSE
    assert settings.keep_plan.rules[0] is KeepRule.OLDEST
    out = cli_settings(tmp_path / "lib", capsys)
    assert "strictness = loose\n" in out
    assert f"reference-folders = {refs}\n" in out
    assert "keep-rules = oldest," in out

    # From now on the library's values are the ones: the command line changes what the app
    # reads, and the old QSettings values are left alone.
    assert main(["--library", str(tmp_path / "lib"), "settings", "strictness", "strict"]) == 0
    assert settings.strictness is Strictness.STRICT
    settings.keep_plan = KeepPlan(rules=(KeepRule.MOST_DETAIL,))
    assert "keep-rules = most-detail," in cli_settings(tmp_path / "lib", capsys)
    assert settings.q.value("matching/strictness") == "loose"
    # Moved once: another library starts from the defaults.
    other = app_settings(tmp_path)
    other.use_library(tmp_path / "other")
    assert other.strictness is Strictness.NORMAL and other.keep_plan == KeepPlan()
    # ... and the first one keeps its own.
    again = app_settings(tmp_path)
    again.use_library(tmp_path / "lib")
    assert again.strictness is Strictness.STRICT
