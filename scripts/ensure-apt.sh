#!/usr/bin/env bash
# Installs the given Debian packages that are not installed yet; installs nothing otherwise.
# (An unconditional install after `apt-get update` would upgrade unrelated packages.)
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[ensure-apt] installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/ensure-apt.log 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
