#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager 1.20.2 from Debian's `kubernetes` source
# package (there is no binary of them in Debian or npm) and takes kubectl 1.20.2 from Debian's
# `kubernetes-client` binary package (extracted, not installed, so a kubectl already on the
# machine is left alone). The three binaries are cached in
#   ${LOUPE_CACHE_DIR:-$HOME/.cache/loupe}/kubernetes-1.20.2/
# and a second run with the cache filled exits at once. The e2e harness (e2e/harness/kube.ts)
# reads them from there. Cold: about 5 minutes on 2 cores.
set -euo pipefail

KUBE_VERSION=1.20.2
CACHE_DIR=${LOUPE_CACHE_DIR:-$HOME/.cache/loupe}
OUT_DIR=$CACHE_DIR/kubernetes-$KUBE_VERSION
BINARIES=(kube-apiserver kube-controller-manager kubectl)
# Debian suite and mirror: the machine's own (override with LOUPE_DEBIAN_SUITE / LOUPE_DEBIAN_MIRROR).
SUITE=${LOUPE_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PACKAGES=(golang-go rsync dpkg-dev make xz-utils ca-certificates openssl etcd-server golang-github-modern-go-reflect2-dev)

log() { printf '[build-kube] %s\n' "$*"; }

have_all_binaries() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x $OUT_DIR/$b ]] || return 1; done
}

if have_all_binaries; then
  log "cached: $OUT_DIR has ${BINARIES[*]}"
  exit 0
fi

# One build at a time per cache; a run that waited finds the binaries in place.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.build-kube.lock"
if ! flock -n 9; then
  log "another build-kube.sh is running; waiting for it"
  flock 9
fi
if have_all_binaries; then
  log "cached: $OUT_DIR has ${BINARIES[*]} (built by the run we waited for)"
  exit 0
fi

started=$(date +%s)
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { log "not root and no sudo: cannot install build packages"; exit 1; }
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive

# --- 1. Build packages: install only what is missing (an unconditional install would upgrade
# unrelated packages), and update the lists only if a missing package has no candidate.
missing=()
for p in "${PACKAGES[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  for p in "${missing[@]}"; do
    policy=$(apt-cache policy "$p" 2>/dev/null || true)
    if [[ $policy != *"Candidate: "[!\(]* ]]; then
      log "apt-get update (no candidate for $p)"
      "${SUDO[@]}" apt-get update -q </dev/null
      break
    fi
  done
  log "installing ${missing[*]}"
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
  log "build packages already installed"
fi

# --- 2. Private apt configuration: the system's sources are never touched.
MIRROR=${LOUPE_DEBIAN_MIRROR:-}
if [[ -z $MIRROR ]]; then
  # apt-cache policy lines: " 500 URI SUITE/main ARCH Packages"
  MIRROR=$(apt-cache policy 2>/dev/null | awk -v s="$SUITE/main" '$3 == s { print $2; exit }')
fi
if [[ -z $MIRROR ]]; then
  log "apt-get update (no package list for $SUITE/main yet)"
  "${SUDO[@]}" apt-get update -q </dev/null
  MIRROR=$(apt-cache policy 2>/dev/null | awk -v s="$SUITE/main" '$3 == s { print $2; exit }')
fi
[[ -n $MIRROR ]] || { log "no Debian mirror for $SUITE/main in the apt configuration; set LOUPE_DEBIAN_MIRROR"; exit 1; }
WORK=$(mktemp -d "$CACHE_DIR/kube-build.XXXXXX")
STAGE=
cleanup() { rm -rf "$WORK" ${STAGE:+"$STAGE"}; }
trap cleanup EXIT
APT_DIR=$WORK/apt
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/sources.list.d" "$WORK/src" "$WORK/deb"
cat >"$APT_DIR/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR $SUITE main
deb-src [signed-by=$KEYRING] $MIRROR $SUITE main
EOF
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
  -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "APT::Sandbox::User=root"
)
log "fetching package lists for $SUITE from $MIRROR (private lists in $APT_DIR)"
apt-get "${APT_OPTS[@]}" -q update </dev/null

