"""Collect the licences and third-party notices the installed app carries.

    BUILD_VENV/bin/python packaging/notices.py OUT_DIR

Run with the build venv's Python (packaging/build.py does): it lists the Python distributions
installed there — what the bundle is made of, less the build tools — with version and licence
into OUT_DIR/THIRD-PARTY-NOTICES.txt and copies each one's licence files (from its dist-info and
its package folder) into OUT_DIR/<distribution>/. It also copies simfinder's LICENSE, the
hand-written NOTICE.txt and the licence texts in packaging/licenses/, CPython's licence, and
scikit-image's licence for the demo photos (from the development environment, given as
SIMFINDER_SKIMAGE_LICENSE by build.py).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

# In the build venv, but not in the bundle.
BUILD_TOOLS = frozenset({"pip", "setuptools", "wheel", "pyinstaller", "pyinstaller-hooks-contrib",
                         "altgraph", "packaging", "macholib", "pefile", "pywin32-ctypes"})
LICENSE_FILE = re.compile(r"(licen[cs]e|copying|notice|authors|thirdpartynotices)",
                          re.IGNORECASE)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence(dist: importlib.metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    if text and len(text) < 80 and text.upper() != "UNKNOWN":
        return text
    if classifiers:
        return ", ".join(classifiers)
    return text.splitlines()[0] if text else "see the licence files"


def _licence_files(dist: importlib.metadata.Distribution) -> list[Path]:
    files = []
    for f in dist.files or []:
        parts = Path(f).parts
        in_dist_info = parts[0].endswith(".dist-info") and parts[-1] not in ("RECORD", "METADATA")
        top_level = len(parts) == 2 and not parts[0].endswith(".dist-info")
        if (in_dist_info or top_level) and LICENSE_FILE.search(parts[-1]):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                files.append(path)
    return files


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "LICENSE", out / "LICENSE.txt")
    for f in sorted(HERE.joinpath("licenses").iterdir()):
        shutil.copyfile(f, out / f.name)
    python_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if python_licence.is_file():
        (out / "python").mkdir(exist_ok=True)
        shutil.copyfile(python_licence, out / "python" / "LICENSE.txt")
    skimage_licence = os.environ.get("SIMFINDER_SKIMAGE_LICENSE")
    if skimage_licence:
        (out / "scikit-image").mkdir(exist_ok=True)
        shutil.copyfile(skimage_licence, out / "scikit-image" / "LICENSE.txt")

    rows = []
    for dist in sorted(importlib.metadata.distributions(),
                       key=lambda d: _norm(d.metadata["Name"] or "")):
        name = dist.metadata["Name"]
        if not name or _norm(name) in BUILD_TOOLS:
            continue
        files = _licence_files(dist)
        folder = out / _norm(name)
        for f in files:
            folder.mkdir(exist_ok=True)
            target = folder / f.name
            n = 2
            while target.exists():  # several files of one name (e.g. numpy's vendored code)
                target = folder / f"{f.stem}-{n}{f.suffix}"
                n += 1
            shutil.copyfile(f, target)
        rows.append((name, dist.version, _licence(dist),
                     f"{_norm(name)}/" if files else "licence text: see NOTICE.txt"))
    # The bootloader is in the app although the rest of PyInstaller is not.
    try:
        bootloader_licences = _licence_files(importlib.metadata.distribution("pyinstaller"))
    except importlib.metadata.PackageNotFoundError:  # not the build venv
        bootloader_licences = []
    for f in bootloader_licences:
        (out / "pyinstaller").mkdir(exist_ok=True)
        shutil.copyfile(f, out / "pyinstaller" / f.name)

    width = max(len(r[0]) for r in rows)
    lines = [
        "Python packages in the simfinder app (name, version, licence, where its licence",
        "files are in this folder). See NOTICE.txt for Qt, the model weights, Python,",
        "PyInstaller's bootloader and the demo photos.",
        "",
    ]
    lines += [f"{n:<{width}}  {v:<12}  {lic}  [{where}]" for n, v, lic, where in rows]
    (out / "THIRD-PARTY-NOTICES.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"notices.py: {len(rows)} packages listed in {out / 'THIRD-PARTY-NOTICES.txt'}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
