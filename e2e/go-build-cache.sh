# Sourced by e2e/kube/build-kube.sh and e2e/helm/build-helm.sh: programs built from their Go
# modules through the module proxy into a cache folder per version, one build at a time per
# cache. The caller sets TOOL (its name: log prefix and lock), CACHE_DIR, OUT_DIR and BINARIES
# (the files OUT_DIR must hold), then calls begin_cached_build, builds into $WORK/bin and calls
# install_cached.

log() { printf '[%s] %s\n' "$TOOL" "$*"; }
fail() { log "$*"; exit 1; }

have_all_binaries() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x $OUT_DIR/$b ]] || return 1; done
}

# Exits 0 when the cache already holds every binary. Otherwise takes the cache's lock for TOOL
# (a run that waited for another finds the binaries in place), makes $WORK (removed on exit,
# with a half-made stage) and sets the Go environment for a module-mode static build.
# $1: what needs Go, for the error when there is none.
begin_cached_build() {
  if have_all_binaries; then
    log "cached: $OUT_DIR has ${BINARIES[*]}"
    exit 0
  fi
  command -v go >/dev/null || fail "no Go toolchain on PATH: $1 is built from its Go module (install Go ≥ 1.26, e.g. /usr/local/go)"
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/.$TOOL.lock"
  if ! flock -n 9; then
    log "another $TOOL.sh is running; waiting for it"
    flock 9
  fi
  if have_all_binaries; then
    log "cached: $OUT_DIR has ${BINARIES[*]} (built by the run we waited for)"
    exit 0
  fi
  STARTED=$(date +%s)
  WORK=$(mktemp -d "$CACHE_DIR/$TOOL.XXXXXX")
  STAGE=
  trap 'rm -rf "$WORK" ${STAGE:+"$STAGE"}' EXIT
  export GOFLAGS=-mod=mod CGO_ENABLED=0 GOWORK=off
}

# Prints the path of MODULE@VERSION's go.mod as the proxy serves it, or fails.
module_go_mod() {
  local mod
  mod=$(cd "$WORK" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  # stdout is the caller's value: the error goes to stderr.
  [[ -f $mod ]] || { log "the module proxy did not serve $1" >&2; exit 1; }
  printf '%s\n' "$mod"
}

# Installs $WORK/bin/<each of BINARIES> into OUT_DIR atomically: copied into a stage beside it,
# then renamed over it. $1: a command line run on the stage's first binary to show its version.
install_cached() {
  local b
  STAGE=$(mktemp -d "$CACHE_DIR/.$(basename "$OUT_DIR").XXXXXX")
  for b in "${BINARIES[@]}"; do cp "$WORK/bin/$b" "$STAGE/$b"; done
  chmod 0755 "$STAGE" "$STAGE"/*
  "$STAGE/${BINARIES[0]}" $1
  if [[ -e $OUT_DIR ]]; then
    rm -rf "$OUT_DIR.old"
    mv "$OUT_DIR" "$OUT_DIR.old"
  fi
  mv "$STAGE" "$OUT_DIR"
  STAGE=
  rm -rf "$OUT_DIR.old"
  log "installed ${BINARIES[*]} into $OUT_DIR in $(($(date +%s) - STARTED)) s total"
}
