#!/usr/bin/env bash
# Builds the helm CLI of one release from its Go module (helm.sh/helm/v4, through the Go module
# proxy) and caches it in
#   ${LOUPE_CACHE_DIR:-$HOME/.cache/loupe}/helm-$HELM_VERSION/helm
# A second run with the cache filled exits at once. The install-path tests
# (controllers/install/*.test.ts) run `helm template` on the chart with it. LOUPE_HELM_VERSION
# builds another release; the default, e2e/helm/VERSION, is the one CI tests.
set -euo pipefail

HELM_VERSION=${LOUPE_HELM_VERSION:-$(cat "$(dirname "$0")/VERSION")}
CACHE_DIR=${LOUPE_CACHE_DIR:-$HOME/.cache/loupe}
OUT_DIR=$CACHE_DIR/helm-$HELM_VERSION
BINARIES=(helm)
TOOL=build-helm
# shellcheck source=../go-build-cache.sh
. "$(dirname "$0")/../go-build-cache.sh"

[[ $HELM_VERSION =~ ^4\.[0-9]+\.[0-9]+$ ]] || fail "LOUPE_HELM_VERSION must be a helm 4 release like 4.3.2, got '$HELM_VERSION'"

begin_cached_build "helm $HELM_VERSION"

log "resolving helm.sh/helm/v4 v$HELM_VERSION"
HELM_MOD=$(module_go_mod "helm.sh/helm/v4@v$HELM_VERSION")
GO_LINE=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$HELM_MOD")
cat >"$WORK/go.mod" <<MOD
module loupe.local/helm-build

go $GO_LINE

require helm.sh/helm/v4 v$HELM_VERSION
MOD
cat >"$WORK/tools.go" <<'GO'
//go:build tools

package tools

import _ "helm.sh/helm/v4/cmd/helm"
GO
(cd "$WORK" && go mod tidy >"$WORK/tidy.log" 2>&1) || { tail -n 30 "$WORK/tidy.log"; fail "go mod tidy failed for helm v$HELM_VERSION"; }

# What helm's own Makefile stamps; without it `helm version` says v4.0+unreleased.
log "building helm v$HELM_VERSION with $(go version | cut -d' ' -f3)"
build_started=$(date +%s)
(cd "$WORK" && go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  -o "$WORK/bin/helm" helm.sh/helm/v4/cmd/helm) >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log"; fail "go build of helm failed"; }
log "built helm in $(($(date +%s) - build_started)) s"

install_cached version
