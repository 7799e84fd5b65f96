"""The command line: the same use cases as the GUI, for scripts, benchmarks and tests.

Exit status: 0 on success, 2 on bad usage, 1 on failure with one clear line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from simfinder import __version__
from simfinder.app.units import human_size
from simfinder.app.wording import count_files, counted, duration
from simfinder.config import LIBRARY_ENV
from simfinder.core.photos.devices import USER_DEVICES

if TYPE_CHECKING:  # the commands import what they use when they run: a fast start
    from simfinder.core.cleanup.keeper import KeepPlan
    from simfinder.core.matching.series import Series
    from simfinder.core.store.library import Library

log = logging.getLogger("simfinder.cli")

_THRESHOLDS = ("strict", "normal", "loose")
_DECISIONS = ("not-duplicates", "keep-all")


class UsageError(Exception):
    """Bad command-line use: exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simfinder",
        description="Find duplicate and similar photos, privately, on your own machine.",
    )
    parser.add_argument("--version", action="version", version=f"simfinder {__version__}")
    parser.add_argument(
        "--library",
        metavar="DIR",
        help=f"the library folder (default: ${LIBRARY_ENV} or the per-user data folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="index photo folders (incremental)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="photo folders (or photos)")
    p.add_argument("--device", default="auto", choices=USER_DEVICES,
                   help="where the CNN runs (default: auto)")
    p.add_argument("--forget-missing", action="store_true",
                   help="photos gone from a folder leave the library even when the folder "
                   "looks offline (an empty mount point, most of its photos gone at once)")

    p = sub.add_parser(
        "forget", help="the photos of an offline folder are really gone: forget them",
        description="Take the photos at or below PATH that cannot be found out of the library "
        "(an offline folder's, whose drive is gone for good). Photos still on disk stay; no "
        "file is touched.")
    p.add_argument("path", metavar="PATH", help="a folder (or photo) the library knows")

    p = sub.add_parser("duplicates", help="list groups of duplicate photos")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true",
                      help="print JSON (the groups with the copy to keep marked)")
    form.add_argument("--csv", action="store_true",
                      help="print CSV: one row per photo (group, kind, confidence, path, "
                      "width, height, bytes, format, taken_at, camera, keep, keep_reason, "
                      "decision, new, companions)")
    p.add_argument("--threshold", choices=_THRESHOLDS,
                   help="how alike photos must be to count as duplicates (default: the "
                   "library's strictness setting, normal unless changed)")
    p.add_argument("--all", action="store_true",
                   help="also list the groups you decided about (marked as decided)")

    p = sub.add_parser(
        "series", help="list similar shots of one scene (series), the best one picked",
        description="Series: shots of one scene taken moments apart (bursts, retakes, "
        "brackets), copies counted as one shot. Each series is ranked, the shot to keep "
        "first with its reasons; a bracket keeps every exposure. Nothing is marked for "
        "removal.")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true",
                      help="print CSV: one row per file (series, kind, rank, path, width, "
                      "height, bytes, taken_at, keep, best, reasons, decision)")
    p.add_argument("--all", action="store_true",
                   help="also list the series you decided to keep whole")
    p.add_argument("--keep-all", type=_positive_int, metavar="N",
                   help="keep every shot of series N (as listed): it is left out from now on, "
                   "and comes back only if it gains a shot")
    p.add_argument("--undo", type=_positive_int, metavar="ID",
                   help="take back the keep-all decision ID")
    p.add_argument("--keep-best", metavar="N|all",
                   help="keep only the best shot of series N (or of every series but "
                   "brackets): the other shots go to the trash, journalled (`simfinder undo` "
                   "puts them back)")
    p.add_argument("--dry-run", action="store_true",
                   help="with --keep-best: list what would move; move nothing")

    p = sub.add_parser(
        "decide", help="decide about photos: not duplicates, or keep all",
        description="Decide about a duplicate group, or some photos of one. 'not-duplicates': "
        "they are never grouped together again. 'keep-all': the group is left out of the "
        "review, all its photos kept. Decisions hold across re-indexing, renames and moves; a "
        "group that gains a new photo comes back with only that photo to review.")
    p.add_argument("kind", choices=_DECISIONS, help="the decision")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="two photos or more (a pair, or some photos of a group)")
    p.add_argument("--group", type=_positive_int, metavar="N",
                   help="the whole group N, as `duplicates` numbers it")
    p.add_argument("--threshold", choices=_THRESHOLDS,
                   help="the threshold the group numbers are from (default: the library's "
                   "strictness setting)")

    p = sub.add_parser(
        "decisions", help="list your decisions; undo, export or import them",
        description="Without an action: list the decisions, newest first, with their ids "
        "(those about series of similar shots as s1, s2...).")
    p.add_argument("--json", action="store_true", help="print JSON")
    actions = p.add_subparsers(dest="action", metavar="[ACTION]")
    q = actions.add_parser("undo", help="take decisions back (their groups are reviewed again)")
    q.add_argument("ids", nargs="+", metavar="ID",
                   help="as listed: a number, or s and a number for a series of similar shots")
    q = actions.add_parser("export", help="save every decision to a JSON file")
    q.add_argument("file", metavar="FILE", help="the file to write ('-': standard output)")
    q = actions.add_parser("import", help="add the decisions of an exported file")
    q.add_argument("file", metavar="FILE", help="a file `decisions export` wrote")

    p = sub.add_parser(
        "settings", help="show or change the library's settings (shared with the app)",
        description="Settings that change results, kept in the library: the app and the "
        "command line use the same. Without KEY: list them; with KEY: show one; with KEY "
        "VALUE: change it (lists: comma-separated, \"\" for none).")
    p.add_argument("key", nargs="?", metavar="KEY", help="the setting")
    p.add_argument("value", nargs="?", metavar="VALUE", help="its new value")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "trash", help="move the photos the review marks for removal to the trash",
        description="Move the photos marked for removal to the trash: your marks from the "
        "app's Duplicates view (saved in the library), else the keep rules' marks. Journalled: "
        "`simfinder undo` puts them back.")
    p.add_argument("--marked", action="store_true", required=True,
                   help="the photos marked for removal (required: nothing else is trashed)")
    p.add_argument("--dry-run", action="store_true", help="list what would move; move nothing")
    p.add_argument("--keep-with-companions", action="store_true",
                   help="keep instead each photo marked for removal that has companion files "
                   "(sidecars, edits, Live Photo video...) the photo kept in its group lacks "
                   "(its group's marks change, as in the app)")

    p = sub.add_parser(
        "move", help="move the photos the review marks for removal into a folder",
        description="Move the photos marked for removal into DIR, each below it at its path "
        "in its library folder. Journalled: `simfinder undo` moves them back.")
    p.add_argument("--marked", action="store_true", required=True,
                   help="the photos marked for removal (required)")
    p.add_argument("--to", required=True, metavar="DIR", help="the folder to move them into")
    p.add_argument("--dry-run", action="store_true", help="list what would move; move nothing")
    p.add_argument("--keep-with-companions", action="store_true",
                   help="keep instead each photo marked for removal that has companion files "
                   "(sidecars, edits, Live Photo video...) the photo kept in its group lacks "
                   "(its group's marks change, as in the app)")

    sub.add_parser("undo", help="put back the photos of the last trash or move")

    p = sub.add_parser("similar", help="list the photos most similar to an image")
    p.add_argument("image", metavar="IMAGE", help="an indexed photo or any image file")
    p.add_argument("--top", type=_positive_int, default=20, metavar="N",
                   help="how many results (default: 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--device", default="auto", choices=USER_DEVICES)

    p = sub.add_parser("status", help="what the library holds")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("check", help="verify that catalog, vectors and thumbnails agree")
    p.add_argument("--repair", action="store_true", help="fix what can be fixed")

    sub.add_parser("demo", help="build a small demo photo folder, index it, show results")

    p = sub.add_parser("gui", help="open the desktop app (the default without a command)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="photo folders to add and index, or an image to search with")
    p.add_argument("--demo", action="store_true",
                   help="open the demo library, building and indexing the demo photos")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on bad usage
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:  # `simfinder` alone opens the GUI
        args = parser.parse_args([*(sys.argv[1:] if argv is None else argv), "gui"])
    try:
        return _COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"simfinder: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("simfinder: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, not a traceback, for the user
        log.debug("failure", exc_info=True)
        print(f"simfinder: error: {exc}", file=sys.stderr)
        return 1


# -- commands -------------------------------------------------------------------------------


def _cmd_index(args: argparse.Namespace) -> int:
    from simfinder.app.usecases import EmbedderProvider, index_folders, open_library

    paths = [Path(p).expanduser() for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such folder: {', '.join(missing)}")
    from simfinder.core.progress import CancelToken

    cancel = CancelToken()
    with open_library(args.library) as library, _first_interrupt_cancels(cancel):
        bar = ProgressBar(sys.stderr)
        try:
            run = index_folders(library, paths, EmbedderProvider(args.device),
                                progress=bar, cancel=cancel,
                                forget_missing=args.forget_missing)
        finally:
            bar.close()
    _print_index_summary(run.index, sys.stderr)
    if run.comparison is not None:
        _print_comparison_summary(run.comparison, sys.stderr)
    return 0


@contextlib.contextmanager
def _first_interrupt_cancels(cancel: object) -> Iterator[None]:
    """Ctrl+C once: finish the batch in hand, save, summarise. Twice: stop at once."""
    from simfinder.core.progress import CancelToken

    assert isinstance(cancel, CancelToken)
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        print("\nStopping after the photos in hand (Ctrl+C again to stop at once)...",
              file=sys.stderr)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_index_summary(report: object, out: TextIO) -> None:
    from simfinder.core.indexing.indexer import IndexReport

    assert isinstance(report, IndexReport)
    parts = [
        f"{report.indexed} indexed",
        f"{report.linked} recognised by content (moved, renamed or copied)",
        f"{report.unchanged} unchanged",
        f"{report.removed} removed",
        f"{len(report.failed)} failed",
    ]
    if report.failed_before:
        parts.append(f"{report.failed_before} still failing from earlier runs")
    word = "Cancelled" if report.cancelled else "Done"
    print(f"{word} in {duration(report.elapsed)}: " + ", ".join(parts) + ".", file=out)
    if report.failed:
        reasons = Counter(e.reason for e in report.failed)
        print("Failed files:", file=out)
        for reason, count in reasons.most_common():
            print(f"  {count} x {reason}", file=out)
        for e in report.failed[:10]:
            print(f"    {e.path}: {e.reason}", file=out)
        if len(report.failed) > 10:
            print(f"    ... and {len(report.failed) - 10} more (see `simfinder status`)", file=out)
    for folder, reason in report.unreadable_folders:
        print(f"Could not read folder {folder}: {reason}", file=out)
    for o in report.offline:
        print(f"Offline: {o.path} ({o.reason}): its {o.photos} photos are kept; "
              f"`simfinder forget {o.path}` if they are really gone.", file=out)


def _print_comparison_summary(report: object, out: TextIO) -> None:
    from simfinder.core.matching.pending_checks import ComparisonReport

    assert isinstance(report, ComparisonReport)
    if not (report.verified or report.unverifiable or report.cancelled):
        return  # nothing was left to compare
    line = (f"Compared likely copies in {duration(report.seconds)}: {report.verified} pairs "
            f"verified now, {report.stored_before} earlier")
    if report.unverifiable:
        line += f", {report.unverifiable} without pixels to compare"
    if report.cancelled:
        line += (f"; stopped with {report.left} pairs left (the next `simfinder index` "
                 "carries on)")
    print(line + ".", file=out)


def _cmd_forget(args: argparse.Namespace) -> int:
    from simfinder.app.usecases import forget_missing_photos, open_library

    with open_library(args.library) as library:
        report = forget_missing_photos(library, Path(args.path))
    print(f"Forgot {report.photos} photos at {report.folder} that cannot be found"
          f" ({report.contents} no longer in the library at all).")
    return 0


def _cmd_duplicates(args: argparse.Namespace) -> int:
    from simfinder.app.library_settings import result_settings
    from simfinder.app.review import groups_as_csv, review_groups, why_each_kept
    from simfinder.app.usecases import groups_as_json, open_library
    from simfinder.core.matching.similarity import Strictness

    with open_library(args.library) as library:
        # The library's keep rules and reference folders: the marks a fresh Duplicates view
        # shows (the user's own marks are the review's: `trash --marked` acts on those).
        chosen = result_settings(library.catalog)
        strictness = Strictness(args.threshold) if args.threshold else chosen.strictness
        plan = chosen.plan
        groups = review_groups(library, strictness, plan, include_decided=args.all)
    if args.json:
        json.dump(groups_as_json(groups, plan), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if args.csv:
        groups_as_csv(groups, sys.stdout, plan)
        return 0
    if not groups:
        print("No duplicates found.")
        return 0
    total = 0
    for n, g in enumerate(groups, 1):
        label = "exact copies" if g.kind == "exact" else f"near-duplicates ({g.confidence:.2f})"
        print(f"Group {n}: {len(g.photos)} {label}{_decision_note(g)}")
        new = g.new
        reasons = why_each_kept(g, plan)
        for p in g.photos:
            mark = "keep " if p.file_id in g.keep else "     "
            tail = "  (new)" if p.file_id in new else ""
            if p.file_id in reasons:
                tail += f"  - {reasons[p.file_id]}"
            print(f"  {mark}{p.width}x{p.height} {human_size(p.size):>9}  {p.path}{tail}")
        total += g.reclaimable_bytes
    print(f"{len(groups)} groups; {human_size(total)} can be freed by keeping one photo of each.")
    return 0


def _cmd_series(args: argparse.Namespace) -> int:
    from simfinder.app.library_settings import result_settings
    from simfinder.app.series import (
        keep_all,
        review_series,
        series_as_csv,
        series_as_json,
        shot_words,
        undo_keep_all,
    )
    from simfinder.app.usecases import open_library

    with open_library(args.library) as library:
        cat = library.catalog
        if args.undo is not None:
            if not undo_keep_all(cat, [args.undo]):
                raise UsageError(f"no series decision {args.undo}")
            print(f"Undid decision {args.undo}: that series is reviewed again.")
            return 0
        chosen_settings = result_settings(cat)
        found = review_series(library, chosen_settings.strictness, include_decided=args.all)
        if args.keep_best is not None:
            return _series_keep_best(library, found, args.keep_best, args.dry_run,
                                     chosen_settings.plan)
        if args.keep_all is not None:
            if args.keep_all > len(found):
                raise UsageError(f"there are {len(found)} series; no series {args.keep_all}")
            chosen = found[args.keep_all - 1]
            decision_id = keep_all(cat, chosen)
            print(f"Decision s{decision_id}: keep all {len(chosen.shots)} shots. "
                  f"`simfinder decisions undo s{decision_id}` (or `simfinder series --undo "
                  f"{decision_id}`) takes it back.")
            return 0
    if args.json:
        json.dump(series_as_json(found), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if args.csv:
        series_as_csv(found, sys.stdout)
        return 0
    if not found:
        print("No series of similar shots found.")
        return 0
    for k, s in enumerate(found, 1):
        label = "bracket (all exposures kept)" if s.bracket else "similar shots"
        note = f" - decided: keep all (decision {s.decision.id})" if s.decision else ""
        print(f"Series {k}: {len(s.shots)} {label}{note}")
        for n, shot in enumerate(s.shots):
            mark = "best " if s.pick is shot else "     "
            copies = f" (+{len(shot.photos) - 1} copies)" if len(shot.photos) > 1 else ""
            words = shot_words(s, n)
            tail = f"  - {words}" if words else ""
            print(f"  {mark}{shot.main.width}x{shot.main.height} "
                  f"{human_size(shot.size):>9}  {shot.main.path}{copies}{tail}")
    shots = sum(len(s.shots) for s in found)
    freed = sum(s.freeable_bytes for s in found)
    print(f"{len(found)} series, {shots} shots; keeping only the best of each would free "
          f"{human_size(freed)} (nothing is marked for removal).")
    return 0


def _series_keep_best(library: Library, found: Sequence[Series], which: str, dry_run: bool,
                      plan: KeepPlan) -> int:
    """`series --keep-best N|all`: every shot but the best to the trash, journalled."""
    from simfinder.app.series import best_only, keep_best, marked_shots
    from simfinder.core.cleanup.trash import trash_name

    series = list(found)
    if which != "all":
        try:
            n = int(which)
        except ValueError:
            raise UsageError(f"--keep-best takes a series number or 'all', not {which!r}") \
                from None
        if not 1 <= n <= len(series):
            raise UsageError(f"there are {len(series)} series; no series {which}")
        if series[n - 1].bracket:
            raise UsageError(f"series {n} is a bracket: every exposure is kept")
        series = [series[n - 1]]
    photos = marked_shots(best_only(series))
    if not photos:
        raise UsageError("no series with shots to let go")
    size = human_size(sum(p.size for p in photos))
    if dry_run:
        for p in photos:
            print(p.path)
        print(f"Would move {count_files(len(photos), 0)} ({size}) to {trash_name()}.")
        return 0
    report = keep_best(library, series, plan=plan)
    print(f"Moved {count_files(len(report.moved), 0)} ({human_size(report.bytes_moved)}) to "
          f"{trash_name()}. `simfinder undo` puts them back.")
    for failure in [*report.failed, *report.companions_failed]:
        print(f"simfinder: not moved: {failure.path}: {failure.reason}", file=sys.stderr)
    return 1 if report.failed or report.companions_failed else 0


def _decision_note(group: object) -> str:
    from simfinder.app.decisions import KIND_WORDS
    from simfinder.core.matching.grouping import DuplicateGroup

    assert isinstance(group, DuplicateGroup)
    d = group.decision
    if d is None:
        return ""
    word = KIND_WORDS[d.kind].lower()
    if group.decided:
        return f" - decided: {word} (decision {d.id})"
    if group.reopened:
        return f" - came back: {len(group.new)} new since {word} (decision {d.id})"
    return ""


def _cmd_decide(args: argparse.Namespace) -> int:
    from simfinder.app.decisions import KIND_WORDS, decide_group, decide_paths
    from simfinder.app.library_settings import result_settings
    from simfinder.app.review import review_groups
    from simfinder.app.usecases import open_library
    from simfinder.core.matching.decisions import DecisionError
    from simfinder.core.matching.similarity import Strictness

    if (args.group is None) == (not args.paths):
        raise UsageError("name two photos or more, or one group with --group N")
    with open_library(args.library) as library:
        if args.group is not None:
            strictness = (Strictness(args.threshold) if args.threshold
                          else result_settings(library.catalog).strictness)
            groups = review_groups(library, strictness)
            if args.group > len(groups):
                raise UsageError(f"there are {len(groups)} groups at {strictness.value}; "
                                 f"no group {args.group}")
            group = groups[args.group - 1]
            decision_id = decide_group(library.catalog, args.kind, group)
            count = len(group.photos)
        else:
            try:
                decision_id = decide_paths(library.catalog, args.kind, args.paths)
            except DecisionError as exc:
                raise UsageError(str(exc)) from None
            count = len(set(args.paths))
    print(f"Decision {decision_id}: {KIND_WORDS[args.kind].lower()} ({count} photos). "
          f"`simfinder decisions undo {decision_id}` takes it back.")
    return 0


def _cmd_decisions(args: argparse.Namespace) -> int:
    from simfinder.app.decisions import (
        export_decisions,
        import_decisions_file,
        list_all_decisions,
        parse_refs,
        undo_refs,
    )
    from simfinder.app.usecases import open_library
    from simfinder.core.matching.decisions import DecisionError, decisions_as_json

    with open_library(args.library) as library:
        cat = library.catalog
        if args.action == "undo":
            try:
                groups, series = parse_refs(args.ids)
            except DecisionError as exc:
                raise UsageError(str(exc)) from None
            known = {d.id for d in cat.decisions()}
            known_series = {d.id for d in cat.series_decisions()}
            missing = [str(i) for i in groups if i not in known] + \
                [f"s{i}" for i in series if i not in known_series]
            if missing:
                raise UsageError(f"no decision {', '.join(missing)} (see `simfinder decisions`)")
            n = undo_refs(cat, args.ids)
            print(f"Undid {counted(n, 'decision')}: those photos are reviewed again.")
            return 0
        if args.action == "export":
            if args.file == "-":
                json.dump(decisions_as_json(cat.decisions(), cat.series_decisions()), sys.stdout,
                          indent=2)
                sys.stdout.write("\n")
                return 0
            n = export_decisions(cat, Path(args.file).expanduser())
            print(f"Saved {counted(n, 'decision')} to {args.file}", file=sys.stderr)
            return 0
        if args.action == "import":
            source = Path(args.file).expanduser()
            if not source.is_file():
                raise UsageError(f"no such file: {args.file}")
            try:
                added, known_already = import_decisions_file(cat, source)
            except DecisionError as exc:
                print(f"simfinder: {exc}", file=sys.stderr)
                return 1
            print(f"Imported {counted(added, 'decision')}"
                  f" ({known_already} already there).")
            return 0
        views = list_all_decisions(cat)
    if args.json:
        json.dump({"decisions": [v.as_json() for v in views]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not views:
        print("No decisions yet (see `simfinder decide --help`).")
        return 0
    for v in views:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(v.record.made_at))
        gone = "  [files gone from the library]" if v.gone else ""
        print(f"{v.ref:>4}  {when}  {v.describe()}{gone}")
        for name in v.names():
            print(f"        {name}")
    return 0


def _cmd_settings(args: argparse.Namespace) -> int:
    from simfinder.app.library_settings import (
        SETTINGS,
        SettingError,
        change_setting,
        describe_value,
        saved_keys,
        setting_value,
        setting_values,
    )
    from simfinder.app.usecases import open_library

    with open_library(args.library) as library:
        cat = library.catalog
        try:
            if args.key is not None and args.value is not None:
                value = change_setting(cat, args.key, args.value)
                print(f"{args.key} = {describe_value(value)}")
                return 0
            if args.key is not None:
                value = setting_value(cat, args.key)
                if args.json:
                    json.dump(value, sys.stdout)
                    sys.stdout.write("\n")
                else:
                    print(describe_value(value))
                return 0
        except SettingError as exc:
            raise UsageError(str(exc)) from None
        values = setting_values(cat)
        changed = saved_keys(cat)
    if args.json:
        json.dump(values, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for key, spec in SETTINGS.items():
        note = "" if key in changed else "  (default)"
        print(f"{key} = {describe_value(values[key])}{note}")
        print(f"    {spec.description}")
    return 0


def _cmd_remove_marked(args: argparse.Namespace) -> int:
    """`trash --marked` and `move --marked --to DIR`: the review's marks, journalled."""
    from simfinder.app.review import (
        companion_notes,
        describe_marked,
        marked_companions,
        planned_destinations,
        remove_marked,
        settle_interrupted_actions,
    )
    from simfinder.app.review_session import saved_session
    from simfinder.app.usecases import open_library
    from simfinder.core.cleanup.trash import trash_name

    target = Path(args.to).expanduser().resolve() if args.command == "move" else None
    if target is not None and target.exists() and not target.is_dir():
        raise UsageError(f"not a folder: {args.to}")
    where = trash_name() if target is None else str(target)
    with open_library(args.library) as library:
        settle_interrupted_actions(library)  # a move an earlier run was killed in
        session = saved_session(library)
        notes = companion_notes(session.groups, session.plan)
        if args.dry_run:
            session.stop_saving()  # a dry run changes no mark the library holds
        if args.keep_with_companions:
            for note in notes:
                if note.kind == "lacking":
                    session.keep_only(note.photo.file_id)
                    print(f"{'Would keep' if args.dry_run else 'Kept'} {note.photo.path} "
                          "instead: it has companion files the copy kept lacks.")
            notes = companion_notes(session.groups, session.plan)
        photos = session.marked()
        if not photos:
            raise UsageError("no photo is marked for removal (see `simfinder duplicates`)")
        size = human_size(sum(p.size for p in photos))
        for note in notes:
            print(f"Note: {note.text}")
        if any(n.kind == "lacking" for n in notes) and not args.keep_with_companions:
            print("Note: --keep-with-companions keeps those photos instead.")
        if args.dry_run:
            dests = (planned_destinations(library, photos, target) if target is not None
                     else [None] * len(photos))
            for p, dest in zip(photos, dests, strict=True):
                print(p.path if dest is None else f"{p.path} -> {dest}")
            for companion in marked_companions(session.groups):
                print(f"{companion} (with its photo)")
            print(f"Would move {describe_marked(session.groups, photos)} ({size}) to {where}.")
            return 0
        report = remove_marked(library, session.groups, destination=target, plan=session.plan)
        session.photos_moved([src for src, _ in report.moved])
    moved = count_files(len(report.moved), len(report.companions_moved))
    into = "to" if target is None else "into"
    print(f"Moved {moved} ({human_size(report.bytes_moved)}) {into} "
          f"{where}. `simfinder undo` puts them back.")
    for failure in [*report.failed, *report.companions_failed]:
        print(f"simfinder: not moved: {failure.path}: {failure.reason}", file=sys.stderr)
    return 1 if report.failed or report.companions_failed else 0


def _cmd_undo(args: argparse.Namespace) -> int:
    from simfinder.app.review import undo_last_action, undoable_action
    from simfinder.app.usecases import EmbedderProvider, open_library
    from simfinder.core.cleanup.actions import TRASH
    from simfinder.core.cleanup.trash import trash_name

    with open_library(args.library) as library:
        summary = undoable_action(library)
        if summary is None:
            raise UsageError("nothing to undo")
        report = undo_last_action(library, EmbedderProvider())
    if report is None:
        raise UsageError("nothing to undo")
    size = human_size(sum(os.path.getsize(p) for p in report.restored if os.path.isfile(p)))
    source = trash_name() if summary.kind == TRASH else summary.target
    back = count_files(len(report.restored), len(report.companions_restored))
    print(f"Put back {back} ({size}) from {source}.")
    for failure in [*report.failed, *report.companions_failed]:
        print(f"simfinder: not put back: {failure.path}: {failure.reason}", file=sys.stderr)
    return 1 if report.failed or report.companions_failed else 0


def _cmd_similar(args: argparse.Namespace) -> int:
    from simfinder.app.usecases import (
        EmbedderProvider,
        open_library,
        similar_as_json,
        similar_photos,
    )
    from simfinder.core.matching.search import QueryError

    image = Path(args.image).expanduser()
    if not image.is_file():
        raise UsageError(f"no such file: {args.image}")
    with open_library(args.library) as library:
        try:
            hits = similar_photos(library, image, EmbedderProvider(args.device), top=args.top)
        except QueryError as exc:
            print(f"simfinder: {exc}", file=sys.stderr)
            return 1
    if args.json:
        json.dump(similar_as_json(image, hits), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print("The library has no photos yet: index a folder first.")
        return 0
    for h in hits:
        print(f"{h.score:.3f}  {h.match:<14}  {h.photo.path}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from simfinder.app.usecases import library_status, open_library

    with open_library(args.library) as library:
        st = library_status(library)
    if args.json:
        json.dump(st.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"Library: {st.library}")
    offline = {o.path for o in st.offline}
    shown = [f"{f} (offline)" if f in offline else f for f in st.folders]
    print(f"Folders: {', '.join(shown) if shown else '(none yet)'}")
    print(f"Photos: {st.photos} indexed ({st.distinct} distinct), {st.vectors} in the vector index")
    print(f"On disk: catalog {human_size(st.catalog_bytes)},"
          f" thumbnails {human_size(st.thumbnail_bytes)}")
    for o in st.offline:
        print(f"Offline: {o.path} ({o.reason}), {o.photos} photos kept since "
              f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(o.since))}")
    if st.errors:
        print(f"Could not index {len(st.errors)} files:")
        for e in st.errors:
            print(f"  {e.path}: {e.reason}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from simfinder.app.usecases import open_library
    from simfinder.core.store.check import check_library

    with (
        open_library(args.library) as library,
        library.writing(timeout=0 if not args.repair else 10),
    ):
        report = check_library(library, repair=args.repair)
    if not report.problems:
        print("The library is consistent.")
        return 0
    for problem in report.problems:
        print(f"problem: {problem}")
    for fix in report.repaired:
        print(f"repaired: {fix}")
    if args.repair and report.ok:
        return 0
    if not args.repair:
        print("Run `simfinder check --repair` to fix them.")
    return 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from simfinder.app.demo import build_demo_folder
    from simfinder.config import demo_dirs

    library_dir, photos = demo_dirs(args.library)
    print(f"Building the demo photo folder {photos} ...", file=sys.stderr)
    build_demo_folder(photos)
    common = argparse.Namespace(library=str(library_dir), verbose=args.verbose)
    _cmd_index(argparse.Namespace(**vars(common), paths=[str(photos)], device="auto",
                                  forget_missing=False))
    print(f"\nDuplicates in the demo folder ({photos}):\n")
    _cmd_duplicates(argparse.Namespace(**vars(common), json=False, csv=False,
                                       threshold="normal", all=False))
    query = photos / "cat.png"
    print(f"\nPhotos most similar to {query}:\n")
    _cmd_similar(argparse.Namespace(**vars(common), image=str(query), top=5, json=False,
                                    device="auto"))
    print(f"\nThe demo library is {library_dir}; try:\n"
          f"  simfinder --library {library_dir} similar {photos / 'coffee.png'}")
    return 0


def _cmd_gui(args: argparse.Namespace) -> int:
    from simfinder.gui.app import NoDisplay, run

    try:
        return run(args.library, args.paths, demo=args.demo)
    except NoDisplay as exc:
        print(f"simfinder: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None


_COMMANDS = {
    "index": _cmd_index,
    "forget": _cmd_forget,
    "duplicates": _cmd_duplicates,
    "series": _cmd_series,
    "decide": _cmd_decide,
    "decisions": _cmd_decisions,
    "settings": _cmd_settings,
    "trash": _cmd_remove_marked,
    "move": _cmd_remove_marked,
    "undo": _cmd_undo,
    "similar": _cmd_similar,
    "status": _cmd_status,
    "check": _cmd_check,
    "demo": _cmd_demo,
    "gui": _cmd_gui,
}


# -- output helpers -------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar (count, rate, ETA) on a terminal; periodic lines otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._last_line = 0.0
        self._last_text = ""
        self._drawn = False

    def __call__(self, progress: object) -> None:
        from simfinder.core.progress import Progress

        assert isinstance(progress, Progress)
        if progress.phase == "scanning":
            text = f"Found {progress.done} photos"
        elif progress.phase == "comparing" and not progress.total:
            text = "Looking for likely copies to compare"
        else:
            unit = "pairs" if progress.phase == "comparing" else "photos"
            eta = progress.eta
            eta_text = duration(eta) if eta is not None else "--"
            width = 24
            filled = int(width * progress.done / progress.total) if progress.total else width
            text = (
                f"[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total}"
                f"  {progress.rate:.1f} {unit}/s  ETA {eta_text}"
            )
            if progress.phase == "comparing":
                text = "Comparing likely copies " + text
        if self.tty:
            cols = os.get_terminal_size(self.out.fileno()).columns
            self.out.write("\r" + text[: cols - 1].ljust(cols - 1))
            self.out.flush()
            self._drawn = True
        else:
            now = time.monotonic()
            done = progress.total and progress.done >= progress.total
            if text != self._last_text and (now - self._last_line >= 5.0 or done):
                self._last_line = now
                self._last_text = text
                self.out.write(text + "\n")
                self.out.flush()

    def close(self) -> None:
        if self._drawn:
            self.out.write("\n")
            self.out.flush()


if __name__ == "__main__":
    raise SystemExit(main())
