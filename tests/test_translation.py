"""A translation made the way a translator makes one reaches what the app shows: the texts of
the GUI and those the engine words (keep rules, reasons, decision kinds, the trash) are found
by pyside6-lupdate in the contexts the app looks them up in, and a compiled translation of them
replaces the English in the windows, while the command line keeps English."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from pytestqt.qtbot import QtBot

from simfinder.app.wording import duration as english_duration
from simfinder.core.cleanup.actions import TRASH, BatchSummary
from simfinder.core.cleanup.keeper import DEFAULT_PLAN, KeepRule, choose
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui.duplicates import group_title
from simfinder.gui.keep_rules import KeepRulesDialog
from simfinder.gui.words import batch_text, duration, engine_reasons, tr

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(sys.executable).parent

# (context, source) -> German; a list for a text with plural forms.
GERMAN: dict[tuple[str, str], str | list[str]] = {
    ("engine", "Most detail"): "Meiste Details",
    ("engine", "the largest resolution (not a copy enlarged from a smaller one)"):
        "die größte Auflösung",
    ("", "{label}  —  {explanation}"): "{label}: {explanation}",
    ("engine", "original: has camera data"): "Original: hat Kameradaten",
    ("engine", "Trash"): "Papierkorb",
    ("", "Move to {trash} ({what})"): "In den {trash} ({what})",
    ("", "%Ln photo(s)"): ["%Ln Foto", "%Ln Fotos"],
    ("", "{n} exact copies"): "{n} exakte Kopien",
    ("", " · all kept"): " · alle behalten",
    ("engine", "{m} min {s:02d} s"): "{m} Min. {s:02d} Sek.",
}


def _extracted(ts: Path) -> ET.ElementTree:
    sources = sorted(str(p) for p in (ROOT / "simfinder").rglob("*.py"))
    subprocess.run([str(TOOLS / "pyside6-lupdate"), *sources, "-ts", str(ts)], check=True,
                   capture_output=True)
    return ET.parse(ts)


def _messages(tree: ET.ElementTree) -> dict[tuple[str, str], ET.Element]:
    return {(ctx.findtext("name") or "", msg.findtext("source") or ""): msg
            for ctx in tree.getroot().iter("context") for msg in ctx.iter("message")}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ET.ElementTree]:
    ts = tmp_path_factory.mktemp("ts") / "simfinder_de.ts"
    return ts, _extracted(ts)


@pytest.fixture
def german(qapp: QCoreApplication, extracted: tuple[Path, ET.ElementTree]) -> Iterator[None]:
    ts, tree = extracted
    messages = _messages(tree)
    for key, text in GERMAN.items():
        translation = messages[key].find("translation")
        assert translation is not None
        translation.attrib.pop("type", None)
        if isinstance(text, list):
            for form, word in zip(translation.iter("numerusform"), text, strict=False):
                form.text = word
            for _ in range(len(text) - len(list(translation.iter("numerusform")))):
                ET.SubElement(translation, "numerusform").text = text[-1]
        else:
            translation.text = text
    tree.getroot().set("language", "de_DE")
    filled = ts.with_name("filled_de.ts")
    tree.write(filled, encoding="utf-8", xml_declaration=True)
    qm = ts.with_name("simfinder_de.qm")
    subprocess.run([str(TOOLS / "pyside6-lrelease"), str(filled), "-qm", str(qm)], check=True,
                   capture_output=True)
    translator = QTranslator()
    assert translator.load(str(qm))
    qapp.installTranslator(translator)
    yield
    qapp.removeTranslator(translator)


def test_every_text_is_found_in_the_context_the_app_looks_it_up_in(
        extracted: tuple[Path, ET.ElementTree]) -> None:
    messages = _messages(extracted[1])
    # The GUI's tr() texts, the tables' marked texts and the engine's texts.
    for key in [("", "&Undo"), ("", "Strict"), ("", "Date taken"), ("", "File size"),
                ("", "Move to Folder ({what})"), ("engine", "Keep all"),
                ("engine", "Not duplicates"), ("engine", "permission denied"),
                ("engine", "the copies are alike: the shortest path is kept"),
                ("engine", "you decided to keep it"), *GERMAN]:
        assert key in messages, key
    for rule in KeepRule:
        assert ("engine", rule.label) in messages and ("engine", rule.explanation) in messages
    # Counts are texts with plural forms, so that a language can give its own.
    assert messages[("", "%Ln photo(s)")].get("numerus") == "yes"
    # No text lands in a context nothing looks up.
    assert {ctx for ctx, _ in messages} == {"", "engine"}


def test_an_installed_translation_shows_in_the_windows(qtbot: QtBot, german: None) -> None:
    dialog = KeepRulesDialog(DEFAULT_PLAN)
    qtbot.addWidget(dialog)
    shown = [dialog.rules.item(i).text() for i in range(dialog.rules.count())]
    assert "Meiste Details: die größte Auflösung" in shown
    # The Undo menu names the batch, the trash and the count in the user's language.
    assert batch_text(BatchSummary(1, TRASH, 3, 100, None)) == "In den Papierkorb (3 Fotos)"
    # A keeper's reason worded by the engine, and a group's title.
    camera = PhotoRecord(1, "/p/IMG_1.jpg", 900, 0, 1, 640, 480, "JPEG", "2020-01-01T10:00:00",
                         "Canon", b"\x01" * 32)
    converted = PhotoRecord(2, "/p/IMG_1.png", 900, 0, 2, 640, 480, "PNG", None, None,
                            b"\x01" * 32)
    choice = choose([camera, converted])
    assert choice.photo is camera
    assert engine_reasons(choice.reasons).startswith("Original: hat Kameradaten")
    exact = DuplicateGroup("exact", [camera, converted], {1, 2}, 1.0)
    assert group_title(exact) == "2 exakte Kopien · alle behalten"
    assert duration(185) == "3 Min. 05 Sek."
    # Untranslated texts stay English; the command line's words are English always.
    assert tr("&Undo") == "&Undo"
    assert english_duration(185) == "3 min 05 s"
    assert str(choice.reasons[0]) == "original: has camera data"
