#!/usr/bin/env bash
# Build the macOS disk image: dist/simfinder-VERSION-macos-ARCH.dmg holding simfinder.app
# (the one-folder bundle of packaging/build.py in an app bundle, PyInstaller's BUNDLE step)
# and a link to /Applications to drag it onto. Run on macOS 11+ with Python 3.11; the CI job
# .github/workflows/installers.yml does exactly this on macos-latest (Apple Silicon).
# The app is signed ad hoc (PyInstaller does so), not with a Developer ID and not notarised:
# the first start needs right-click > Open (see README). To sign and notarise, set
# CODESIGN_IDENTITY (a "Developer ID Application" identity in the keychain) and
# NOTARY_PROFILE (a `xcrun notarytool store-credentials` profile).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname)" = Darwin ] || { echo "build-macos.sh: runs on macOS" >&2; exit 1; }
scripts/setup-venv.sh
version=$(.venv/bin/python -c 'import simfinder; print(simfinder.__version__)')
arch=$(uname -m)
.venv/bin/python packaging/build.py >/dev/null
app=build/bundle/simfinder.app
[ -d "$app" ] || { echo "build-macos.sh: $app was not built" >&2; exit 1; }
"$app/Contents/MacOS/simfinder" --version
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$app"
fi
stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage" dist
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
dmg="dist/simfinder-$version-macos-$arch.dmg"
rm -f "$dmg"
hdiutil create -volname "simfinder $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
if [ -n "${CODESIGN_IDENTITY:-}" ] && [ -n "${NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
fi
ls -l "$dmg"
echo "$dmg"
