"""The Similar panel lists the most alike photos even when none is much alike, with a divider
where they stop being much alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot

from simfinder.app.gallery import SIMILAR_SCORE_FLOOR
from simfinder.core.matching.search import SimilarHit
from simfinder.core.matching.similarity import Evidence
from simfinder.core.photos.thumbs import ThumbnailCache
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui.similar_panel import DividerRole, QueryTarget, SimilarPanel
from simfinder.gui.thumbnails import ThumbnailStore

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


def _hit(i: int, score: float, match: str = "similar") -> SimilarHit:
    record = PhotoRecord(i, f"/photos/{i:03d}.jpg", 1000, 0, i, 640, 480, "JPEG", None, None,
                         bytes([i]) * 16)
    return SimilarHit(record, score, match, Evidence(score, 30, 30))


@pytest.fixture
def panel(qtbot: QtBot, tmp_path: Path) -> SimilarPanel:
    store = ThumbnailStore(ThumbnailCache(tmp_path / "thumbs"))
    widget = SimilarPanel(store)
    qtbot.addWidget(widget)
    widget.resize(320, 700)
    widget.show()
    widget.show_query(QueryTarget(Path("/photos/query.jpg"), "query.jpg"))
    return widget


def _dividers(panel: SimilarPanel) -> list[int]:
    model = panel.model
    return [r for r in range(model.rowCount()) if model.data(model.index(r, 0), DividerRole)]


def test_photos_below_the_floor_are_listed_under_a_divider(panel: SimilarPanel) -> None:
    low = SIMILAR_SCORE_FLOOR - 0.1
    hits = [_hit(1, 0.97, "near-duplicate"), _hit(2, SIMILAR_SCORE_FLOOR + 0.05),
            _hit(3, low), _hit(4, low - 0.05)]
    panel.show_results(hits)
    assert panel.model.rowCount() == 4  # nothing hidden
    assert _dividers(panel) == [2]
    # The row under the divider is taller by the divider's strip, the others are not.
    heights = [panel.result_rect(r).height() for r in range(4)]
    assert heights[2] > heights[1] == heights[0] == heights[3]
    assert "below the line" in panel.status.text()


def test_with_nothing_much_alike_the_closest_photos_are_still_listed(
    panel: SimilarPanel,
) -> None:
    # A photo whose only copy is turned by an odd angle (not judged a duplicate) and unrelated
    # photos: all score under the floor, and they are listed, the divider above them all.
    hits = [_hit(i, SIMILAR_SCORE_FLOOR - 0.05 * i) for i in range(1, 6)]
    panel.show_results(hits)
    assert panel.model.rowCount() == 5
    assert _dividers(panel) == [0]
    assert "closest are listed" in panel.status.text()


def test_no_divider_when_every_photo_is_much_alike(panel: SimilarPanel) -> None:
    panel.show_results([_hit(1, 1.0, "exact"), _hit(2, SIMILAR_SCORE_FLOOR + 0.2)])
    assert _dividers(panel) == []
    assert panel.model.data(QModelIndex(), DividerRole) is None
    assert panel.status.text() == "Most alike first: 1 duplicate, 1 similar photo."
