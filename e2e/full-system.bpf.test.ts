// The whole system as a user installs it, with the operator's pods really running: a real API
// server and controller-manager, the operator (`bin/loupe operator`, a process from the repo),
// a Vizier, and the harness kubelet in running mode (harness/pod-runner.ts), which runs every
// pod the Vizier renders (NATS, metadata, query-broker, Kelvin, the PEM) as runc containers
// from the image scripts/image/build.sh builds. The Vizier becomes Healthy from the containers'
// real readiness probes. Needs root (runc, network namespaces, mmdebstrap for the image).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { repoRoot } from '../crds/generate.js';
import { shipsFromDist } from '../scripts/image/build.js';
import type { Vizier } from '../crds/kinds/vizier.js';
import { startKube, type KubeEnv } from './harness/kube.js';
import { FakeKubelet } from './harness/kubelet.js';
import { PodRunner } from './harness/pod-runner.js';
import { api, createNamespace, get, installCRDs, waitFor } from './harness/cluster.js';
import { spawnOperator, type OperatorProcess } from './harness/operator.js';
import { startHttpServer } from './harness/http-server.js';
import { tlsSecretName } from '../controllers/vizier/render.js';
import { Ports } from '../crds/contract/index.js';

const root = repoRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const refName = `ghcr.io/loupe-dev/loupe:${pkg.version}`;
const NS = 'loupe';
let work: string;
let env: KubeEnv | undefined;
let runner: PodRunner | undefined;
let kubelet: FakeKubelet | undefined;
let operator: OperatorProcess | undefined;

