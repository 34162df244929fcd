// `loupe metadata` as a process against a real kube-apiserver, a real NATS and a real etcd: an
// agent's cluster view (the one PEM and Kelvin build, dataplane/roles/kube.ts) resolves pods and
// services created after start through it; falls back to its own watch of the API server when
// the service stops and switches back when it returns; the agent registry survives a restart on
// files and on etcd (and, as a check that the test can fail, not in memory); agents and service
// of protocol versions one apart talk, two apart are refused; bad storage settings exit 2 naming
// the variable.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { connect, type NatsConnection } from 'nats';
import { repoRoot } from '../crds/generate.js';
import { ProtocolVersionError } from '../dataplane/query/protocol-version.js';
import { SUBJECTS } from '../dataplane/query/agent-registry.js';
import { MetadataServiceClient } from '../dataplane/metadata-service/client.js';
import { MetadataServer } from '../dataplane/metadata-service/server.js';
import { encodeMessage } from '../dataplane/metadata-service/wire.js';
import { apiSources, startClusterMetadata, type ClusterMetadata } from '../dataplane/roles/kube.js';
import { freePort, waitFor } from './harness/cluster.js';
import { kubeCacheDir, startKube, type KubeEnv } from './harness/kube.js';
import { startLoupe, type LoupeProcess } from './harness/loupe-process.js';
import { startNats, type NatsServer } from './harness/nats.js';

const NS = 'metadata-service-e2e';
const CLI = join(repoRoot(), 'dist', 'bin', 'cli.js');

let kube: KubeEnv;
let natsServer: NatsServer;
let nc: NatsConnection;
let core: CoreV1Api;
let scratch: string;
const started: LoupeProcess[] = [];

/** Log lines of the in-process agent view, to check what it says when it switches. */
const lines: string[] = [];
const log = {
  info: (_o: object, msg?: string) => void lines.push(`info ${msg}`),
  warn: (_o: object, msg?: string) => void lines.push(`warn ${msg}`),
  error: (_o: object, msg?: string) => void lines.push(`error ${msg}`),
};

async function startMetadata(env: NodeJS.ProcessEnv, args: string[] = []): Promise<LoupeProcess> {
  const p = await startLoupe(['metadata', '--kubeconfig', kube.kubeconfigPath, '--nats', natsServer.url, ...args], { name: `loupe metadata ${args.join(' ')}`, env });
  started.push(p);
  await waitFor(`${p.name} ready`, async () => (await fetch(`http://${p.health}/readyz`)).ok, 30_000, 100);
  return p;
}

async function createPod(name: string): Promise<void> {
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name, labels: { app: name } }, spec: { nodeName: 'node-1', automountServiceAccountToken: false, containers: [{ name: 'c', image: 'registry.example/app:1' }] } } });
}

/** One heartbeat as an agent sends it (dataplane/query/agent-registry.ts), then silence. */
function heartbeat(id: string, node: string): void {
  nc.publish(SUBJECTS.heartbeat, encodeMessage({ id, kind: 'pem', address: `${node}:50300`, hostname: node, tables: [], protocolVersion: 1 }));
}

async function agentIds(): Promise<string[]> {
  return (await new MetadataServiceClient(nc).agents()).map((a) => a.id);
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'loupe-metadata-e2e-'));
  [kube, natsServer] = await Promise.all([startKube({ controllerManager: false }), startNats()]);
  nc = await connect({ servers: natsServer.url });
  core = kube.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  // No controller-manager: the ServiceAccount admission needs the namespace's default account made by hand.
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
});

