"""Installers: build time, sizes, cold start, smoke test; and ONNX Runtime vs torch on the CPU.

    .venv/bin/python bench/installers.py [--no-build]

Runs packaging/build-linux.sh (timing its steps) and packaging/smoke-test.sh (which measures
the time from starting the app to its main window, the first time with the page cache dropped
where the machine allows it), then embeds the same photos with the CNN on ONNX Runtime and on
torch eager on the CPU, and writes the "## Installers" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402


def cnn_speed(n: int = 64) -> tuple[float, float]:
    """Photos per second embedding `n` real photos (256 px) on ONNX Runtime and torch (CPU)."""
    from PIL import Image

    from simfinder.app.demo import ORIGINALS, sample_photo_dir
    from simfinder.config import model_cache_dir
    from simfinder.core.photos.embed import OnnxEmbedder, TorchEmbedder, ensure_onnx

    photos = []
    for name in ORIGINALS:
        with Image.open(sample_photo_dir() / name) as im:
            im = im.convert("RGB")
            im.thumbnail((256, 256))
            photos.append(im)
    images = [photos[i % len(photos)] for i in range(n)]
    rates = []
    for embedder in (OnnxEmbedder(ensure_onnx(model_cache_dir())), TorchEmbedder("cpu")):
        embedder.embed(images[:8])  # warm-up
        started = time.perf_counter()
        embedder.embed(images)
        rates.append(n / (time.perf_counter() - started))
    return rates[0], rates[1]


def largest_parts(bundle: Path, top: int = 5) -> str:
    """The biggest packages in the bundle, uncompressed (a package with its .libs folder)."""
    sizes: dict[str, int] = {}
    for entry in (bundle / "_internal").iterdir():
        name = entry.name.removesuffix(".libs")
        name = {"opencv_python_headless": "cv2", "pillow": "PIL"}.get(name, name)
        files = [entry] if entry.is_file() else [f for f in entry.rglob("*") if f.is_file()]
        sizes[name] = sizes.get(name, 0) + sum(f.stat().st_size for f in files
                                                 if not f.is_symlink())
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in ranked)


def installed_mb() -> float:
    from simfinder import __version__

    deb = REPO / "dist" / f"simfinder_{__version__}_amd64.deb"
    out = subprocess.run(["dpkg-deb", "-f", str(deb), "Installed-Size"], capture_output=True,
                         text=True, check=True).stdout
    return int(out) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true",
                        help="measure the artefacts already in dist/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        steps: dict[str, float] = {}
        if not args.no_build:
            started = time.perf_counter()
            subprocess.run([str(REPO / "packaging" / "build-linux.sh")], check=True,
                           env={**os.environ, "BUILD_TIMES": str(tmp / "times")},
                           stdout=subprocess.DEVNULL)
            total = time.perf_counter() - started
            for line in (tmp / "times").read_text().splitlines():
                name, seconds = line.split()
                steps[name] = float(seconds)
            steps["total"] = total
        smoke = subprocess.run([str(REPO / "packaging" / "smoke-test.sh")], check=False,
                               env={**os.environ, "SMOKE_RESULTS": str(tmp / "smoke.json")},
                               capture_output=True, text=True)
        print(smoke.stdout[-3000:])
        results = json.loads((tmp / "smoke.json").read_text())
    onnx_rate, torch_rate = cnn_speed()

    def start(key: str) -> str:
        value = results.get(f"start_{key}")
        return f"{value:.2f} s" if value is not None else "not measured"

    appimage_path = "FUSE mount" if results["fuse"] else "unpacked (no FUSE here)"
    cold = "page cache dropped" if results["caches_dropped"] else "page cache NOT dropped"
    rows = [
        ("AppImage size", f"{results['appimage_mb']:.1f} MB", "target < 150 MB; zstd -22 SquashFS, "
         "256 KiB blocks"),
        (".deb size", f"{results['deb_mb']:.1f} MB", f"xz; {installed_mb():.0f} MB installed"),
        ("AppImage: start to main window, cold (X11/Xvfb)",
         start("appimage-cold") if results["fuse"] else start("appimage-extracted-cold"),
         f"target < 2 s; {appimage_path}, {cold}"),
        ("AppImage: start to main window, warm (X11/Xvfb)",
         start("appimage-warm") if results["fuse"] else start("appimage-extracted-warm"),
         appimage_path),
        (".deb: start to main window (offscreen)", start("deb-offscreen"), "from /opt"),
        (".deb: opened with an image (offscreen)", start("deb-open-with"),
         "window shown; the search runs after"),
        ("Smoke test", f"{results['passed']} passed, {results['failed']} failed",
         "network: " + ("none (unshare -n)" if results["offline"] else "not isolated")),
    ]
    if steps:
        rows.insert(0, ("Build time (build-linux.sh)", f"{steps['total']:.0f} s",
                        ", ".join(f"{k} {v:.0f} s" for k, v in steps.items() if k != "total")))
    rows.append(("Largest parts of the bundle", "", largest_parts(REPO / "build" / "bundle"
                                                                  / "simfinder")))
    rows.append(("CNN on the CPU: ONNX Runtime", f"{onnx_rate:.1f} photos/s",
                 f"torch eager: {torch_rate:.1f} photos/s ({onnx_rate / torch_rate:.1f}x): "
                 "pip installs and the installers both use ONNX Runtime on the CPU"))
    table = "| What | Figure | Notes |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows)
    body = (
        f"Linux installers built and run on this machine ({platform.machine()}, "
        f"{os.cpu_count()} cores, {platform.freedesktop_os_release().get('PRETTY_NAME', '')}). "
        "The bundle holds no torch and no CUDA: ONNX Runtime runs the CNN exported at build "
        "time. Start-up is measured from launching the artefact to the main window being "
        "shown (the app's start-up probe), with an empty library.\n\n" + table
    )
    write_section("## Installers", body, "bench/installers.py")
    print(body)
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