/** The newest modification time of what the image ships from dist/ (tests and the harness do not). */
function newestShipped(dist: string, rel = ''): number {
  let newest = 0;
  for (const entry of readdirSync(join(dist, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (path === 'image') continue;
    if (entry.isDirectory()) newest = Math.max(newest, newestShipped(dist, path));
    else if (shipsFromDist(path)) newest = Math.max(newest, statSync(join(dist, path)).mtimeMs);
  }
  return newest;
}

/** dist/image's archive when it is newer than what it ships from dist/, else a fresh build. */
function imageArchive(): string {
  const dist = join(root, 'dist');
  const archive = join(dist, 'image', `loupe-${pkg.version}.oci.tar`);
  try {
    if (statSync(archive).mtimeMs > newestShipped(dist)) return archive;
  } catch {
    // not built yet
  }
  const out = join(work, 'out');
  const r = spawnSync('bash', [join(root, 'scripts', 'image', 'build.sh')], { cwd: root, encoding: 'utf8', env: { ...process.env, LOUPE_IMAGE_OUT: out }, timeout: 600_000 });
  assert.equal(r.status, 0, `scripts/image/build.sh failed:\n${r.stdout}\n${r.stderr}`);
  return join(out, `loupe-${pkg.version}.oci.tar`);
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test runs pods with runc in network namespaces it creates: run it as root');
  execFileSync('bash', [join(root, 'scripts', 'ensure-apt.sh'), 'mmdebstrap', 'umoci', 'skopeo', 'runc', 'nats-server']);
  work = mkdtempSync(join(tmpdir(), 'loupe-full-system-'));
  const archive = imageArchive();
  mkdirSync(join(work, 'layout'));
  execFileSync('tar', ['-xf', archive, '-C', join(work, 'layout')]);
  execFileSync('umoci', ['unpack', '--image', `${join(work, 'layout')}:${refName}`, join(work, 'unpacked')]);

  env = await startKube();
  await installCRDs(env.kc);
  const server = new URL(env.server);
  runner = new PodRunner({
    bundle: join(work, 'unpacked'),
    isLoupeImage: (image) => image.endsWith(`/loupe:${pkg.version}`),
    workDir: join(work, 'pods'),
    apiServer: { host: server.hostname, port: Number(server.port) },
  });
  kubelet = new FakeKubelet(env.kc, { runner });
  await kubelet.addNode('node-1');
  await kubelet.start();
  await createNamespace(env.kc, 'loupe-system');
  await createNamespace(env.kc, NS);
  operator = spawnOperator(env.kubeconfigPath, work, 'full-system');
});

after(async () => {
  if (operator && operator.child.exitCode === null) {
    operator.child.kill('SIGTERM');
    await operator.exited;
  }
  await kubelet?.stop();
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every pod's phase and container states, and what its containers printed: the failure message. */
async function describe(): Promise<string> {
  const pods = (await env!.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS })).items;
  return pods.map((p: V1Pod) => [
    `${p.metadata?.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.map((c) => ({ name: c.name, ready: c.ready, restarts: c.restartCount, state: c.state, last: c.lastState })))}`,
    ...(p.spec?.containers ?? []).map((c) => `--- ${c.name} output:\n${runner!.output(NS, p.metadata?.name ?? '', c.name).slice(-3000)}`),
  ].join('\n')).join('\n\n') + `\n--- operator log:\n${readFileSync(operator!.logPath, 'utf8').slice(-3000)}`;
}

test('a Vizier\'s NATS, metadata, query-broker, Kelvin and PEM run as containers from the image and the Vizier becomes Healthy from their readiness probes', async () => {
  await api(env!.kc).request({ method: 'POST', path: `/apis/loupe.dev/v1alpha1/namespaces/${NS}/viziers`, body: { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'vizier', namespace: NS }, spec: {} } });
  const vz = await waitFor('the Vizier to become Healthy', async () => {
    const v = await get<Vizier>(env!.kc, `/apis/loupe.dev/v1alpha1/namespaces/${NS}/viziers/vizier`);
    return v?.status?.phase === 'Healthy' ? v : undefined;
  }, 240_000, 1000).catch(async (err: Error) => assert.fail(`${err.message}\n${await describe()}`));
  assert.equal(vz.status!.pems, '1/1');

  const pods = (await env!.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS })).items;
  const component = (p: V1Pod) => p.metadata?.labels?.['app.kubernetes.io/component'];
  assert.deepEqual(pods.map(component).sort(), ['kelvin', 'metadata', 'nats', 'pem', 'query-broker']);
  for (const pod of pods) {
    const status = pod.status?.containerStatuses?.[0];
    assert.equal(status?.ready, true, `${pod.metadata?.name} is ready`);
    assert.match(status?.containerID ?? '', /^runc:\/\/lk-/, `${pod.metadata?.name} runs in runc`);
    // The container runs: runc reports it, and its readiness endpoint answers this host.
    const id = status!.containerID!.slice('runc://'.length);
    const state = JSON.parse(execFileSync('runc', ['state', id], { encoding: 'utf8' })) as { status: string; pid: number };
    assert.equal(state.status, 'running', `runc state ${id}`);
    const probe = pod.spec!.containers[0]!.readinessProbe!.httpGet!;
    const port = pod.spec!.containers[0]!.ports!.find((p) => p.name === probe.port)!.containerPort;
    const host = pod.spec?.hostNetwork ? '127.0.0.1' : pod.status!.podIP!;
    assert.equal((await fetch(`http://${host}:${port}${probe.path}`)).status, 200, `${pod.metadata?.name} ${probe.path} on ${host}:${port}`);
  }
});

