#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl of one Kubernetes release from the
# `k8s.io/kubernetes` Go module (through the Go module proxy; its staging modules k8s.io/api,
# k8s.io/apimachinery, ... come from their own published v0.MINOR.PATCH versions), and etcd from
# `go.etcd.io/etcd/server/v3`. The binaries are cached in
#   ${LOUPE_CACHE_DIR:-$HOME/.cache/loupe}/kubernetes-$KUBE_VERSION/
# and a second run with the cache filled exits at once. The e2e harness (e2e/harness/kube.ts)
# reads them from there. LOUPE_KUBE_VERSION builds another release (e.g. 1.34.4, to check the
# oldest one the module proxy serves); the default, e2e/kube/VERSION, is the one CI tests.
set -euo pipefail

KUBE_VERSION=${LOUPE_KUBE_VERSION:-$(cat "$(dirname "$0")/VERSION")}
ETCD_VERSION=3.7.3
CACHE_DIR=${LOUPE_CACHE_DIR:-$HOME/.cache/loupe}
OUT_DIR=$CACHE_DIR/kubernetes-$KUBE_VERSION
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

TOOL=build-kube
# shellcheck source=../go-build-cache.sh
. "$(dirname "$0")/../go-build-cache.sh"

[[ $KUBE_VERSION =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || fail "LOUPE_KUBE_VERSION must look like 1.37.2, got '$KUBE_VERSION'"
MINOR=${BASH_REMATCH[1]}
STAGING_VERSION=v0.$MINOR.${BASH_REMATCH[2]}

begin_cached_build "kube-apiserver $KUBE_VERSION"

# --- 1. A module that requires k8s.io/kubernetes. Its go.mod replaces every staging module with
# a relative path, which a dependency's go.mod cannot do, so the replacements are rewritten to
# the staging modules' published versions.
log "resolving k8s.io/kubernetes v$KUBE_VERSION"
KUBE_MOD=$(module_go_mod "k8s.io/kubernetes@v$KUBE_VERSION")
STAGING=$(sed -n 's|^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*$|\1|p' "$KUBE_MOD")
[[ -n $STAGING ]] || fail "k8s.io/kubernetes@v$KUBE_VERSION's go.mod names no staging modules"
GO_LINE=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$KUBE_MOD")
mkdir -p "$WORK/kube"
{
  printf 'module loupe.local/kube-build\n\ngo %s\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$GO_LINE" "$KUBE_VERSION"
  for m in $STAGING; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; done
  printf ')\n'
} >"$WORK/kube/go.mod"
cat >"$WORK/kube/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
(cd "$WORK/kube" && go mod tidy >"$WORK/tidy.log" 2>&1) || { tail -n 30 "$WORK/tidy.log"; fail "go mod tidy failed for k8s.io/kubernetes v$KUBE_VERSION"; }

# --- 2. etcd in a module of its own, so its dependency versions do not move Kubernetes'.
mkdir -p "$WORK/etcd"
cat >"$WORK/etcd/go.mod" <<EOF
module loupe.local/etcd-build

go $GO_LINE

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
EOF
cat >"$WORK/etcd/main.go" <<'EOF'
// etcd's own entry point (go.etcd.io/etcd/v3 is not published as a module; its main calls this).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
(cd "$WORK/etcd" && go mod tidy >"$WORK/tidy-etcd.log" 2>&1) || { tail -n 30 "$WORK/tidy-etcd.log"; fail "go mod tidy failed for etcd v$ETCD_VERSION"; }

# --- 3. Build. The version variables are what `make` in the kubernetes tree would stamp; without
# them the binaries call themselves v0.0.0-master and kubectl warns about version skew.
VERSION_LDFLAGS=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  VERSION_LDFLAGS+=" -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$MINOR -X $pkg.gitTreeState=clean"
done
log "building kube-apiserver, kube-controller-manager and kubectl v$KUBE_VERSION with $(go version | cut -d' ' -f3) (about 10 min cold on 2 cores)"
build_started=$(date +%s)
(cd "$WORK/kube" && go build -trimpath -ldflags "-s -w$VERSION_LDFLAGS" -o "$WORK/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl) \
  >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log"; fail "go build failed"; }
log "built Kubernetes in $(($(date +%s) - build_started)) s; building etcd v$ETCD_VERSION"
etcd_started=$(date +%s)
(cd "$WORK/etcd" && go build -trimpath -ldflags "-s -w" -o "$WORK/bin/etcd" .) >"$WORK/build-etcd.log" 2>&1 || {
  tail -n 40 "$WORK/build-etcd.log"
  fail "go build of etcd failed"
}
log "built etcd in $(($(date +%s) - etcd_started)) s"

# --- 4. Install.
install_cached --version
"$OUT_DIR/etcd" --version | sed -n 1p