# --- 3. kubectl from Debian's kubernetes-client (same 1.20.2 source, already built).
log "downloading kubernetes-client (kubectl)"
(cd "$WORK/deb" && apt-get "${APT_OPTS[@]}" -q download kubernetes-client </dev/null)
dpkg-deb -x "$WORK"/deb/kubernetes-client_*.deb "$WORK/deb/root"
KUBECTL=$WORK/deb/root/usr/bin/kubectl
[[ -x $KUBECTL ]] || { log "kubernetes-client has no usr/bin/kubectl"; exit 1; }
kubectl_version=$("$KUBECTL" version --client --short 2>&1 || true)
[[ $kubectl_version == *"v$KUBE_VERSION"* ]] || { log "kubernetes-client is not $KUBE_VERSION: $kubectl_version"; exit 1; }

# --- 4. Source.
log "downloading the kubernetes source package (34 MB, 278 MB unpacked)"
(cd "$WORK/src" && apt-get "${APT_OPTS[@]}" -q source kubernetes </dev/null >"$WORK/src/apt-source.log" 2>&1) || {
  tail -n 30 "$WORK/src/apt-source.log"
  exit 1
}
TREE=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' -print -quit)
[[ -n $TREE && -f $TREE/Makefile ]] || { log "no unpacked kubernetes tree in $WORK/src"; exit 1; }
read -r changelog_head <"$TREE/debian/changelog"
[[ $changelog_head == *"$KUBE_VERSION"* ]] || { log "source package is not kubernetes $KUBE_VERSION: $changelog_head"; exit 1; }
log "source: $changelog_head"

# --- 5. reflect2 1.0.1 (vendored) crashes under Go >= 1.18 with SIGSEGV in
# UnsafeMapType.UnsafeIterate on the first custom-resource create; 1.0.2 from Debian fixes it.
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
REFLECT2_DST=$TREE/vendor/github.com/modern-go/reflect2
[[ -d $REFLECT2_SRC && -d $REFLECT2_DST ]] || { log "reflect2 not found at $REFLECT2_SRC or $REFLECT2_DST"; exit 1; }
# 1.0.2 renamed its build-tag files (go_above_17.go → go_above_118.go ...): replace, not overlay.
find "$REFLECT2_DST" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
find "$REFLECT2_SRC" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' -exec cp -f {} "$REFLECT2_DST/" \;
log "patched vendored reflect2 with $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"

# --- 6. Build the way debian/rules does: GOPATH mode with the tree symlinked into it.
mkdir -p "$TREE/.go/src/k8s.io"
ln -sfn "$TREE" "$TREE/.go/src/k8s.io/kubernetes"
log "building kube-apiserver and kube-controller-manager with $(go version | cut -d' ' -f3) (about 5 min cold)"
build_started=$(date +%s)
(
  cd "$TREE/.go/src/k8s.io/kubernetes"
  GOPATH=$TREE/.go CGO_ENABLED=0 GO111MODULE=off GOFLAGS= KUBE_VERBOSE=1 \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" </dev/null
) >"$WORK/make.log" 2>&1 || {
  log "make failed; last lines of the build log:"
  tail -n 40 "$WORK/make.log"
  exit 1
}
log "built in $(($(date +%s) - build_started)) s"

# --- 7. Install atomically: copy into a temp dir next to the target, then rename.
STAGE=$(mktemp -d "$CACHE_DIR/.kubernetes-$KUBE_VERSION.XXXXXX")
for b in kube-apiserver kube-controller-manager; do
  f=$(find "$TREE/_output" -type f -name "$b" -path '*/bin/*' -print -quit)
  [[ -n $f ]] || { log "make produced no $b"; exit 1; }
  cp "$f" "$STAGE/$b"
done
cp "$KUBECTL" "$STAGE/kubectl"
chmod 0755 "$STAGE" "$STAGE"/*
"$STAGE/kube-apiserver" --version
if [[ -e $OUT_DIR ]]; then
  rm -rf "$OUT_DIR.old"
  mv "$OUT_DIR" "$OUT_DIR.old"
fi
mv "$STAGE" "$OUT_DIR"
STAGE=
rm -rf "$OUT_DIR.old"
log "installed ${BINARIES[*]} into $OUT_DIR in $(($(date +%s) - started)) s total; removing the source tree"