test('a container that exits restarts with back-off (CrashLoopBackOff, the real exit code in lastState), and a deleted pod\'s container stops', async () => {
  const core = env!.kc.makeApiClient(CoreV1Api);
  const host = spawnSync(join(root, 'bin', 'loupe'), ['no-such-role'], { encoding: 'utf8' });
  assert.notEqual(host.status, 0);
  const image = (await core.listNamespacedPod({ namespace: NS })).items[0]!.spec!.containers[0]!.image!;
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'crasher' }, spec: { containers: [{ name: 'main', image, args: ['no-such-role'] }] } } });
  const crashed = await waitFor('the crasher to be in CrashLoopBackOff', async () => {
    const s = (await core.readNamespacedPodStatus({ name: 'crasher', namespace: NS })).status?.containerStatuses?.[0];
    return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
  }, 60_000, 250);
  assert.equal(crashed.ready, false);
  assert.equal(crashed.lastState?.terminated?.exitCode, host.status, 'the exit code `loupe no-such-role` gives on this host');
  assert.equal(crashed.lastState?.terminated?.reason, 'Error');
  assert.match(crashed.state!.waiting!.message!, /^back-off 10s restarting failed container=main pod=crasher_loupe\(/);
  assert.match(runner!.output(NS, 'crasher', 'main'), /unknown command "no-such-role"/);
  const restarted = await waitFor('the crasher to be restarted after its back-off', async () => {
    const s = (await core.readNamespacedPodStatus({ name: 'crasher', namespace: NS })).status?.containerStatuses?.[0];
    return (s?.restartCount ?? 0) >= 1 && s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
  }, 60_000, 250);
  assert.match(restarted.state!.waiting!.message!, /^back-off 20s /, 'the back-off doubles');
  await core.deleteNamespacedPod({ name: 'crasher', namespace: NS });

  // A running pod deleted: its container stops and the Deployment's replacement becomes ready.
  const broker = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=query-broker' })).items[0]!;
  const id = broker.status!.containerStatuses![0]!.containerID!.slice('runc://'.length);
  await core.deleteNamespacedPod({ name: broker.metadata!.name!, namespace: NS });
  await waitFor(`runc to forget ${id}`, async () => spawnSync('runc', ['state', id]).status !== 0, 30_000, 250);
  await waitFor('a new query-broker pod to become ready', async () => {
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=query-broker' })).items;
    return pods.some((p) => p.metadata?.uid !== broker.metadata?.uid && p.status?.containerStatuses?.[0]?.ready);
  }, 60_000, 250);
});

test('an HTTP server on the host is traced by the PEM container and `loupe run px/http_data` through the query-broker pod returns its requests', async () => {
  const core = env!.kc.makeApiClient(CoreV1Api);
  const server = await startHttpServer();
  try {
    const secret = await core.readNamespacedSecret({ name: tlsSecretName('vizier'), namespace: NS });
    const tlsDir = join(work, 'client-tls');
    mkdirSync(tlsDir);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(tlsDir, f), Buffer.from(secret.data![f]!, 'base64'));
    const broker = await waitFor('a ready query-broker pod', async () => {
      const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=query-broker' })).items;
      return pods.find((p) => !p.metadata?.deletionTimestamp && p.status?.containerStatuses?.[0]?.ready);
    }, 60_000, 250);
    const REQUESTS = 5;
    const path = `/status/203?full-system=${process.pid}`;
    const rows = await waitFor('px/http_data to return every request to the host server', async () => {
      for (let i = 0; i < REQUESTS; i++) assert.equal((await fetch(`http://127.0.0.1:${server.port}${path}&i=${i}`)).status, 203);
      const r = spawnSync(join(root, 'bin', 'loupe'), ['run', 'px/http_data', '--arg', `path_filter=full-system=${process.pid}`, '--server', `${broker.status!.podIP}:${Ports.queryBroker}`, '--tls-dir', tlsDir, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const found = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((row) => row['_table'] !== undefined && String(row['req_path']).startsWith(path));
      return found.length >= REQUESTS ? found : undefined;
    }, 90_000, 2000).catch(async (err: Error) => assert.fail(`${err.message}\n${await describe()}`));
    assert.ok(rows.every((row) => Number(row['resp_status']) === 203 && row['req_method'] === 'GET'), JSON.stringify(rows[0]));
  } finally {
    server.child.kill('SIGTERM');
  }
});
