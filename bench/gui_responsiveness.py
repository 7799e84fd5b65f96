"""GUI responsiveness: start-up time, event-loop stalls while indexing, gallery at 50,000 photos.

    .venv/bin/python bench/gui_responsiveness.py [FOLDER] [--write]

FOLDER defaults to a temporary copy of ../shared/datasets/camera_photos/images (2-22 MP camera
JPEGs). Runs offscreen (QT_QPA_PLATFORM=offscreen unless set).

1. Start-up: `simfinder gui` in a fresh process, from spawn to the window shown (first turn of
   the event loop after show()), on an empty library and on the indexed one; and whether torch /
   onnxruntime were imported by then.
2. Stalls: a 5 ms QTimer records how late each tick is. Baseline: the idle window. Then the
   folder is added and indexed through the worker thread: first as on a new machine (no cached
   ONNX model: it is exported in a child process), then into a second library with the model
   cached.
3. A 50,000-photo library (the indexed photos plus catalog rows pointing at their contents):
   start-up, time until the gallery is filled, stalls while indexing ../shared/datasets/
   ukbench_holidays_mini into it, a similar search.
4. Gallery alone: 50,000 rows (prepared as the worker thread does) shown in the gallery, then
   the view scrolled through in 200 steps, each step painted at once; the time per painted
   frame; a filter by name.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.report import write_section  # noqa: E402
from simfinder.config import CACHE_ENV  # noqa: E402
from simfinder.core.store.catalog import PhotoRow  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402
from simfinder.gui.app import STARTUP_PROBE_ENV, freeze_start_up_objects  # noqa: E402
from simfinder.gui.gallery import (  # noqa: E402
    GalleryFilter,
    GalleryModel,
    GalleryView,
    PreparedPhotos,
)
from simfinder.gui.mainwindow import MainWindow  # noqa: E402
from simfinder.gui.settings import AppSettings  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

SECTION = "## GUI"
DEFAULT_PHOTOS = DATASETS / "camera_photos" / "images"
MORE_PHOTOS = DATASETS / "ukbench_holidays_mini" / "images"
SCALE = 50_000


def startup(library: Path, home: Path, runs: int = 3) -> tuple[float, str]:
    """Median seconds from spawning `simfinder gui` to its window shown; heavy modules then."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_STATE_HOME": str(home / "state"), STARTUP_PROBE_ENV: "1"}
    times = []
    heavy = "?"
    for _ in range(runs):
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-m", "simfinder", "--library", str(library), "gui"],
            capture_output=True, text=True, env=env, timeout=300, check=True).stdout
        line = next(ln for ln in out.splitlines() if ln.startswith("shown "))
        times.append(float(line.split()[1]) - started)
        heavy = line.split("heavy=")[1]
    return statistics.median(times), heavy