after(async () => {
  for (const p of started) await p.stop();
  await nc?.close();
  await natsServer?.stop();
  await kube?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('loupe metadata serving agents', () => {
  let view: ClusterMetadata;
  let metadata: LoupeProcess;
  const onFiles = () => startMetadata({ LOUPE_METADATA_STORAGE: 'persistent' }, ['--data-dir', join(scratch, 'files')]);

  after(async () => {
    view?.stop();
    // Only one service may answer at a time: the next tests start their own.
    await metadata?.stop();
  });

  it('an agent view resolves pods and services created after start, through the metadata service', async () => {
    metadata = await onFiles();
    view = await startClusterMetadata({ kind: 'file', path: kube.kubeconfigPath }, { log, nats: nc });
    await waitFor('agent view synced', async () => view.metadata.synced, 30_000);
    assert.equal(view.via().via, 'metadata-service', JSON.stringify(view.via()));
    await createPod('web-1');
    const svc = await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web-1' }, ports: [{ port: 80 }] } } });
    const pod = await waitFor('web-1 in the agent view', async () => view.metadata.podByName(`${NS}/web-1`), 20_000);
    assert.equal(pod.nodeName, 'node-1');
    const service = await waitFor('service web in the agent view', async () => view.metadata.serviceByName(`${NS}/web`), 20_000);
    assert.equal(service.clusterIp, svc.spec!.clusterIP);
    assert.equal(view.via().via, 'metadata-service');
    const metrics = await (await fetch(`http://${metadata.health}/metrics`)).text();
    assert.match(metrics, /loupe_metadata_objects\{resource="pods",role="metadata"\} [1-9]/);
  });

  it('falls back to its own watch when the service stops, says so, and switches back when it returns', async () => {
    heartbeat('pem-node-7-1-abc', 'node-7');
    await waitFor('heartbeat recorded', async () => (await agentIds()).includes('pem-node-7-1-abc'), 10_000);
    await metadata.stop();
    await waitFor('fallback to the Kubernetes API', async () => view.via().via === 'kubernetes-api', 30_000);
    assert.ok(lines.some((l) => l.startsWith('warn metadata service not answering; watching the Kubernetes API directly')), lines.join('\n'));
    await createPod('web-2');
    await waitFor('web-2 through the fallback watch', async () => view.metadata.podByName(`${NS}/web-2`), 20_000);

    metadata = await onFiles();
    await waitFor('back on the metadata service', async () => view.via().via === 'metadata-service', 30_000);
    assert.ok(lines.some((l) => l.startsWith('info metadata service answers again')), lines.join('\n'));
    await createPod('web-3');
    await waitFor('web-3 through the restarted service', async () => view.metadata.podByName(`${NS}/web-3`), 20_000);
    assert.ok(view.metadata.podByName(`${NS}/web-1`) && view.metadata.podByName(`${NS}/web-2`), 'earlier pods are still known');
    assert.equal(view.via().via, 'metadata-service');
  });

  it('the restarted service on the same files still has the agent registry', async () => {
    const agents = await new MetadataServiceClient(nc).agents();
    const a = agents.find((x) => x.id === 'pem-node-7-1-abc');
    assert.ok(a, `registry after restart: ${JSON.stringify(agents)}`);
    assert.equal(a.node, 'node-7');
  });
});

describe('loupe metadata storage', () => {
  let etcd: ChildProcess;
  let etcdUrl: string;

  before(async () => {
    const [client, peer] = [await freePort(), await freePort()];
    etcdUrl = `http://127.0.0.1:${client}`;
    const logFd = openSync(join(scratch, 'etcd.log'), 'a');
    etcd = spawn(join(kubeCacheDir(), 'etcd'), [
      '--name', 'md', '--data-dir', join(scratch, 'etcd'), '--unsafe-no-fsync',
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `md=http://127.0.0.1:${peer}`,
    ], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    await waitFor('etcd', async () => (await fetch(`${etcdUrl}/health`).catch(() => undefined))?.ok, 20_000, 100);
  });
  after(async () => {
    if (etcd.exitCode === null) {
      const gone = new Promise((r) => etcd.once('exit', r));
      process.kill(etcd.pid!, 'SIGTERM');
      await gone;
    }
  });

  it('etcd: the registry survives a restart of the service', async () => {
    const env = { LOUPE_METADATA_STORAGE: 'etcd', LOUPE_ETCD_ENDPOINTS: etcdUrl };
    let p = await startMetadata(env);
    heartbeat('pem-node-8-1-abc', 'node-8');
    await waitFor('heartbeat recorded', async () => (await agentIds()).includes('pem-node-8-1-abc'), 10_000);
    await p.stop();
    p = await startMetadata(env);
    assert.ok((await agentIds()).includes('pem-node-8-1-abc'));
    await p.stop();
  });

  it('memory: the registry is gone after a restart', async () => {
    let p = await startMetadata({ LOUPE_METADATA_STORAGE: 'memory' });
    heartbeat('pem-node-9-1-abc', 'node-9');
    await waitFor('heartbeat recorded', async () => (await agentIds()).includes('pem-node-9-1-abc'), 10_000);
    await p.stop();
    p = await startMetadata({ LOUPE_METADATA_STORAGE: 'memory' });
    assert.ok(!(await agentIds()).includes('pem-node-9-1-abc'));
    await p.stop();
  });

  it('bad storage settings exit 2 naming the variable; an unreachable etcd exits 1 naming it', () => {
    const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [CLI, 'metadata', '--kubeconfig', kube.kubeconfigPath, '--nats', natsServer.url], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const noEndpoints = run({ LOUPE_METADATA_STORAGE: 'etcd' });
    assert.equal(noEndpoints.status, 2, noEndpoints.stderr);
    assert.match(noEndpoints.stderr, /^loupe metadata: storage etcd \(\$LOUPE_METADATA_STORAGE\) needs \$LOUPE_ETCD_ENDPOINTS or --etcd-endpoints/);
    const badValue = run({ LOUPE_METADATA_STORAGE: 'disk' });
    assert.equal(badValue.status, 2, badValue.stderr);
    assert.match(badValue.stderr, /^loupe metadata: \$LOUPE_METADATA_STORAGE "disk"/);
    const unreachable = run({ LOUPE_METADATA_STORAGE: 'etcd', LOUPE_ETCD_ENDPOINTS: 'http://127.0.0.1:1' });
    assert.equal(unreachable.status, 1, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach etcd at http:\/\/127\.0\.0\.1:1 \(\$LOUPE_ETCD_ENDPOINTS\)/);
  });
});

describe('metadata protocol versions over NATS', () => {
  it('a service one version ahead or behind answers; two apart is refused with both versions', async () => {
    const server = new MetadataServer(nc, apiSources(kube.kc), { log: { ...log, debug: () => undefined }, protocol: { version: 2 } });
    server.start();
    try {
      await waitFor('in-process service answering', async () => server.serving, 20_000);
      for (const version of [1, 3]) {
        const client = new MetadataServiceClient(nc, { protocol: { version } });
        const page = await client.source('pods').list(0, undefined, new AbortController().signal);
        assert.ok(page.items.some((p) => (p as { metadata: { name: string } }).metadata.name === 'web-1'), `client v${version}`);
        assert.equal(client.speaking, Math.min(version, 2));
      }
      const tooNew = new MetadataServiceClient(nc, { protocol: { version: 4 } });
      await assert.rejects(tooNew.source('pods').list(0, undefined, new AbortController().signal), (err: unknown) => {
        assert.ok(err instanceof ProtocolVersionError, String(err));
        assert.match(err.message, /speaks protocol version 2; this agent supports protocol versions 3 and 4/);
        return true;
      });
    } finally {
      server.stop();
    }
  });
});
