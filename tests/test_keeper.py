"""Which photo of a duplicate group is kept: the rules, their order, reference folders."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from simfinder.core.catalog import PhotoRecord
from simfinder.core.grouping import DuplicateGroup, choose_keeper
from simfinder.core.keeper import (
    DEFAULT_PLAN,
    DEFAULT_RULES,
    KeepPlan,
    KeepRule,
    apply_plan,
    best_photo,
    choose_keepers,
    why_kept,
)

_ids = itertools.count(1)


def photo(path: str, width: int = 4000, height: int = 3000, size: int = 3_000_000,
          fmt: str = "JPEG", taken_at: str | None = None, mtime: str = "2024-01-01") -> PhotoRecord:
    mtime_ns = int(datetime.fromisoformat(mtime).timestamp() * 1e9)
    return PhotoRecord(next(_ids), path, size, mtime_ns, 1, width, height, fmt, taken_at, None,
                       b"d" * 16)


def kept(photos: list[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN) -> set[str]:
    by_id = {p.file_id: p.path for p in photos}
    return {by_id[i] for i in choose_keepers(photos, plan)}


def only(rule: KeepRule, **kwargs: object) -> KeepPlan:
    return KeepPlan(rules=(rule, *[r for r in DEFAULT_RULES if r is not rule]), **kwargs)


def test_each_rule_picks_its_photo() -> None:
    big = photo("/p/big.jpg", 4000, 3000, 2_000_000)
    heavy = photo("/p/heavy.jpg", 2000, 1500, 2_500_000)  # smaller, but more bytes per pixel
    raw = photo("/p/raw.cr2", 2000, 1500, 1_000_000, fmt="RAW")
    old = photo("/p/old.jpg", 1000, 750, 100_000, taken_at="2003-05-01T10:00:00")
    group = [big, heavy, raw, old]
    assert kept(group, only(KeepRule.HIGHEST_RESOLUTION)) == {"/p/big.jpg"}
    assert kept(group, only(KeepRule.LARGEST_FILE)) == {"/p/heavy.jpg"}
    assert kept(group, only(KeepRule.LEAST_COMPRESSED)) == {"/p/heavy.jpg"}
    assert kept(group, only(KeepRule.PREFERRED_FORMAT)) == {"/p/raw.cr2"}
    assert kept(group, only(KeepRule.OLDEST_CAPTURE)) == {"/p/old.jpg"}


def test_least_compressed_is_bytes_per_pixel_not_bytes() -> None:
    large_file = photo("/p/a.jpg", 4000, 3000, 3_000_000)  # 0.25 B/px
    dense_file = photo("/p/b.jpg", 1000, 1000, 1_000_000)  # 1.0 B/px
    assert kept([large_file, dense_file], only(KeepRule.LEAST_COMPRESSED)) == {"/p/b.jpg"}
    assert kept([large_file, dense_file], only(KeepRule.LARGEST_FILE)) == {"/p/a.jpg"}


def test_later_rules_break_ties_of_earlier_ones() -> None:
    jpeg = photo("/p/a.jpg", 4032, 3024, 2_000_000, fmt="JPEG")
    heic = photo("/p/a.heic", 4032, 3024, 1_200_000, fmt="HEIF")
    small = photo("/p/a-small.jpg", 1000, 750, 900_000)
    # Same resolution: the format order keeps the HEIC over the bigger JPEG.
    assert kept([jpeg, heic, small]) == {"/p/a.heic"}
    plan = KeepPlan(format_order=("JPEG", "HEIF"))
    assert kept([jpeg, heic, small], plan) == {"/p/a.jpg"}
    # With the file size first, the JPEG wins.
    assert kept([jpeg, heic, small], only(KeepRule.LARGEST_FILE)) == {"/p/a.jpg"}
    assert why_kept(DuplicateGroup("near", [jpeg, heic, small], {heic.file_id}, 0.9),
                    KeepPlan()) == ("Kept: the most pixels, then the format highest in your "
                                    "format order (e.g. RAW over JPEG).")


def test_oldest_capture_date_falls_back_to_the_file_date() -> None:
    exif_2010 = photo("/p/a.jpg", taken_at="2010-06-01T12:00:00", mtime="2024-01-01")
    file_2008 = photo("/p/b.jpg", taken_at=None, mtime="2008-01-01")
    exif_2012 = photo("/p/c.jpg", taken_at="2012-01-01T00:00:00", mtime="2001-01-01")
    assert kept([exif_2010, file_2008, exif_2012], only(KeepRule.OLDEST_CAPTURE)) == {"/p/b.jpg"}
    assert kept([exif_2010, exif_2012], only(KeepRule.OLDEST_CAPTURE)) == {"/p/a.jpg"}


def test_photos_in_reference_folders_are_always_kept() -> None:
    best = photo("/home/me/Downloads/best.jpg", 6000, 4000, 9_000_000)
    ref = photo("/home/me/Archive/2019/copy.jpg", 1000, 750, 200_000)
    ref2 = photo("/home/me/Archive/copy2.jpg", 800, 600, 100_000)
    group = [best, ref, ref2]
    plan = KeepPlan(reference_folders=("/home/me/Archive/",))
    # Reference folder first (the default): only the reference copies are kept.
    assert kept(group, plan) == {ref.path, ref2.path}
    assert why_kept(DuplicateGroup("near", group, choose_keepers(group, plan), 0.9), plan) \
        == "Kept: in a reference folder."
    # Ranked below resolution, the best copy is kept too; reference copies still never go.
    later = KeepPlan(rules=(KeepRule.HIGHEST_RESOLUTION, KeepRule.REFERENCE_FOLDER),
                     reference_folders=plan.reference_folders)
    assert kept(group, later) == {best.path, ref.path, ref2.path}
    # A folder is a folder, not a prefix of names.
    lookalike = photo("/home/me/Archive-old/x.jpg", 100, 100, 10)
    assert not plan.is_reference(lookalike.path)


def test_every_group_keeps_at_least_one_and_the_choice_is_stable() -> None:
    a = photo("/p/b/x.jpg")
    b = photo("/p/a/x.jpg")
    c = photo("/p/x.jpg")
    for order in itertools.permutations([a, b, c]):
        assert kept(list(order)) == {"/p/x.jpg"}  # all alike: the shortest path
    two = [photo("/p/1.jpg"), photo("/p/2.jpg")]
    assert kept(two) == {"/p/1.jpg"}
    with pytest.raises(ValueError):
        best_photo([])


def test_a_plan_from_partial_settings_still_ranks_on_every_rule() -> None:
    plan = KeepPlan(rules=(KeepRule.OLDEST_CAPTURE, KeepRule.OLDEST_CAPTURE))
    assert plan.rules[0] is KeepRule.OLDEST_CAPTURE
    assert sorted(plan.rules) == sorted(DEFAULT_RULES)


def test_grouping_and_apply_plan_use_the_same_default_rules() -> None:
    group = [photo("/p/a.jpg", 4032, 3024, 2_000_000), photo("/p/a.heic", 4032, 3024,
                                                              1_000_000, fmt="HEIF")]
    assert choose_keeper(group).path == "/p/a.heic"
    groups = [DuplicateGroup("near", group, {group[0].file_id}, 0.95)]
    apply_plan(groups, KeepPlan())
    assert groups[0].keep == {group[1].file_id}
    assert groups[0].reclaimable_bytes == 2_000_000