class StallMeter:
    """How late a 5 ms timer fires: the event loop's longest stall while it runs."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms / 1000
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self.late = []
        self.clock.start()
        self._last = 0.0
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e9
        self.late.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def summary(self) -> dict[str, float]:
        late = sorted(self.late) or [0.0]
        return {"max_ms": late[-1] * 1000, "p99_ms": late[int(len(late) * 0.99)] * 1000,
                "ticks": len(late)}


def run_for(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def stalls(app: QApplication, folder: Path, library: Path, home: Path) -> dict[str, Any]:
    settings = AppSettings(QSettings(str(home / "bench.ini"), QSettings.Format.IniFormat))
    window = MainWindow(library, settings)
    freeze_start_up_objects()  # as `simfinder gui` does
    window.show()
    window.start()
    meter = StallMeter()
    run_for(app, 1.0)
    meter.start()
    run_for(app, 3.0)
    meter.stop()
    idle = meter.summary()

    meter.start()
    t0 = time.monotonic()
    window.add_folder(folder)
    while window.indexer.busy:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.monotonic() - t0
    meter.stop()
    indexing = meter.summary()
    photos = window.model.rowCount()

    # A similar search from the gallery while idle: click to results on screen.
    first = window.proxy.index(0, 0)
    t0 = time.monotonic()
    window.view.setCurrentIndex(first)
    while window.query.pending is not None:
        app.processEvents()
        time.sleep(0.0005)
    query_s = time.monotonic() - t0
    window.close()
    return {"idle": idle, "indexing": indexing, "index_s": elapsed, "photos": photos,
            "query_s": query_s}


def pad_library(library: Path, total: int) -> int:
    """Add catalog rows until the library holds `total` photos: extra files (under a folder
    that isn't a library folder, so re-scans leave them alone) pointing at the contents already
    indexed, so their thumbnails are real."""
    lib = Library.open(library)
    try:
        contents = sorted({r.content_id for r in lib.catalog.photos()})
        have = lib.catalog.file_count()
        with lib.catalog.transaction():
            for i in range(total - have):
                lib.catalog.put_file(f"/archive/{i // 500:03d}/IMG_{i:06d}.jpg", 3_000_000,
                                     1_600_000_000_000_000_000 + i * 10**9,
                                     contents[i % len(contents)])
        return lib.catalog.file_count()
    finally:
        lib.close()


def stalls_at_scale(app: QApplication, folder: Path, library: Path,
                    home: Path) -> dict[str, Any]:
    """A big library: time until the gallery is filled, stalls while indexing more photos
    into it, a similar search in it."""
    settings = AppSettings(QSettings(str(home / "bench.ini"), QSettings.Format.IniFormat))
    meter = StallMeter()
    t0 = time.monotonic()
    window = MainWindow(library, settings)
    freeze_start_up_objects()  # as `simfinder gui` does
    window.show()
    meter.start()
    window.start()
    while window.indexer.busy or window.model.rowCount() == 0:
        app.processEvents()
        time.sleep(0.001)
    filled_s = time.monotonic() - t0
    loading = meter.summary()
    meter.stop()
    run_for(app, 1.0)
    meter.start()
    t0 = time.monotonic()
    window.add_folder(folder)
    while window.indexer.busy:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.monotonic() - t0
    meter.stop()
    indexing = meter.summary()
    photos = window.model.rowCount()
    # A similar search for one of the photos just indexed (the padding's files do not exist).
    record = next(r for r in map(window.model.record_at_path,
                                 (str(p.resolve()) for p in sorted(folder.rglob("*"))))
                  if r is not None)
    row = window.model.row_of(record.file_id)
    assert row is not None
    t0 = time.monotonic()
    window.view.setCurrentIndex(window.proxy.mapFromSource(window.model.index(row, 0)))
    while window.query.pending is not None:
        app.processEvents()
        time.sleep(0.0005)
    query_s = time.monotonic() - t0
    hits = window.panel.model.rowCount()
    window.close()
    return {"filled_s": filled_s, "loading": loading, "indexing": indexing,
            "index_s": elapsed, "photos": photos, "query_s": query_s, "hits": hits}


def gallery_at_scale(app: QApplication, thumbs_from: Path, n: int = 50_000) -> dict[str, float]:
    from simfinder.core.photos.thumbs import ThumbnailCache
    from simfinder.gui.gallery import GalleryDelegate
    from simfinder.gui.thumbnails import ThumbnailStore

    cache = ThumbnailCache(thumbs_from)
    digests = list(cache.digests()) or [bytes(16)]
    rows: list[PhotoRow] = [
        (i, f"/photos/{i // 500:03d}/IMG_{i:06d}.jpg", 3_000_000, 1_600_000_000 + i, i, 4000,
         3000, "JPEG", f"2021-{1 + i % 12:02d}-01T10:00:00", None, digests[i % len(digests)])
        for i in range(n)
    ]
    store = ThumbnailStore(cache)
    model = GalleryModel(store)
    proxy = GalleryFilter()
    proxy.setSourceModel(model)
    view = GalleryView()
    view.setModel(proxy)
    delegate = GalleryDelegate(store, view)
    view.setItemDelegate(delegate)
    view.apply_item_size(delegate.item_size(view.fontMetrics()))
    view.resize(1000, 760)
    view.show()
    prepared = PreparedPhotos(rows, model.order)  # the app does this on the worker thread
    t0 = time.perf_counter()
    model.set_photos(prepared)
    view.doItemsLayout()
    app.processEvents()
    load_s = time.perf_counter() - t0
    bar = view.verticalScrollBar()
    # Warm the thumbnails of the first screen, then scroll.
    run_for(app, 1.0)
    frames = []
    for step in range(200):
        bar.setValue(bar.maximum() * step // 199)
        t0 = time.perf_counter()
        view.viewport().repaint()
        frames.append(time.perf_counter() - t0)
        app.processEvents()
    t0 = time.perf_counter()
    proxy.set_text("IMG_0421")
    filter_s = time.perf_counter() - t0
    shown = proxy.rowCount()
    store.shutdown()
    view.close()
    return {"n": n, "load_s": load_s, "frame_mean_ms": statistics.mean(frames) * 1000,
            "frame_max_ms": max(frames) * 1000, "filter_s": filter_s, "filtered": shown}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="simfinder-bench-gui-") as tmp_name:
        tmp = Path(tmp_name)
        if args.folder is None:
            folder = tmp / "photos"
            shutil.copytree(DEFAULT_PHOTOS, folder)
            source = "a copy of shared/datasets/camera_photos/images"
        else:
            folder = args.folder.resolve()
            source = str(folder)
        library = tmp / "library"
        empty_start, heavy_empty = startup(tmp / "empty-library", tmp / "home")
        # First run on a machine: no cached ONNX model yet (exported in a child process).
        os.environ[CACHE_ENV] = str(tmp / "model-cache")
        cold = stalls(app, folder, library, tmp / "home")
        # Again with the model cached, into a second library.
        result = stalls(app, folder, tmp / "library2", tmp / "home")
        full_start, heavy_full = startup(library, tmp / "home")
        big = pad_library(tmp / "library2", SCALE)
        big_start, _ = startup(tmp / "library2", tmp / "home")
        more = tmp / "more-photos"
        shutil.copytree(MORE_PHOTOS, more)
        at_scale = stalls_at_scale(app, more, tmp / "library2", tmp / "home")
        scale = gallery_at_scale(app, library / "thumbs", SCALE)

    idle, busy = result["idle"], result["indexing"]
    rows = [
        ("Start-up to window shown, empty library", f"{empty_start:.2f} s",
         f"torch/onnxruntime imported: {heavy_empty}"),
        (f"Start-up to window shown, {result['photos']} photos", f"{full_start:.2f} s",
         f"torch/onnxruntime imported: {heavy_full}"),
        ("Longest event-loop stall, idle window (baseline)", f"{idle['max_ms']:.1f} ms",
         f"p99 {idle['p99_ms']:.1f} ms over {idle['ticks']} ticks"),
        (f"Longest event-loop stall while indexing {cold['photos']} photos, first run "
         f"({cold['index_s']:.1f} s: CNN exported in a child process, loaded on the worker)",
         f"{cold['indexing']['max_ms']:.1f} ms",
         f"p99 {cold['indexing']['p99_ms']:.1f} ms over "
         f"{cold['indexing']['ticks']} ticks"),
        (f"Longest event-loop stall while indexing {result['photos']} photos, model cached "
         f"({result['index_s']:.1f} s)",
         f"{busy['max_ms']:.1f} ms", f"p99 {busy['p99_ms']:.1f} ms over {busy['ticks']} ticks"),
        ("Similar search from a gallery click to results", f"{result['query_s'] * 1000:.0f} ms",
         "stored vector, query thread"),
        (f"Start-up to window shown, {big:,} photos", f"{big_start:.2f} s",
         "the gallery fills in from the indexing thread"),
        (f"Window shown to gallery filled, {big:,} photos", f"{at_scale['filled_s']:.2f} s",
         f"longest stall meanwhile {at_scale['loading']['max_ms']:.0f} ms"),
        (f"Longest event-loop stall while indexing {at_scale['photos'] - big} more photos into "
         f"the {big:,} ({at_scale['index_s']:.1f} s)", f"{at_scale['indexing']['max_ms']:.1f} ms",
         f"p99 {at_scale['indexing']['p99_ms']:.1f} ms over {at_scale['indexing']['ticks']} "
         "ticks"),
        (f"Similar search, {at_scale['photos']:,} photos", f"{at_scale['query_s'] * 1000:.0f} ms",
         f"a photo just indexed, {at_scale['hits']} results; includes bringing the query "
         "thread's vector index up to date"),
        (f"Gallery: show {scale['n']:,} rows (model reset + layout)",
         f"{scale['load_s'] * 1000:.0f} ms", "UI thread; rows prepared on the worker"),
        (f"Gallery: paint one frame while scrolling {scale['n']:,} photos",
         f"{scale['frame_mean_ms']:.1f} ms mean", f"max {scale['frame_max_ms']:.1f} ms"),
        (f"Gallery: filter {scale['n']:,} rows by name", f"{scale['filter_s'] * 1000:.0f} ms",
         f"{scale['filtered']} shown"),
    ]
    width = max(len(r[0]) for r in rows)
    for what, value, note in rows:
        print(f"{what:<{width}}  {value:>12}  {note}")
    if args.write:
        table = "| measure | value | note |\n|---|---|---|\n" + "\n".join(
            f"| {w} | {v} | {n} |" for w, v, n in rows)
        body = (f"Photos: {source}. Offscreen Qt, {os.cpu_count()} cores, no GPU. A 5 ms "
                "QTimer measures how late the UI thread's event loop runs; the idle window is "
                "the same-run baseline.\n\n" + table)
        cmd = "bench/gui_responsiveness.py --write"
        if args.folder is not None:
            cmd = f"bench/gui_responsiveness.py {args.folder} --write"
        write_section(SECTION, body, cmd)
        print("wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
