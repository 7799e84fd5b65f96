#!/usr/bin/env bash
# Run the built Linux installers as a user would, and check them against the pip-installed CLI:
#   packaging/smoke-test.sh [dist/simfinder-VERSION-x86_64.AppImage] [dist/simfinder_VERSION_amd64.deb]
# For the AppImage and for the .deb unpacked into a throwaway root (dpkg -x), each in a home of
# its own, without network (unshare -n, where allowed):
#   - `simfinder --version` names the version;
#   - `index` of a generated photo folder, then `duplicates --json`, equals what the
#     development environment's (pip-installed) `simfinder` finds in the same folder;
#   - `similar IMAGE` works, so the bundled model runs, and no model is exported or cached;
#   - the GUI starts (offscreen; under Xvfb with the xcb platform too when xvfb-run is there)
#     and shows its main window, also when opened with an image ("Open with simfinder");
#     the time from start to the window is measured;
#   - the library lands in the per-user data folder (platformdirs) and removing the app
#     leaves it there.
# The AppImage runs through its own runtime: mounted with FUSE when the machine allows it, and
# --appimage-extract always. The .deb's files (menu entry, icons, metainfo, MIME types,
# /usr/bin/simfinder) are checked, and its Depends must be installed here.
# SMOKE_RESULTS=FILE writes the measurements as JSON (bench/installers.py reads them).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
version=$(.venv/bin/python -c 'import simfinder; print(simfinder.__version__)')
appimage=$(realpath "${1:-dist/simfinder-$version-x86_64.AppImage}")
deb=$(realpath "${2:-dist/simfinder_${version}_amd64.deb}")
results=${SMOKE_RESULTS:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/simfinder-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
passed=0
declare -A measured=()
fuse=false
caches_dropped=false

ok() { echo "  ok: $*"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $*" >&2; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# No network for the app under test, where the kernel lets us make a namespace.
offline=()
if unshare -n true 2>/dev/null; then
    offline=(unshare -n)
else
    echo "(unshare -n is not allowed here: the runs below have the machine's network)"
fi

# A generated photo folder: the demo's originals and their edited/copied duplicates.
photos="$work/photos"
.venv/bin/python -c "import sys; from pathlib import Path; from simfinder.app.demo import build_demo_folder; build_demo_folder(Path(sys.argv[1]))" "$photos"
query="$work/query.jpg"
.venv/bin/python -c "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); im.resize((im.width * 3 // 4, im.height * 3 // 4)).save(sys.argv[2], quality=80)" "$photos/coffee.png" "$query"

# The reference: the pip-installed CLI of the development environment.
echo "reference: the pip-installed simfinder ($repo/.venv)"
SIMFINDER_LIBRARY="$work/pip-library" .venv/bin/simfinder index "$photos" 2>/dev/null
SIMFINDER_LIBRARY="$work/pip-library" .venv/bin/simfinder duplicates --json >"$work/pip.json"
groups=$(.venv/bin/python -c "import json,sys; print(len(json.load(open(sys.argv[1]))['groups']))" "$work/pip.json")
[ "$groups" -ge 3 ] || { echo "the reference found only $groups groups" >&2; exit 1; }

# run_as_user NAME COMMAND...: run with a home, data, config and cache of its own, offline.
run_as_user() {
    local home="$work/home-$1"
    shift
    mkdir -p "$home"
    env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 TMPDIR="$work" \
        XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config" \
        XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state" \
        ${DISPLAY:+DISPLAY=$DISPLAY} ${QT_QPA_PLATFORM:+QT_QPA_PLATFORM=$QT_QPA_PLATFORM} \
        ${SIMFINDER_GUI_STARTUP_PROBE:+SIMFINDER_GUI_STARTUP_PROBE=1} \
        ${APPIMAGE_EXTRACT_AND_RUN:+APPIMAGE_EXTRACT_AND_RUN=1} \
        "${offline[@]}" "$@"
}

# gui_start NAME KEY COMMAND...: start the GUI, wait for its main window; records seconds.
gui_start() {
    local name=$1 key=$2
    shift 2
    local t0 line
    t0=$(date +%s.%N)
    line=$(SIMFINDER_GUI_STARTUP_PROBE=1 run_as_user "$name" "$@" 2>"$work/gui.err" | grep '^shown ' || true)
    if [ -z "$line" ]; then
        cat "$work/gui.err" >&2
        return 1
    fi
    measured[$key]=$(echo "$(echo "$line" | cut -d' ' -f2) - $t0" | bc -l)
    printf '    main window after %.2f s (%s)\n' "${measured[$key]}" "$line"
}

# exercise NAME LABEL COMMAND...: the user's runs of one artefact.
exercise() {
    local name=$1 label=$2
    shift 2
    local home="$work/home-$name"
    check "$label: --version says simfinder $version" \
        test "$(run_as_user "$name" "$@" --version)" = "simfinder $version"
    check "$label: index the photo folder" \
        run_as_user "$name" "$@" index "$photos"
    run_as_user "$name" "$@" duplicates --json >"$work/$name.json" || true
    check "$label: duplicates --json equals the pip-installed CLI's ($groups groups)" \
        cmp -s "$work/pip.json" "$work/$name.json"
    run_as_user "$name" "$@" similar --top 1 "$query" >"$work/$name.similar" || true
    check "$label: similar finds coffee.png first for a resized copy" \
        grep -q '/coffee.png$' "$work/$name.similar"
    check "$label: the library is in the per-user data folder" \
        test -f "$home/.local/share/simfinder/library/catalog.sqlite"
    check "$label: no model was exported or cached (the bundled one is used)" \
        test ! -e "$home/.cache/simfinder/models"
    if QT_QPA_PLATFORM=offscreen gui_start "$name" "$name-offscreen" "$@" gui; then
        ok "$label: the GUI shows its main window (offscreen)"
    else
        fail "$label: the GUI shows its main window (offscreen)"
    fi
    if QT_QPA_PLATFORM=offscreen gui_start "$name" "$name-open-with" "$@" gui "$query"; then
        ok "$label: the GUI opens with an image to search with (Open with)"
    else
        fail "$label: the GUI opens with an image to search with (Open with)"
    fi
}

# time_gui NAME KEY COMMAND...: the time to the main window in a real X11 session (Xvfb) when
# Xvfb is there, else offscreen.
time_gui() {
    local name=$1 key=$2
    shift 2
    local platform=offscreen xvfb_pid=""
    if command -v Xvfb >/dev/null; then
        Xvfb -displayfd 3 -screen 0 1440x900x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
        xvfb_pid=$!
        for _ in $(seq 50); do [ -s "$work/display" ] && break; sleep 0.1; done
        export DISPLAY=":$(cat "$work/display")"
        platform=xcb
    fi
    if QT_QPA_PLATFORM=$platform gui_start "$name" "$key" "$@" gui; then
        ok "$key: the main window appears ($platform) in ${measured[$key]} s"
    else
        fail "$key: the GUI did not start ($platform)"
    fi
    if [ -n "$xvfb_pid" ]; then
        kill "$xvfb_pid"
        wait "$xvfb_pid" 2>/dev/null || true
        unset DISPLAY
        : >"$work/display"
    fi
}

drop_caches() {  # a cold start: the page cache emptied, where allowed
    sync
    if (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
        caches_dropped=true
    else
        echo "  (the page cache cannot be dropped here: the first start below is not fully cold)"
    fi
}

# ---------------------------------------------------------------------------------- AppImage
echo "AppImage: $appimage ($(du -m "$appimage" | cut -f1) MB)"
check "AppImage: under 150 MB (the size target)" test "$(stat -c %s "$appimage")" -lt 150000000
check "AppImage: type-2 magic bytes" test "$(head -c 11 "$appimage" | tail -c 3 | od -An -tx1 | tr -d ' ')" = 414902
(cd "$work" && "$appimage" --appimage-extract >/dev/null)
root="$work/squashfs-root"
check "AppImage: --appimage-extract unpacks AppRun, the desktop entry and the icon" \
    test -x "$root/AppRun" -a -f "$root/simfinder.desktop" -a -f "$root/.DirIcon"
check "AppImage: its desktop entry is valid" desktop-file-validate "$root/simfinder.desktop"
check "AppImage: its metainfo is valid" \
    appstreamcli validate --no-net "$root/usr/share/metainfo/io.github.simfinder.simfinder.metainfo.xml"
check "AppImage: carries the licences and third-party notices" \
    test -f "$root/usr/lib/simfinder/_internal/licenses/THIRD-PARTY-NOTICES.txt" \
    -a -f "$root/usr/lib/simfinder/_internal/licenses/LGPL-3.0.txt"
check "AppImage: carries no torch and no CUDA" \
    bash -c "! find '$root' -iname '*torch*' -o -name 'libcuda*' -o -name 'libcublas*' -o -name 'libcudnn*' -o -iname 'nvidia*' | grep -q ."
exercise appimage-extracted "AppImage (extracted)" "$root/AppRun"
"$appimage" --appimage-mount >"$work/mount.out" 2>/dev/null &
mount_pid=$!
for _ in $(seq 30); do [ -s "$work/mount.out" ] && break; sleep 0.1; done
[ -s "$work/mount.out" ] && [ -x "$(head -n 1 "$work/mount.out")/AppRun" ] && fuse=true
kill "$mount_pid" 2>/dev/null || true
wait "$mount_pid" 2>/dev/null || true
if $fuse; then
    check "AppImage: --appimage-mount mounts with FUSE and unmounts when stopped" \
        test ! -e "$(head -n 1 "$work/mount.out")"
    exercise appimage "AppImage (FUSE)" "$appimage"
    drop_caches
    time_gui appimage appimage-cold "$appimage"
    time_gui appimage appimage-warm "$appimage"
else
    echo "  (FUSE cannot be used here: the AppImage runs by unpacking itself)"
    APPIMAGE_EXTRACT_AND_RUN=1 exercise appimage "AppImage (extract-and-run)" "$appimage"
    drop_caches
    time_gui appimage-extracted appimage-extracted-cold "$root/AppRun"
    time_gui appimage-extracted appimage-extracted-warm "$root/AppRun"
fi

# ----------------------------------------------------------------------------------- .deb
echo ".deb: $deb ($(du -m "$deb" | cut -f1) MB)"
droot="$work/deb-root"
dpkg-deb -x "$deb" "$droot"
check ".deb: installs /usr/bin/simfinder, the menu entry, icons and metainfo" \
    test -L "$droot/usr/bin/simfinder" -a -f "$droot/usr/share/applications/simfinder.desktop" \
    -a -f "$droot/usr/share/icons/hicolor/256x256/apps/simfinder.png" \
    -a -f "$droot/usr/share/icons/hicolor/scalable/apps/simfinder.svg" \
    -a -f "$droot/usr/share/metainfo/io.github.simfinder.simfinder.metainfo.xml"
check ".deb: the menu entry is valid and opens image files (Open with simfinder)" \
    bash -c "desktop-file-validate '$droot/usr/share/applications/simfinder.desktop' && grep -q '^MimeType=image/jpeg;' '$droot/usr/share/applications/simfinder.desktop' && grep -q '^Exec=simfinder gui %F' '$droot/usr/share/applications/simfinder.desktop'"
check ".deb: its dependencies are all installed here" \
    bash -c "for p in \$(dpkg-deb -f '$deb' Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//'); do dpkg-query -W -f='\${Status}' \$p 2>/dev/null | grep -q 'install ok installed' || exit 1; done"
check ".deb: installs nothing outside /opt/simfinder and /usr/share, /usr/bin" \
    bash -c "! dpkg-deb -c '$deb' | awk '{print \$6}' | grep -v -E '^\./(\$|opt/(simfinder/.*)?\$|opt/\$|usr/\$|usr/bin/(simfinder)?\$|usr/share/.*)' | grep -q ."
exercise deb ".deb (dpkg -x)" "$droot/usr/bin/simfinder"
check ".deb: removing the app leaves the user's library" \
    bash -c "rm -rf '$droot' && test -f '$work/home-deb/.local/share/simfinder/library/catalog.sqlite'"

echo "$passed passed, $failures failed"
if [ -n "$results" ]; then
    {
        echo "{"
        echo "  \"appimage_mb\": $(stat -c %s "$appimage" | awk '{printf "%.1f", $1 / 1e6}'),"
        echo "  \"deb_mb\": $(stat -c %s "$deb" | awk '{printf "%.1f", $1 / 1e6}'),"
        echo "  \"offline\": $([ "${#offline[@]}" -gt 0 ] && echo true || echo false),"
        echo "  \"fuse\": $fuse,"
        echo "  \"caches_dropped\": $caches_dropped,"
        for key in "${!measured[@]}"; do
            printf '  "start_%s": %.3f,\n' "$key" "${measured[$key]}"
        done
        echo "  \"passed\": $passed, \"failed\": $failures"
        echo "}"
    } >"$results"
fi
[ "$failures" -eq 0 ]
