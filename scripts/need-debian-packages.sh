#!/usr/bin/env bash
# Make sure Debian packages are installed: scripts/need-debian-packages.sh WHO PACKAGE...
# Installs the missing ones with apt-get when run as root; otherwise names them and fails.
set -euo pipefail
who=$1
shift
missing=()
for pkg in "$@"; do
    # Installed, not merely known: a removed package keeps a status ("deinstall ok
    # config-files") for which `dpkg -s` still succeeds.
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "$who: please install: ${missing[*]}" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
