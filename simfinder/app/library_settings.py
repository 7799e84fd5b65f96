"""Settings that change results, kept with the library (the catalog's `settings` table, key ->
JSON value) so that the app and the command line mark the same photos: the keep rules' order,
the preferred formats, the reference folders, whether the JPEG of a RAW+JPEG pair goes, and the
strictness."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simfinder.core.cleanup.keeper import (
    DEFAULT_FORMAT_ORDER,
    DEFAULT_RULES,
    KeepPlan,
    KeepRule,
    rules_from_settings,
)
from simfinder.core.matching.similarity import Strictness
from simfinder.core.photos.companions import RAW_JPEGS_REMOVED
from simfinder.core.store.catalog import Catalog

log = logging.getLogger(__name__)

KEEP_RULES = "keep-rules"
PREFERRED_FORMATS = "preferred-formats"
REFERENCE_FOLDERS = "reference-folders"
STRICTNESS = "strictness"
REMOVE_RAW_JPEGS = RAW_JPEGS_REMOVED  # read by the scan too (core.photos.companions)


class SettingError(ValueError):
    """A setting's key or value is not valid: the message names the valid ones."""


@dataclass(frozen=True, slots=True)
class ResultSettings:
    """What the library's settings make of the results: the keep plan and the strictness."""

    plan: KeepPlan
    strictness: Strictness


def _words(text: str) -> list[str]:
    """A list given on the command line: JSON (`["a", "b"]`) or comma-separated words."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SettingError(f"not a JSON list: {exc}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingError("give a list of names")
        return [v.strip() for v in value if v.strip()]
    return [w.strip() for w in text.split(",") if w.strip()]


def _parse_rules(text: str) -> list[str]:
    names = _words(text)
    bad = [n for n in names if KeepRule.named(n) is None]
    if bad or not names:
        raise SettingError(f"unknown keep rule {', '.join(bad) or '(none given)'}; the rules "
                           f"are {', '.join(r.value for r in KeepRule)}")
    chosen = [rule for rule in map(KeepRule.named, names) if rule is not None]
    # The rules given first; those left out follow in the default order.
    return [r.value for r in dict.fromkeys([*chosen, *DEFAULT_RULES])]


def _parse_formats(text: str) -> list[str]:
    formats = [f.upper() for f in _words(text)]
    bad = [f for f in formats if f not in DEFAULT_FORMAT_ORDER]
    if bad or not formats:
        raise SettingError(f"unknown format {', '.join(bad) or '(none given)'}; the formats "
                           f"are {', '.join(DEFAULT_FORMAT_ORDER)}")
    # Formats left out rank after the ones given, in the default order.
    return list(dict.fromkeys([*formats, *DEFAULT_FORMAT_ORDER]))


def _parse_folders(text: str) -> list[str]:
    folders = [str(Path(f).expanduser().resolve()) for f in _words(text)]
    missing = [f for f in folders if not Path(f).is_dir()]
    if missing:
        raise SettingError(f"not a folder: {', '.join(missing)}; give folders separated by "
                           "commas (or none: \"\")")
    return list(dict.fromkeys(folders))


def _parse_strictness(text: str) -> str:
    try:
        return Strictness(text.strip().lower()).value
    except ValueError:
        raise SettingError(f"unknown strictness {text!r}; the strictness is one of "
                           f"{', '.join(s.value for s in Strictness)}") from None


def _parse_yes_no(text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "yes", "on", "1"):
        return True
    if word in ("false", "no", "off", "0"):
        return False
    raise SettingError(f"not yes or no: {text!r}; give true or false")


@dataclass(frozen=True, slots=True)
class SettingSpec:
    description: str
    default: Any  # as JSON
    parse: Callable[[str], Any]  # the command line's text -> JSON value; raises SettingError


SETTINGS: Mapping[str, SettingSpec] = {
    KEEP_RULES: SettingSpec("which copy of a group is kept: the rules, first one first",
                            [r.value for r in DEFAULT_RULES], _parse_rules),
    PREFERRED_FORMATS: SettingSpec("the formats the preferred-format rule likes, best first",
                                   list(DEFAULT_FORMAT_ORDER), _parse_formats),
    REFERENCE_FOLDERS: SettingSpec("folders whose photos are never marked for removal", [],
                                   _parse_folders),
    REMOVE_RAW_JPEGS: SettingSpec("true: the JPEG of a RAW+JPEG pair (same name, same folder) is "
                                  "a copy of its RAW, marked for removal (from the next index); "
                                  "false: the pair is one photo", False, _parse_yes_no),
    STRICTNESS: SettingSpec("how alike photos must be to count as duplicates",
                            Strictness.NORMAL.value, _parse_strictness),
}


def _check_key(key: str) -> SettingSpec:
    spec = SETTINGS.get(key)
    if spec is None:
        raise SettingError(f"unknown setting {key!r}; the settings are {', '.join(SETTINGS)}")
    return spec


def setting_values(catalog: Catalog) -> dict[str, Any]:
    """Every setting's value as JSON (its default where the library has none)."""
    saved = catalog.settings()
    values: dict[str, Any] = {}
    for key, spec in SETTINGS.items():
        values[key] = spec.default
        if key in saved:
            try:
                values[key] = json.loads(saved[key])
            except json.JSONDecodeError:
                log.warning("setting %s in the library is not JSON: default used", key)
    return values


