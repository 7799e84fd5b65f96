"""Smoke test of an installed simfinder on any platform (the Windows and macOS CI jobs use it;
packaging/smoke-test.sh is the fuller Linux one):

    .venv/bin/python packaging/smoke_bundle.py PATH/TO/simfinder[-cli][.exe] [--gui PATH]

With a home of its own (HOME, APPDATA/LOCALAPPDATA, XDG_*), the installed command must name
this version, index a generated photo folder, list the same duplicates (`--json`) as this
environment's pip-installed simfinder, find a resized copy's original with `similar`, keep its
library in the per-user data folder and export no model (the bundled one is used). With
``--gui`` (the windowed executable, where it differs) the app must show its main window
offscreen, also when opened with an image. Prints one line per check and exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simfinder import __version__  # noqa: E402
from simfinder.app.demo import build_demo_folder  # noqa: E402


def user_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMFINDER_", "XDG_"))}
    env.update(HOME=str(home), USERPROFILE=str(home), APPDATA=str(home / "AppData" / "Roaming"),
               LOCALAPPDATA=str(home / "AppData" / "Local"),
               XDG_DATA_HOME=str(home / ".local" / "share"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"))
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cli", type=Path, help="the installed command-line executable")
    parser.add_argument("--gui", type=Path, help="the windowed executable (default: the same)")
    args = parser.parse_args()
    failures = checks = 0

    def check(what: str, ok: bool, detail: str = "") -> None:
        nonlocal failures, checks
        checks += 1
        print(f"  {'ok' if ok else 'FAIL'}: {what}" + (f" ({detail})" if detail and not ok else ""))
        failures += not ok

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        photos = tmp / "photos"
        build_demo_folder(photos)
        from PIL import Image

        with Image.open(photos / "coffee.png") as im:
            im.convert("RGB").resize((im.width * 3 // 4, im.height * 3 // 4)).save(
                tmp / "query.jpg", quality=80)

        reference_env = {**os.environ, "SIMFINDER_LIBRARY": str(tmp / "pip-library")}
        subprocess.run([sys.executable, "-m", "simfinder", "index", str(photos)],
                       env=reference_env, check=True, capture_output=True)
        reference = json.loads(subprocess.run(
            [sys.executable, "-m", "simfinder", "duplicates", "--json"], env=reference_env,
            check=True, capture_output=True, text=True).stdout)

        home = tmp / "home"
        home.mkdir()
        env = user_env(home)

        def run(*argv: str, exe: Path = args.cli, **kw: object) -> subprocess.CompletedProcess[str]:
            return subprocess.run([str(exe), *argv], env=env, capture_output=True, text=True,
                                  timeout=300, check=False, **kw)  # type: ignore[call-overload]

        r = run("--version")
        check(f"--version says simfinder {__version__}",
              r.stdout.strip() == f"simfinder {__version__}", r.stdout + r.stderr)
        r = run("index", str(photos))
        check("index the photo folder", r.returncode == 0, r.stderr)
        r = run("duplicates", "--json")
        found = json.loads(r.stdout) if r.returncode == 0 else None
        check(f"duplicates --json equals the pip-installed CLI's ({len(reference['groups'])} "
              "groups)", found == reference, r.stderr or json.dumps(found)[:300])
        r = run("similar", "--top", "1", "--json", str(tmp / "query.jpg"))
        top = json.loads(r.stdout)["results"][0]["path"] if r.returncode == 0 else r.stderr
        check("similar finds coffee.png first for a resized copy",
              Path(top).name == "coffee.png", top)
        catalogs = list(home.rglob("catalog.sqlite"))
        check("the library is in the per-user data folder",
              len(catalogs) == 1 and "simfinder" in str(catalogs[0]), str(catalogs))
        models = list(home.rglob("*.onnx"))
        check("no model was exported or cached (the bundled one is used)", not models,
              str(models))

        gui = args.gui or args.cli
        for label, extra in (("", ()), (" opened with an image", (str(tmp / "query.jpg"),))):
            started = time.time()
            r = run("--library", str(tmp / "gui-library"), "gui", *extra, exe=gui,
                    env={**env, "QT_QPA_PLATFORM": "offscreen",
                         "SIMFINDER_GUI_STARTUP_PROBE": "1"})
            line = next((ln for ln in r.stdout.splitlines() if ln.startswith("shown ")), "")
            shown = f"{float(line.split()[1]) - started:.2f} s" if line else "no window"
            check(f"the GUI{label} shows its main window offscreen ({shown})", bool(line),
                  r.stderr[-500:])
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
