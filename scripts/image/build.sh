#!/usr/bin/env bash
# Builds the Loupe container image without a container daemon: a Debian root file system holding
# only the libraries Node and the eBPF addon link (mmdebstrap), the Node release package-lock.json
# pins, dist/ compiled afresh, the production node_modules and the addon, written by
# scripts/image/build.ts as an OCI archive (dist/image/loupe-<version>.oci.tar) with an SPDX SBOM beside it.
#
# Reproducible: the same commit, Debian packages and npm packages give the same digest. Every
# timestamp is SOURCE_DATE_EPOCH (default: the last commit's time); the tars are sorted with fixed
# owners and modes; gzip is Node's bundled zlib. Environment:
#   SOURCE_DATE_EPOCH     the image's `created` and every file's mtime
#   LOUPE_IMAGE_OUT       output folder (default dist/image)
#   LOUPE_IMAGE_NAME      the name podman load / ctr import give it (default ghcr.io/loupe-dev/loupe)
#   LOUPE_DEBIAN_MIRROR   a Debian mirror (default http://deb.debian.org)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
started=$(date +%s.%N)

case $(uname -m) in
  x86_64) cpu=x64 arch=amd64 ;;
  aarch64) cpu=arm64 arch=arm64 ;;
  *) echo "scripts/image/build.sh: no Node package for this CPU ($(uname -m))" >&2; exit 1 ;;
esac
node="$root/node_modules/node-linux-$cpu/bin/node"
[ -x "$node" ] || { echo "scripts/image/build.sh: $node is missing: run \`make build\` first (its npm ci installs the pinned Node)" >&2; exit 1; }
addon="$root/native-bpf/build/Release/loupe_bpf.node"
[ -f "$addon" ] || { echo "scripts/image/build.sh: $addon is missing: run \`make native\` first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "scripts/image/build.sh: mmdebstrap lays out the root file system as root (file owners); run it as root" >&2; exit 1; }
bash scripts/ensure-apt.sh mmdebstrap

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
version=$("$node" -p "require('./package.json').version")
node_version=$("$node" -p process.versions.node)
revision=$(git rev-parse HEAD)
out_dir=${LOUPE_IMAGE_OUT:-$root/dist/image}
name=${LOUPE_IMAGE_NAME:-ghcr.io/loupe-dev/loupe}
mirror=${LOUPE_DEBIAN_MIRROR:-http://deb.debian.org}
release=bookworm
mkdir -p "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/loupe-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The Debian layer. --variant=extract unpacks the packages (and what they depend on) without
# running their maintainer scripts: there is no shell, no dpkg and no apt in the image. What Node
# links (ldd): libc6, libstdc++6, libgcc-s1; what the addon adds: libbpf1, libelf1, zlib1g.
# base-files gives /etc/os-release, which image scanners read. Node carries its own CA bundle
# and time zone data, so ca-certificates and tzdata are left out.
packages=libc6,libstdc++6,libgcc-s1,libbpf1,libelf1,zlib1g,base-files
status_hook='mkdir -p "$1/var/lib/dpkg/status.d" && for d in "$1"/var/cache/apt/archives/*.deb; do p=$(dpkg-deb -f "$d" Package); { dpkg-deb -f "$d"; echo "Status: install ok installed"; } > "$1/var/lib/dpkg/status.d/$p"; done'
excludes=()
for p in /usr/share/doc/'*' /usr/share/man/'*' /usr/share/info/'*' /usr/share/locale/'*' /usr/share/lintian/'*' /usr/share/gdb/'*' /usr/share/gcc/'*'; do
  excludes+=(--dpkgopt="path-exclude=$p")
done
mmdebstrap --quiet --variant=extract --include="$packages" "${excludes[@]}" --extract-hook="$status_hook" \
  "$release" "$work/rootfs" \
  "deb $mirror/debian $release main" "deb $mirror/debian $release-updates main" "deb $mirror/debian-security $release-security main"
# What mmdebstrap leaves for apt and dpkg, and what a runtime mounts (/dev, resolv.conf, hostname).
(cd "$work/rootfs" && rm -rf dev etc/apt etc/dpkg etc/fstab etc/hostname etc/resolv.conf var/cache var/log \
  var/lib/apt var/lib/dpkg/alternatives var/lib/dpkg/info var/lib/dpkg/triggers var/lib/dpkg/updates \
  var/lib/dpkg/arch var/lib/dpkg/status && mkdir -p tmp && chmod 1777 tmp)
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$work/rootfs/etc/group"
chmod 0644 "$work/rootfs/etc/passwd" "$work/rootfs/etc/group"

# 2. The application: dist/ compiled afresh (nothing left over from a deleted source), and the
# production dependencies exactly as package-lock.json pins them (no dev tools; --omit=optional
# drops only node-linux-*, whose binary the image carries as /usr/local/bin/node).
"$node" "$root/node_modules/typescript/bin/tsc" -p tsconfig.json --outDir "$work/dist"
mkdir -p "$work/app"
cp package.json package-lock.json "$work/app/"
(cd "$work/app" && npm ci --omit=dev --omit=optional --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)

# 3. The image and its SBOM.
archive="$out_dir/loupe-$version.oci.tar"
summary=$("$node" "$work/dist/scripts/image/build.js" \
  --rootfs "$work/rootfs" --dist "$work/dist" --node-modules "$work/app/node_modules" --addon "$addon" \
  --node "$node" --node-version "$node_version" --package-json package.json \
  --version "$version" --revision "$revision" --source "${LOUPE_IMAGE_SOURCE:-https://github.com/loupe-dev/loupe}" \
  --ref-name "$name:$version" --debian-release "debian-12" --debian-variant extract \
  --epoch "$SOURCE_DATE_EPOCH" --arch "$arch" --out "$archive" --sbom "$out_dir/loupe-$version.spdx.json")
echo "$summary" > "$out_dir/loupe-$version.build.json"
"$node" -e '
const s = JSON.parse(process.argv[1]);
const mib = (n) => (n / 1048576).toFixed(1) + " MiB";
console.log(`scripts/image/build.sh: ${process.argv[2]} in ${(Date.now() / 1000 - Number(process.argv[4])).toFixed(0)} s`);
console.log(`  digest ${s.digest}`);
console.log(`  archive ${mib(s.archiveBytes)}; layers (gzip) ${s.layerBytes.map(mib).join(" + ")}; unpacked ${mib(s.unpackedBytes.reduce((a, b) => a + b, 0))}`);
console.log(`  SBOM ${process.argv[3]}`);
' "$summary" "$archive" "$out_dir/loupe-$version.spdx.json" "$started"