def setting_value(catalog: Catalog, key: str) -> Any:
    _check_key(key)
    return setting_values(catalog)[key]


def change_setting(catalog: Catalog, key: str, text: str) -> Any:
    """Validate `text` for `key` and save it; returns the value saved (JSON)."""
    value = _check_key(key).parse(text)
    catalog.set_setting(key, json.dumps(value))
    return value


def saved_keys(catalog: Catalog) -> set[str]:
    return set(catalog.settings()) & set(SETTINGS)


def result_settings(catalog: Catalog) -> ResultSettings:
    """The keep plan and strictness the library's settings make (defaults where unset; a
    value an earlier or later version saved that this one cannot read: the default)."""
    values = setting_values(catalog)
    rules = values[KEEP_RULES] if isinstance(values[KEEP_RULES], list) else []
    formats = values[PREFERRED_FORMATS] if isinstance(values[PREFERRED_FORMATS], list) else []
    refs = values[REFERENCE_FOLDERS] if isinstance(values[REFERENCE_FOLDERS], list) else []
    try:
        strictness = Strictness(values[STRICTNESS])
    except ValueError:
        strictness = Strictness.NORMAL
    plan = KeepPlan(
        rules=rules_from_settings([str(r) for r in rules]),
        reference_folders=tuple(str(f) for f in refs),
        format_order=tuple(str(f).upper() for f in formats) or DEFAULT_FORMAT_ORDER,
        remove_raw_jpegs=values[REMOVE_RAW_JPEGS] is True,
    )
    return ResultSettings(plan, strictness)


def save_keep_plan(catalog: Catalog, plan: KeepPlan) -> None:
    catalog.set_setting(KEEP_RULES, json.dumps([r.value for r in plan.rules]))
    catalog.set_setting(PREFERRED_FORMATS, json.dumps(list(plan.format_order)))
    catalog.set_setting(REFERENCE_FOLDERS, json.dumps(list(plan.reference_folders)))
    catalog.set_setting(REMOVE_RAW_JPEGS, json.dumps(plan.remove_raw_jpegs))


def save_strictness(catalog: Catalog, strictness: Strictness) -> None:
    catalog.set_setting(STRICTNESS, json.dumps(strictness.value))


def describe_value(value: Any) -> str:
    """A value as `simfinder settings` prints it: lists comma-separated, "" for none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) if value else '""'
    return str(value)
