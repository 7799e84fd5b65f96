#!/usr/bin/env bash
# Build the Linux installers from the one-folder bundle (packaging/build.py):
#   dist/simfinder-VERSION-x86_64.AppImage   any x86_64 desktop Linux with glibc >= 2.35
#   dist/simfinder_VERSION_amd64.deb         Debian 12+/Ubuntu 23.04+: menu entry, icons,
#                                            "Open with simfinder" for images, /usr/bin/simfinder
# Tools come from Debian's packages and PyPI only (installed with apt-get when missing and run
# as root): the AppImage runtime is packaging/appimage/runtime.c, built here against Debian's
# squashfuse and libfuse3 and linked statically. Prints the artefacts and the time taken;
# BUILD_TIMES=FILE appends "step seconds" lines to FILE (used by bench/installers.py).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
arch=x86_64
[ "$(uname -m)" = "$arch" ] || { echo "build-linux.sh: builds on $arch only" >&2; exit 1; }

# The build's tools. The libraries the bundle takes from the host are not listed: build.py
# reads them from the bundle itself and installs their packages (packaging/host_packages.py).
need=(squashfs-tools desktop-file-utils appstream dpkg-dev gcc libc6-dev libsquashfuse-dev
      libfuse3-dev zlib1g-dev liblzma-dev liblz4-dev libzstd-dev binutils bc apt-file)
scripts/need-debian-packages.sh build-linux.sh "${need[@]}"

times_file=${BUILD_TIMES:-/dev/null}
step_start=$(date +%s.%N)
step() {  # step NAME: record the time since the previous step
    local now
    now=$(date +%s.%N)
    echo "$1 $(echo "$now - $step_start" | bc -l 2>/dev/null || python3 -c "print($now - $step_start)")" >>"$times_file"
    step_start=$now
}
started=$(date +%s)

scripts/setup-venv.sh  # the development environment: torch, to export the model
version=$(.venv/bin/python -c 'import simfinder; print(simfinder.__version__)')
appid=io.github.simfinder.simfinder
work=build/linux
rm -rf "$work"
mkdir -p "$work" dist

# Desktop integration files: validated before anything is built from them.
desktop-file-validate resources/simfinder.desktop
appstreamcli validate --no-net --pedantic "resources/$appid.metainfo.xml"

bundle=$(.venv/bin/python packaging/build.py | tail -n 1)
step bundle

# Installs the menu entry, icons and metainfo under PREFIX/share of ROOT.
install_desktop_files() {
    local root=$1 prefix=$2
    install -Dm644 resources/simfinder.desktop "$root$prefix/share/applications/simfinder.desktop"
    install -Dm644 "resources/$appid.metainfo.xml" "$root$prefix/share/metainfo/$appid.metainfo.xml"
    install -Dm644 resources/simfinder.svg "$root$prefix/share/icons/hicolor/scalable/apps/simfinder.svg"
    for png in resources/icons/hicolor/*/apps/simfinder.png; do
        install -Dm644 "$png" "$root$prefix/share/icons/${png#resources/icons/}"
    done
}

# ---------------------------------------------------------------------------------- .deb
deb_root="$work/deb"
mkdir -p "$deb_root/opt" "$deb_root/usr/bin" "$deb_root/DEBIAN"
cp -a "$bundle" "$deb_root/opt/simfinder"
ln -s ../../opt/simfinder/simfinder "$deb_root/usr/bin/simfinder"
install_desktop_files "$deb_root" /usr
doc="$deb_root/usr/share/doc/simfinder"
mkdir -p "$doc"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: simfinder"
    echo
    echo "Files: *"
    echo "License: Apache-2.0"
    echo " On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0."
    echo
    echo "Files: opt/simfinder/_internal/*"
    echo "License: various"
    echo " The application folder carries Python, Qt/PySide6 (LGPL-3.0), the CNN weights"
    echo " (Apache-2.0) and other libraries; their licences and notices are in"
    echo " /opt/simfinder/_internal/licenses (NOTICE.txt, THIRD-PARTY-NOTICES.txt)."
} >"$doc/copyright"
gzip -9n -c >"$doc/changelog.gz" <<EOF
simfinder ($version) stable; urgency=low

  * Release $version; see the AppStream release notes in /usr/share/metainfo.

 -- The simfinder developers <simfinder@users.noreply.github.com>  $(date -R)
EOF

# Depends: the packages of the libraries the bundle leaves to the host (X11/xcb core, GL/EGL,
# Wayland client, fontconfig/freetype, GLib, D-Bus, the C/C++ runtimes), from dpkg-shlibdeps.
depends=$(.venv/bin/python packaging/deb_depends.py "$deb_root/opt/simfinder")
installed_kb=$(du -sk --exclude=DEBIAN "$deb_root" | cut -f1)
cat >"$deb_root/DEBIAN/control" <<EOF
Package: simfinder
Version: $version
Architecture: amd64
Maintainer: The simfinder developers <simfinder@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: $depends
Section: graphics
Priority: optional
Homepage: https://github.com/simfinder/simfinder
Description: find duplicate and similar photos, privately
 simfinder indexes your photo folders and finds exact copies, near-duplicates
 (re-encoded, resized, converted, lightly edited or cropped copies) and the
 photos most similar to any image, on this computer: no accounts, no uploads,
 no network. The similarity model is included.
EOF
deb="dist/simfinder_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$deb_root" "$deb" >/dev/null
step deb

# ------------------------------------------------------------------------------- AppImage
appdir="$work/AppDir"
mkdir -p "$appdir/usr/lib"
cp -a "$bundle" "$appdir/usr/lib/simfinder"
install -m755 packaging/appimage/AppRun "$appdir/AppRun"
install_desktop_files "$appdir" /usr
cp resources/simfinder.desktop "$appdir/simfinder.desktop"
cp resources/icons/hicolor/256x256/apps/simfinder.png "$appdir/simfinder.png"
ln -s simfinder.png "$appdir/.DirIcon"

runtime="$work/runtime"
gcc -O2 -Wall -static -o "$runtime" packaging/appimage/runtime.c -I/usr/include/squashfuse \
    -lsquashfuse_ll -lsquashfuse -lfuse3 -lzstd -llzma -llz4 -lz -lpthread 2>"$work/runtime.log" ||
    { cat "$work/runtime.log" >&2; exit 1; }
strip "$runtime"
printf 'AI\002' | dd of="$runtime" bs=1 seek=8 conv=notrunc status=none  # type-2 magic
# zstd at its highest level: 1.5% smaller than -19, and decompressing is as fast. 256K blocks: a
# cold start reads (and decompresses) less than with larger ones (measured to the window: 512K
# +10%, 1M +30%, while 4% and 7% smaller). xz is 8% smaller but starts the window 5x slower.
mksquashfs "$appdir" "$work/image.squashfs" -root-owned -noappend -quiet -comp zstd \
    -Xcompression-level 22 -b 256K -processors "$(nproc)" >/dev/null
appimage="dist/simfinder-${version}-${arch}.AppImage"
cat "$runtime" "$work/image.squashfs" >"$appimage"
chmod 755 "$appimage"
step appimage

echo "build-linux.sh: built in $(( $(date +%s) - started )) s:" >&2
ls -l "$deb" "$appimage" >&2
echo "$appimage"
echo "$deb"
