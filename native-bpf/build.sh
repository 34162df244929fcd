#!/usr/bin/env bash
# Builds the eBPF programs (CPU profiler, socket tracer) and their Node addon:
#   Debian packages (only the missing ones) -> vmlinux.h -> {profiler,socket_tracer}.bpf.o
#   -> *.skel.h -> build/Release/loupe_bpf.node (node-gyp, Node-API, -lbpf -lelf -lz).
# Steps whose outputs are newer than their inputs are skipped, so a warm run is quick.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
gen="$here/gen"
start_ms=$(($(date +%s%N) / 1000000))

bash "$repo/scripts/ensure-apt.sh" clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make g++ python3

mkdir -p "$gen"
# vmlinux.h: every type of the running kernel (CO-RE relocates against the target kernel's BTF).
if [ ! -s "$gen/vmlinux.h" ]; then
  [ -r /sys/kernel/btf/vmlinux ] || { echo "build.sh: /sys/kernel/btf/vmlinux is missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$gen/vmlinux.h.tmp"
  mv "$gen/vmlinux.h.tmp" "$gen/vmlinux.h"
fi

arch=$(uname -m)
case "$arch" in
  x86_64) target_arch=x86 node_cpu=x64 ;;
  aarch64) target_arch=arm64 node_cpu=arm64 ;;
  *) echo "build.sh: unsupported architecture $arch" >&2; exit 1 ;;
esac

# BPF object -> skeleton, redone only when the program, its header or a shared BPF header (src/*.bpf.h)
# is newer than the skeleton.
#   bpf_skeleton NAME EXTRA_CLANG_FLAGS...   (src/NAME.bpf.c + src/NAME.h -> gen/NAME.skel.h)
bpf_skeleton() {
  local name="$1"
  shift
  local obj="$gen/$name.bpf.o" skel="$gen/$name.skel.h"
  local stale=0 input
  for input in "$here/src/$name.bpf.c" "$here/src/$name.h" "$here"/src/*.bpf.h; do
    if [ "$input" -nt "$skel" ]; then stale=1; fi
  done
  if [ ! -s "$skel" ] || [ "$stale" = 1 ]; then
    clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_$target_arch "$@" \
      -I"$gen" -I"$here/src" -c "$here/src/$name.bpf.c" -o "$obj"
    bpftool gen skeleton "$obj" name "${name}_bpf" > "$skel.tmp"
    mv "$skel.tmp" "$skel"
  fi
}
bpf_skeleton profiler
# -mcpu=v3: atomic fetch-and-add with a result (generation counter).
bpf_skeleton socket_tracer -mcpu=v3

# node-gyp: a local install if there is one, else the copy bundled with npm.
gyp="$repo/node_modules/node-gyp/bin/node-gyp.js"
if [ ! -f "$gyp" ]; then
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
fi
[ -f "$gyp" ] || { echo "build.sh: node-gyp not found (neither in node_modules nor bundled with npm)" >&2; exit 1; }
# The Node package-lock.json pins (installed by npm ci with its headers) runs node-gyp, and the
# addon is built against its headers, not the machine's Node: the addon records them (nodeHeaders)
# and a test checks they are the running Node's.
nodedir="$repo/node_modules/node-linux-$node_cpu"
node="$nodedir/bin/node"
[ -x "$node" ] && [ -f "$nodedir/include/node/node_api.h" ] || {
  echo "build.sh: $nodedir (bin/node, include/node) is missing: run \`make deps\` (its npm ci installs the Node package-lock.json pins)" >&2
  exit 1
}
gyp_args=("--nodedir=$nodedir")

cd "$here"
# A build configured against another Node's headers starts over.
if [ -f build/config.gypi ] && ! grep -qF "\"nodedir\": \"$nodedir\"" build/config.gypi; then rm -rf build; fi
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
  "$node" "$gyp" configure "${gyp_args[@]}" --loglevel=warn
fi
"$node" "$gyp" build "${gyp_args[@]}" --loglevel=warn -j "$(nproc)"

ms=$(( $(date +%s%N) / 1000000 - start_ms ))
printf 'build.sh: built %s in %d.%03d s\n' "$here/build/Release/loupe_bpf.node" $((ms / 1000)) $((ms % 1000))
