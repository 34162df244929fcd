// The container image as a user gets it: scripts/image/build.sh writes the OCI archive, skopeo reads it,
// umoci unpacks it into a runtime bundle and Debian's runc runs it (crun refuses this machine's
// hybrid cgroup layout). Needs root (mmdebstrap, runc). The build runs twice: once for every
// test, once more to show that it is reproducible.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../crds/generate.js';
import { startKube, type KubeEnv } from './harness/kube.js';
import { freePort, installCRDs, waitFor } from './harness/cluster.js';
import { startHttpServer } from './harness/http-server.js';
import { query, startLoupe, type LoupeProcess } from './harness/loupe-process.js';
import { startNats } from './harness/nats.js';
import { makePrivileged } from './harness/pod-runner.js';

interface Built {
  archive: string;
  sbom: string;
  digest: string;
  seconds: number;
}

const root = repoRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const refName = `ghcr.io/loupe-dev/loupe:${pkg.version}`;
let work: string;
let image: Built;
let rootfs: string;
let kube: KubeEnv | undefined;
const started: string[] = [];

function build(outDir: string): Built {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', [join(root, 'scripts', 'image', 'build.sh')], { cwd: root, encoding: 'utf8', env: { ...process.env, LOUPE_IMAGE_OUT: outDir }, timeout: 600_000 });
  assert.equal(r.status, 0, `scripts/image/build.sh failed:\n${r.stdout}\n${r.stderr}`);
  const summary = JSON.parse(readFileSync(join(outDir, `loupe-${pkg.version}.build.json`), 'utf8')) as { digest: string };
  return {
    archive: join(outDir, `loupe-${pkg.version}.oci.tar`),
    sbom: join(outDir, `loupe-${pkg.version}.spdx.json`),
    digest: summary.digest,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

interface RuntimeSpec {
  process: {
    terminal: boolean;
    args: string[];
    env: string[];
    user: { uid: number; gid: number };
    noNewPrivileges?: boolean;
  };
  root: { path: string; readonly: boolean };
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: { namespaces: { type: string }[]; seccomp?: unknown; maskedPaths?: string[]; readonlyPaths?: string[] };
}

/** A runc bundle over the unpacked root file system, with the image's config (from umoci) edited by `edit`. */
function bundle(name: string, edit: (spec: RuntimeSpec) => void): string {
  const dir = join(work, `bundle-${name}`);
  mkdirSync(dir);
  const spec = JSON.parse(readFileSync(join(work, 'unpacked', 'config.json'), 'utf8')) as RuntimeSpec;
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: true };
  edit(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

const containerId = (name: string) => `loupe-e2e-${name}-${process.pid}`;

interface Container {
  output(): string;
  /** Throws with the output when the container has exited. */
  check(): void;
  stop(): Promise<void>;
}

/** `runc run` in the background over a bundle made by `bundle(name, edit)`; stop() kills and deletes it. */
function runContainer(name: string, edit: (spec: RuntimeSpec) => void): Container {
  const id = containerId(name);
  const dir = bundle(name, edit);
  started.push(id);
  const child: ChildProcess = spawn('runc', ['run', '--bundle', dir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return {
    output: () => output,
    check: () => {
      if (child.exitCode !== null) throw new Error(`the ${name} container exited ${child.exitCode}:\n${output}`);
    },
    stop: async () => {
      spawnSync('runc', ['kill', id, 'KILL']);
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      spawnSync('runc', ['delete', '--force', id]);
    },
  };
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test builds the image with mmdebstrap and runs it with runc: run it as root');
  execFileSync('bash', [join(root, 'scripts', 'ensure-apt.sh'), 'mmdebstrap', 'umoci', 'skopeo', 'runc']);
  work = mkdtempSync(join(tmpdir(), 'loupe-image-e2e-'));
  image = build(join(work, 'out'));
  console.log(`scripts/image/build.sh: ${image.digest} in ${image.seconds.toFixed(0)} s`);
  mkdirSync(join(work, 'layout'));
  execFileSync('tar', ['-xf', image.archive, '-C', join(work, 'layout')]);
  execFileSync('umoci', ['unpack', '--image', `${join(work, 'layout')}:${refName}`, join(work, 'unpacked')]);
  rootfs = join(work, 'unpacked', 'rootfs');
});

after(async () => {
  for (const id of started) spawnSync('runc', ['delete', '--force', id]);
  await kube?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('skopeo reads the archive: the digest the build printed, the version and revision labels, the entrypoint and a non-root user', () => {
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${image.archive}`], { encoding: 'utf8' })) as { Digest: string; Labels: Record<string, string> };
  assert.equal(inspect.Digest, image.digest);
  assert.equal(inspect.Labels['org.opencontainers.image.version'], pkg.version);
  assert.equal(inspect.Labels['org.opencontainers.image.revision'], execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim());
  const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci-archive:${image.archive}`], { encoding: 'utf8' })) as { config: { User: string; Entrypoint: string[] } };
  assert.equal(config.config.User, '65532:65532');
  assert.deepEqual(config.config.Entrypoint, ['/usr/local/bin/loupe']);
});

test('the SBOM lists the Debian packages with their versions, the Node that ships and the npm packages, each with a purl', () => {
  const doc = JSON.parse(readFileSync(image.sbom, 'utf8')) as { spdxVersion: string; packages: { name: string; versionInfo: string; externalRefs?: { referenceLocator: string }[] }[] };
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  const byName = new Map(doc.packages.map((p) => [p.name, p]));
  for (const deb of ['libc6', 'libstdc++6', 'libgcc-s1', 'libbpf1', 'libelf1', 'zlib1g']) {
    assert.match(byName.get(deb)?.externalRefs?.[0]?.referenceLocator ?? '', new RegExp(`^pkg:deb/debian/${deb.replace(/\+/g, '\\+')}@`), deb);
  }
  assert.equal(byName.get('node')?.versionInfo, process.versions.node);
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  assert.equal(byName.get('@kubernetes/client-node')?.versionInfo, lock.packages['node_modules/@kubernetes/client-node']!.version);
  assert.equal(byName.get('typescript'), undefined, 'dev dependencies do not ship');
});

test('runc runs `loupe --version` from the image as user 65532 on a read-only root file system', () => {
  const id = containerId('version');
  started.push(id);
  const dir = bundle('version', (spec) => {
    spec.process.args = ['/usr/local/bin/loupe', '--version'];
  });
  const r = spawnSync('runc', ['run', '--bundle', dir, id], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `loupe ${pkg.version} (node ${process.versions.node}, linux ${process.arch})\n`);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RuntimeSpec;
  assert.deepEqual(spec.process.user, { uid: 65532, gid: 65532 });
});

test('the operator started from the image (`loupe operator`, as the Deployment runs it) answers /healthz against a real API server', async () => {
  kube = await startKube({ controllerManager: false });
  await installCRDs(kube.kc);
  const kubeconfig = join(work, 'kubeconfig');
  copyFileSync(kube.kubeconfigPath, kubeconfig);
  execFileSync('chmod', ['0644', kubeconfig]);
  const port = await freePort();
  const container = runContainer('operator', (spec) => {
    // The host's network namespace: the API server listens on this host's loopback.
    spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
    spec.mounts.push({ destination: '/etc/loupe/kubeconfig', type: 'bind', source: kubeconfig, options: ['rbind', 'ro'] });
    spec.process.env.push('KUBECONFIG=/etc/loupe/kubeconfig', 'POD_NAMESPACE=default');
    spec.process.args = ['/usr/local/bin/loupe', 'operator', `--health-addr=127.0.0.1:${port}`, '--leader-elect=false'];
  });
  try {
    const body = await waitFor('the operator container\'s /healthz', async () => {
      container.check();
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return res?.status === 200 ? res.text() : undefined;
    }, 60_000, 250);
    assert.ok(body.length > 0);
    let readyz = '';
    await waitFor('the operator container\'s /readyz', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      readyz = res ? `${res.status} ${await res.text()}` : 'no answer';
      return res?.status === 200;
    }, 60_000, 250).catch((err: Error) => assert.fail(`${err.message}; last answer: ${readyz}; container output:\n${container.output()}`));
  } finally {
    await container.stop();
  }
});

/** The PEM container as the Vizier renders it: privileged, as root, host PID and network, the host's /sys, /proc, BTF, tracefs, debugfs, cgroups and bpffs mounted where the DaemonSet mounts them. */
function privilegedPem(spec: RuntimeSpec): void {
  spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network' && n.type !== 'pid');
  spec.process.user = { uid: 0, gid: 0 };
  makePrivileged(spec);
  const bind = (source: string, destination: string, readOnly: boolean) => spec.mounts.push({ destination, type: 'bind', source, options: ['rbind', readOnly ? 'ro' : 'rw'] });
  bind('/sys', '/host/sys', true);
  bind('/proc', '/host/proc', true);
  bind('/sys/kernel/btf', '/sys/kernel/btf', true);
  bind('/sys/kernel/tracing', '/sys/kernel/tracing', false);
  bind('/sys/kernel/debug', '/sys/kernel/debug', false);
  bind('/sys/fs/cgroup', '/host/sys/fs/cgroup', true);
  bind('/sys/fs/bpf', '/sys/fs/bpf', false);
  spec.process.env.push('LOUPE_HOST_PREFIX=/host');
}

test('a PEM started from the image, privileged as the DaemonSet renders it, traces HTTP requests to a server on the host, and the broker returns them', async () => {
  const nats = await startNats();
  const server = await startHttpServer();
  const port = await freePort();
  const common = ['--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'];
  const roles: LoupeProcess[] = [];
  const pem = runContainer('pem', (spec) => {
    privilegedPem(spec);
    spec.process.args = ['/usr/local/bin/loupe', 'pem', '--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', `127.0.0.1:${port}`, '--sources', 'socket_tracer', '--memory-limit', '64Mi', '--pid', String(server.pid), '--node-name', 'image-node'];
  });
  try {
    roles.push(await startLoupe(['kelvin', ...common]), await startLoupe(['query-broker', ...common]));
    const broker = roles[1]!;
    await waitFor('the PEM container\'s /readyz', async () => {
      pem.check();
      return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    }, 60_000, 250);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^loupe_pem_source_running\{source="socket_tracer",role="pem"\} 1$/m, pem.output());
    const REQUESTS = 7;
    for (let i = 0; i < REQUESTS; i++) assert.equal((await fetch(`http://127.0.0.1:${server.port}/status/201?n=${i}`)).status, 201);
    const script = `import px\ndf = px.DataFrame(table='http_events', start_time='-10m')\ndf = df[df.local_port == ${server.port}]\ndf = df.groupby(['resp_status']).agg(n=('latency', px.count))\npx.display(df, 'per_status')\n`;
    const rows = await waitFor('the broker to return every request the PEM traced', async () => {
      const r = await query(broker.address, script);
      const t = r.tables.find((x) => x.name === 'per_status');
      const n = t?.rows.reduce((sum, row) => sum + Number(row[1]), 0) ?? 0;
      return n >= REQUESTS ? t!.rows : undefined;
    }, 30_000, 500);
    assert.deepEqual(rows.map((row) => [Number(row[0]), Number(row[1])]), [[201, REQUESTS]]);
  } finally {
    await pem.stop();
    for (const r of roles) await r.stop('SIGTERM');
    server.child.kill('SIGTERM');
    await nats.stop();
  }
});

test('a second build from the same inputs gives the same digest and the same archive bytes', () => {
  const again = build(join(work, 'again'));
  console.log(`scripts/image/build.sh again: ${again.digest} in ${again.seconds.toFixed(0)} s`);
  assert.equal(again.digest, image.digest);
  assert.ok(readFileSync(again.archive).equals(readFileSync(image.archive)), 'the archives differ byte for byte');
});
