// The controller runtime (operator/runtime) against a real kube-apiserver: informers,
// the Manager with a toy controller, the write client, and leader election between two
// managers in one process.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import { KubeConfig, type KubernetesObject, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { waitFor } from './harness/cluster.js';
import { KubeClient } from '../operator/runtime/client.js';
import { needsApply } from '../operator/runtime/diff.js';
import { ApiError } from '../lib/kube/api-error.js';
import { Informer } from '../operator/runtime/informer.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { Manager, type ManagerOptions } from '../operator/runtime/manager.js';
import { resourcePath } from '../operator/runtime/paths.js';
import { KubeTransport } from '../operator/runtime/rest.js';
import type { Controller, ResourceType } from '../operator/runtime/types.js';

const CONFIGMAPS: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const SECRETS: ResourceType = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
const LEASES: ResourceType = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true };
const TOYS: ResourceType = { group: 'e2e.loupe.dev', version: 'v1', kind: 'Toy', plural: 'toys', namespaced: true };
const NAMESPACES: ResourceType = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

const TOY_LABEL = 'loupe-e2e/toy';
/** On every ConfigMap the tests create, so informers skip the controller-manager's kube-root-ca.crt. */
const TEST_LABEL = 'loupe-e2e/test';
const TEST_SELECTOR = `${TEST_LABEL}=true`;
const OWNED_LABEL = 'loupe-e2e/owned';

/** Log lines kept in memory so tests can assert on what the runtime did. */
function capturedLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const log = createLogger('e2e', { level: 'debug', destination: { write: (s: string) => void raw.push(s) } });
  return { log, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/**
 * A TCP relay to the API server that a test can cut (connections dropped, new ones refused),
 * to break watches and lease renewals, or freeze (connections held open, nothing forwarded),
 * so that requests hang as they do behind a partitioned network.
 */
class CuttableProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  private cut = false;
  private frozen = false;

  constructor(private readonly target: number) {
    this.server = net.createServer((client) => {
      if (this.cut) return client.destroy();
      this.track(client);
      const pair: { client: net.Socket; upstream?: net.Socket } = { client };
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      if (!this.frozen) this.connect(pair);
    });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }

  private connect(pair: { client: net.Socket; upstream?: net.Socket }): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    pair.upstream = upstream;
    this.track(upstream);
    pair.client.pipe(upstream).pipe(pair.client);
    pair.client.on('close', () => upstream.destroy());
    upstream.on('close', () => pair.client.destroy());
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  setCut(cut: boolean): void {
    this.cut = cut;
    if (cut) for (const s of this.sockets) s.destroy();
  }

  /** Stops forwarding in both directions; connections stay open and new ones are accepted and held. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.pairs) {
      if (!upstream) continue;
      client.unpipe(upstream);
      upstream.unpipe(client);
    }
  }

  /** Drops every connection that saw the freeze (their requests timed out or were aborted) and forwards again. */
  thaw(): void {
    for (const s of this.sockets) s.destroy();
    this.frozen = false;
  }

  async close(): Promise<void> {
    this.setCut(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A kubeconfig like `kc` whose server is the proxy on `port`. */
function viaProxy(kc: KubeConfig, port: number): KubeConfig {
  const cluster = kc.getCurrentCluster();
  assert.ok(cluster);
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}

function apiServerPort(env: KubeEnv): number {
  return Number(new URL(env.server).port);
}

/** The etcd client URL, read from the command line of the etcd the harness started. */
function etcdUrl(env: KubeEnv): string {
  const etcd = env.processes.find((p) => p.name === 'etcd');
  assert.ok(etcd, 'the harness started etcd');
  const args = readFileSync(`/proc/${etcd.pid}/cmdline`, 'utf8').split('\0');
  const flag = args.find((a) => a.startsWith('--listen-client-urls='));
  assert.ok(flag);
  return flag.slice('--listen-client-urls='.length).split(',')[0];
}

async function etcdCall(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 200, `etcd ${path}: ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Compacts etcd's history up to now, so watches from older resource versions get 410 Gone. */
async function compactEtcd(env: KubeEnv): Promise<void> {
  const url = etcdUrl(env);
  const range = await etcdCall(url, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  const revision = (range.header as { revision: string }).revision;
  await etcdCall(url, '/v3/kv/compaction', { revision, physical: true });
}

function configMap(ns: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { [TEST_LABEL]: 'true', ...labels } }, data };
}

async function createNamespace(t: KubeTransport, name: string): Promise<void> {
  await t.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function apiWrites(m: Manager): Promise<number> {
  const metric = m.metrics.getSingleMetric('loupe_api_writes_total');
  assert.ok(metric);
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

async function apiWritesOf(m: Manager, verb: string, kind: string): Promise<number> {
  const metric = m.metrics.getSingleMetric('loupe_api_writes_total');
  assert.ok(metric);
  const { values } = await metric.get();
  return values.find((v) => v.labels.verb === verb && v.labels.kind === kind)?.value ?? 0;
}

/** Primary: ConfigMaps labelled loupe-e2e/toy=true. Child: a Secret holding the same data. */
function toyController(): Controller {
  return {
    name: 'toy',
    for: CONFIGMAPS,
    owns: [SECRETS],
    ownedLabelSelector: `${OWNED_LABEL}=true`,
    async reconcile(key, ctx) {
      const cm = ctx.lister<V1ConfigMap>(CONFIGMAPS).get(key.namespace, key.name);
      if (!cm?.metadata?.uid || cm.metadata.labels?.[TOY_LABEL] !== 'true') return;
      const data = Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
      const desired: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: `${key.name}-secret`,
          namespace: key.namespace,
          labels: { [OWNED_LABEL]: 'true' },
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: key.name, uid: cm.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        type: 'Opaque',
        data,
      };
      const live = ctx.lister<V1Secret>(SECRETS).get(key.namespace, `${key.name}-secret`);
      if (!needsApply(desired, live)) return;
      await ctx.client.apply(desired);
      ctx.events.event(cm, 'Normal', 'SecretApplied', `applied Secret ${key.name}-secret`);
    },
  };
}

describe('controller runtime against a real API server', { timeout: 300_000 }, () => {
  let env: KubeEnv;
  let admin: KubeTransport;
  let client: KubeClient;

  before(
    async () => {
      // ConfigMap watches go straight to etcd, so compacting etcd makes old resource versions 410 Gone.
      env = await startKube({ extraArgs: { apiServer: ['--watch-cache-sizes=configmaps#0'] } });
      admin = new KubeTransport(env.kc);
      client = new KubeClient(admin);
    },
    { timeout: 120_000 },
  );

  after(async () => {
    admin?.close();
    await env?.stop();
  });

  describe('Informer', () => {
    /** Undone after each test, last first, whether it passed or not. */
    const cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const undo of cleanups.splice(0).reverse()) await undo();
    });

    function informer(transport: KubeTransport, opts: ConstructorParameters<typeof Informer>[2]): Informer<V1ConfigMap> {
      const i = new Informer<V1ConfigMap>(transport, CONFIGMAPS, { labelSelector: TEST_SELECTOR, resyncMs: 0, ...opts });
      cleanups.push(() => i.stop());
      return i;
    }

    async function proxied(): Promise<{ proxy: CuttableProxy; transport: KubeTransport }> {
      const proxy = new CuttableProxy(apiServerPort(env));
      const transport = new KubeTransport(viaProxy(env.kc, await proxy.start()));
      cleanups.push(() => proxy.close(), () => transport.close());
      return { proxy, transport };
    }

    it('delivers add, update and delete and keeps a cache the lister reads', async () => {
      const ns = 'informer-events';
      await createNamespace(admin, ns);
      const cms = informer(admin, { namespace: ns });
      const seen: string[] = [];
      cms.addHandlers({
        add: (o) => seen.push(`add ${o.metadata?.name}`),
        update: (a, b) => seen.push(`update ${b.metadata?.name} ${a.data?.v}->${b.data?.v}`),
        delete: (o) => seen.push(`delete ${o.metadata?.name}`),
      });
      await client.apply(configMap(ns, 'before', { v: '0' }, { tier: 'a' }));
      cms.start();
      await cms.waitForSync();
      assert.ok(cms.hasSynced());
      assert.deepEqual(seen, ['add before']);

      await client.apply(configMap(ns, 'one', { v: '1' }, { tier: 'b' }));
      await client.apply(configMap(ns, 'one', { v: '2' }, { tier: 'b' }));
      await client.delete(CONFIGMAPS, { namespace: ns, name: 'before' });
      await waitFor('watch events', async () => seen.length >= 4);
      assert.deepEqual(seen, ['add before', 'add one', 'update one 1->2', 'delete before']);

      assert.equal(cms.get(ns, 'one')?.data?.v, '2');
      assert.equal(cms.get(ns, 'one')?.kind, 'ConfigMap');
      assert.equal(cms.get(ns, 'before'), undefined);
      assert.deepEqual(cms.list(ns, { tier: 'b' }).map((o) => o.metadata?.name), ['one']);
      assert.deepEqual(cms.list(ns, { tier: 'a' }), []);
    });

    it('lists in pages and honours the label selector', async () => {
      const ns = 'informer-pages';
      await createNamespace(admin, ns);
      for (let i = 0; i < 7; i++) await client.apply(configMap(ns, `cm-${i}`, { i: String(i) }, { pick: i % 2 ? 'odd' : 'even' }));
      const all = informer(admin, { namespace: ns, pageSize: 2 });
      const odd = informer(admin, { namespace: ns, labelSelector: 'pick=odd', pageSize: 2 });
      all.start();
      odd.start();
      await Promise.all([all.waitForSync(), odd.waitForSync()]);
      assert.equal(all.list().length, 7);
      assert.deepEqual(odd.list().map((o) => o.metadata?.name).sort(), ['cm-1', 'cm-3', 'cm-5']);
    });

    it('resumes a broken watch from the last resource version without re-listing', async () => {
      const ns = 'informer-resume';
      await createNamespace(admin, ns);
      const { proxy, transport } = await proxied();
      const { log, lines } = capturedLogger();
      const cms = informer(transport, { namespace: ns, log });
      const seen: string[] = [];
      cms.addHandlers({ add: (o) => seen.push(`add ${o.metadata?.name}`), update: (_, o) => seen.push(`update ${o.metadata?.name}`) });
      cms.start();
      await cms.waitForSync();

      proxy.setCut(true);
      await client.apply(configMap(ns, 'while-cut', { v: '1' }));
      await waitFor('the informer to notice the broken watch', async () => lines().some((l) => l.msg === 'list/watch failed; retrying'));
      proxy.setCut(false);
      await waitFor('the change made while cut', async () => seen.includes('add while-cut'), 30_000);
      await client.apply(configMap(ns, 'after', { v: '1' }));
      await waitFor('a change after the resume', async () => seen.includes('add after'));
      assert.deepEqual(seen, ['add while-cut', 'add after']);
      assert.ok(!lines().some((l) => l.msg === 'resource version too old; re-listing'), 'no re-list');
    });

    it('re-lists on 410 Gone and delivers the differences as add, update and delete', async () => {
      const ns = 'informer-gone';
      await createNamespace(admin, ns);
      await client.apply(configMap(ns, 'kept', { v: '1' }));
      await client.apply(configMap(ns, 'changed', { v: '1' }));
      await client.apply(configMap(ns, 'deleted', { v: '1' }));
      const { proxy, transport } = await proxied();
      const { log, lines } = capturedLogger();
      const cms = informer(transport, { namespace: ns, log });
      cms.start();
      await cms.waitForSync();
      const seen: string[] = [];
      cms.addHandlers({
        update: (a, b) => seen.push(`update ${b.metadata?.name} ${a.data?.v}->${b.data?.v}`),
        delete: (o) => seen.push(`delete ${o.metadata?.name}`),
        add: (o) => seen.push(`add ${o.metadata?.name}`),
      });
      seen.length = 0; // drop the replay of the cache to the new handlers

      proxy.setCut(true);
      await client.apply(configMap(ns, 'changed', { v: '2' }));
      await client.delete(CONFIGMAPS, { namespace: ns, name: 'deleted' });
      await client.apply(configMap(ns, 'created', { v: '1' }));
      await compactEtcd(env);
      proxy.setCut(false);

      await waitFor('the re-list', async () => seen.length >= 3, 30_000);
      assert.deepEqual(seen.sort(), ['add created', 'delete deleted', 'update changed 1->2']);
      assert.ok(lines().some((l) => l.msg === 'resource version too old; re-listing'));
      assert.deepEqual(cms.list().map((o) => o.metadata?.name).sort(), ['changed', 'created', 'kept']);
    });

    it('re-delivers every cached object as an update on resync', async () => {
      const ns = 'informer-resync';
      await createNamespace(admin, ns);
      await client.apply(configMap(ns, 'a', { v: '1' }));
      const cms = informer(admin, { namespace: ns, resyncMs: 300 });
      const resynced: string[] = [];
      cms.addHandlers({ update: (a, b) => a === b && resynced.push(b.metadata?.name ?? '') });
      cms.start();
      await waitFor('two resyncs', async () => resynced.length >= 2, 5000);
      assert.deepEqual([...new Set(resynced)], ['a']);
    });
  });

  describe('KubeClient', () => {
    const ns = 'client';

    before(async () => {
      await createNamespace(admin, ns);
      await client.apply({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'toys.e2e.loupe.dev' },
        spec: {
          group: 'e2e.loupe.dev',
          scope: 'Namespaced',
          names: { kind: 'Toy', plural: 'toys', singular: 'toy', listKind: 'ToyList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } }, status: { type: 'object', properties: { phase: { type: 'string' } } } } } },
            },
          ],
        },
      } as KubernetesObject);
      await waitFor('the Toy CRD to be served', async () => {
        await admin.request({ method: 'GET', path: resourcePath(TOYS, ns) });
        return true;
      });
    });

    it('applies with the loupe-operator field manager, and patches status and metadata', async () => {
      const toy = await waitFor('a Toy to apply (discovery catches up)', () =>
        client.apply({ apiVersion: 'e2e.loupe.dev/v1', kind: 'Toy', metadata: { name: 't1', namespace: ns }, spec: { size: 3 } } as KubernetesObject),
      );
      assert.deepEqual(toy.metadata?.managedFields?.map((f) => f.manager), ['loupe-operator']);
      await client.patchStatus(TOYS, { namespace: ns, name: 't1' }, { phase: 'Ready' });
      await client.patchMetadata(TOYS, { namespace: ns, name: 't1' }, { annotations: { 'loupe.dev/note': 'x' } });
      const live = await client.get<KubernetesObject & { status?: { phase?: string }; spec?: { size?: number } }>(TOYS, { namespace: ns, name: 't1' });
      assert.equal(live?.status?.phase, 'Ready');
      assert.equal(live?.spec?.size, 3);
      assert.equal(live?.metadata?.annotations?.['loupe.dev/note'], 'x');
    });

    it('treats absent objects as undefined on get and as done on delete', async () => {
      assert.equal(await client.get(SECRETS, { namespace: ns, name: 'nope' }), undefined);
      await client.delete(SECRETS, { namespace: ns, name: 'nope' });
    });

    it('keeps the server message naming the invalid field', async () => {
      await assert.rejects(
        client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid', namespace: ns } } as KubernetesObject),
        (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.equal(err.status, 422);
          assert.equal(err.reason, 'Invalid');
          assert.match(err.serverMessage, /metadata\.name: Invalid value: "Not_Valid"/);
          assert.equal(err.object, 'ConfigMap client/Not_Valid');
          assert.ok(err.causes.some((c) => c.field === 'metadata.name'));
          return true;
        },
      );
    });
  });

  describe('Manager', () => {
    function manager(kc: KubeConfig, extra: Partial<ManagerOptions> = {}): Manager {
      return new Manager({
        kc,
        leaderElection: { enabled: false, namespace: 'loupe-system' },
        healthAddr: { host: '127.0.0.1', port: 0 },
        log: createLogger('e2e', { level: process.env.LOUPE_LOG_LEVEL ?? 'silent' }),
        ...extra,
      });
    }

    it('reconciles a primary, restores a deleted or edited child, and makes no writes while idle', async () => {
      const ns = 'manager-toy';
      await createNamespace(admin, ns);
      const m = manager(env.kc, { resyncMs: 1000 });
      m.register(toyController());
      try {
        await m.start();
        await waitFor('readyz 200', async () => (await httpGet(m.healthPort, '/readyz')).status === 200);
        await client.apply(configMap(ns, 'app', { password: 'hunter2' }, { [TOY_LABEL]: 'true' }));
        const secret = await waitFor('the child Secret', () => client.get<V1Secret>(SECRETS, { namespace: ns, name: 'app-secret' }), 10_000);
        assert.equal(Buffer.from(secret.data?.password ?? '', 'base64').toString(), 'hunter2');
        assert.equal(secret.metadata?.ownerReferences?.[0]?.kind, 'ConfigMap');

        await client.delete(SECRETS, { namespace: ns, name: 'app-secret' });
        await waitFor('the deleted Secret to come back', async () => {
          const s = await client.get<V1Secret>(SECRETS, { namespace: ns, name: 'app-secret' });
          return s && s.metadata?.uid !== secret.metadata?.uid;
        }, 10_000);

        await admin.request({
          method: 'PATCH',
          path: resourcePath(SECRETS, ns, 'app-secret'),
          body: { data: { password: Buffer.from('changed').toString('base64') } },
          contentType: 'application/merge-patch+json',
        });
        await waitFor('the edited Secret to be restored', async () => {
          const s = await client.get<V1Secret>(SECRETS, { namespace: ns, name: 'app-secret' });
          return s?.data?.password === Buffer.from('hunter2').toString('base64');
        }, 10_000);

        const events = (await admin.request({ method: 'GET', path: resourcePath({ group: '', version: 'v1', plural: 'events', namespaced: true }, ns) })) as { items: { reason: string; count: number; involvedObject: { name: string } }[] };
        const applied = events.items.find((e) => e.reason === 'SecretApplied');
        assert.equal(applied?.involvedObject.name, 'app');
        const applies = await waitFor('the repeated event counted on one Event', async () => {
          const again = (await admin.request({ method: 'GET', path: resourcePath({ group: '', version: 'v1', plural: 'events', namespaced: true }, ns) })) as typeof events;
          const mine = again.items.filter((e) => e.reason === 'SecretApplied');
          const writes = await apiWritesOf(m, 'apply', 'Secret');
          return mine.length === 1 && writes >= 3 && mine[0].count === writes && writes;
        });

        let reconciles = 0;
        const off = m.onReconciled((o) => o.key === `${ns}/app` && reconciles++);
        const before = await apiWrites(m);
        await new Promise((r) => setTimeout(r, 3500));
        off();
        assert.ok(reconciles >= 2, `resync reconciled the primary (${reconciles} times)`);
        assert.equal(await apiWrites(m), before, 'no writes while idle');

        const metrics = await httpGet(m.healthPort, '/metrics');
        assert.match(metrics.body, /loupe_reconcile_total\{controller="toy",result="success"\} \d+/);
        assert.match(metrics.body, new RegExp(`loupe_api_writes_total\\{verb="apply",kind="Secret"\\} ${applies}\n`));
        assert.match(metrics.body, /loupe_leader 1/);
        assert.match(metrics.body, /process_cpu_seconds_total/);
        assert.equal((await httpGet(m.healthPort, '/healthz')).status, 200);
      } finally {
        await m.stop();
      }
    });

    it('retries a failing reconcile with backoff and reports the error', async () => {
      const ns = 'manager-retry';
      await createNamespace(admin, ns);
      await client.apply(configMap(ns, 'flaky', {}, { [TOY_LABEL]: 'true' }));
      let calls = 0;
      const m = manager(env.kc, { rateLimiter: { baseDelayMs: 50 } });
      m.register({
        name: 'flaky',
        for: CONFIGMAPS,
        owns: [],
        async reconcile(key) {
          if (key.namespace !== ns || key.name !== 'flaky') return;
          calls++;
          if (calls < 3) throw new Error(`attempt ${calls} fails`);
        },
      });
      const outcomes: string[] = [];
      m.onReconciled((o) => o.key === `${ns}/flaky` && outcomes.push(o.result));
      try {
        await m.start();
        await waitFor('a successful reconcile after two failures', async () => outcomes.includes('success'), 10_000);
        assert.deepEqual(outcomes.slice(0, 3), ['error', 'error', 'success']);
        const metrics = await httpGet(m.healthPort, '/metrics');
        assert.match(metrics.body, /loupe_reconcile_errors_total\{controller="flaky"\} 2/);
        assert.match(metrics.body, /loupe_workqueue_retries_total\{controller="flaky"\} 2/);
      } finally {
        await m.stop();
      }
    });
  });

  describe('leader election', () => {
    const leaseNs = 'loupe-leader-e2e';
    const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

    before(() => createNamespace(admin, leaseNs));

    function candidate(kc: KubeConfig, identity: string): { m: Manager; reconciled: string[] } {
      const m = new Manager({
        kc,
        identity,
        leaderElection: { enabled: true, namespace: leaseNs, leaseName: 'toy-leader', ...timing },
        healthAddr: { host: '127.0.0.1', port: 0 },
        log: createLogger('e2e', { level: process.env.LOUPE_LOG_LEVEL ?? 'silent' }),
        shutdownTimeoutMs: 5000,
      });
      m.register(toyController());
      const reconciled: string[] = [];
      m.onReconciled((o) => reconciled.push(o.key));
      return { m, reconciled };
    }

    async function lease(): Promise<{ holderIdentity?: string; leaseTransitions?: number } | undefined> {
      const l = (await new KubeClient(admin).get(LEASES, { namespace: leaseNs, name: 'toy-leader' })) as { spec?: { holderIdentity?: string; leaseTransitions?: number } } | undefined;
      return l?.spec;
    }

    it('elects exactly one of two managers and hands over on stop', async () => {
      const a = candidate(env.kc, 'manager-a');
      const b = candidate(env.kc, 'manager-b');
      try {
        await Promise.all([a.m.start(), b.m.start()]);
        const leader = await waitFor('a leader', async () => (a.m.isLeader || b.m.isLeader) && (a.m.isLeader ? a : b), 10_000);
        const standby = leader === a ? b : a;
        await new Promise((r) => setTimeout(r, 1500));
        assert.ok(leader.m.isLeader && !standby.m.isLeader, 'exactly one leader');
        assert.equal((await lease())?.holderIdentity, leader.m.identity);
        assert.equal((await httpGet(standby.m.healthPort, '/readyz')).status, 200, 'a standby is ready');
        await waitFor('the leader ready', async () => (await httpGet(leader.m.healthPort, '/readyz')).status === 200);
        await waitFor('the leader reconciles', async () => leader.reconciled.length > 0);
        assert.equal(standby.reconciled.length, 0, 'the standby reconciles nothing');

        const stoppedAt = Date.now();
        await leader.m.stop();
        await waitFor('the standby to take over', async () => standby.m.isLeader, 5000);
        const takeoverMs = Date.now() - stoppedAt;
        assert.ok(takeoverMs < timing.leaseDurationMs, `a released lease is taken at once (${takeoverMs} ms)`);
        assert.equal((await lease())?.holderIdentity, standby.m.identity);
        await waitFor('the new leader reconciles', async () => standby.reconciled.length > 0, 10_000);
      } finally {
        await Promise.all([a.m.stop(), b.m.stop()]);
      }
    });

    it('moves leadership when the leader cannot renew, and the old leader stops its controllers', async () => {
      const proxy = new CuttableProxy(apiServerPort(env));
      const a = candidate(viaProxy(env.kc, await proxy.start()), 'cut-off');
      const b = candidate(env.kc, 'healthy');
      try {
        await a.m.start();
        await waitFor('cut-off to lead', async () => a.m.isLeader, 10_000);
        const transitions = (await lease())?.leaseTransitions ?? 0;
        await b.m.start();
        await new Promise((r) => setTimeout(r, 1000));
        assert.ok(!b.m.isLeader);

        const cutAt = Date.now();
        proxy.setCut(true);
        await waitFor('the old leader to stop leading', async () => !a.m.isLeader, 10_000);
        const stoppedAfter = Date.now() - cutAt;
        await waitFor('the healthy manager to take over', async () => b.m.isLeader, 10_000);
        const takeoverAfter = Date.now() - cutAt;
        assert.ok(stoppedAfter < timing.leaseDurationMs + timing.retryPeriodMs, `the old leader gave up after ${stoppedAfter} ms`);
        assert.ok(takeoverAfter < 2 * timing.leaseDurationMs, `took over after ${takeoverAfter} ms`);
        const now = await lease();
        assert.equal(now?.holderIdentity, 'healthy');
        assert.equal(now?.leaseTransitions, transitions + 1);
        const countA = a.reconciled.length;

        proxy.setCut(false);
        await new Promise((r) => setTimeout(r, 2000));
        assert.ok(!a.m.isLeader && b.m.isLeader, 'the old leader came back as a standby');
        assert.equal(a.reconciled.length, countA, 'the old leader reconciles nothing more');
      } finally {
        await Promise.all([a.m.stop(), b.m.stop()]);
        await proxy.close();
      }
    });
    it('reports a missing lease namespace instead of creating it, and leads once someone creates it', async () => {
      const missing = 'loupe-leader-missing';
      const { log, lines } = capturedLogger();
      const m = new Manager({
        kc: env.kc,
        identity: 'early',
        leaderElection: { enabled: true, namespace: missing, leaseName: 'toy-leader', ...timing },
        healthAddr: { host: '127.0.0.1', port: 0 },
        log,
      });
      try {
        await m.start();
        const reported = await waitFor('the missing namespace reported', async () => lines().find((l) => String(l.msg).includes(`namespace "${missing}" does not exist`)), 10_000);
        assert.match(String(reported.msg), /create it \(kubectl create namespace loupe-leader-missing\) or give the operator an existing one with --lease-namespace/);
        assert.equal(reported.level, 'error');
        assert.ok(!m.isLeader);
        assert.equal(await client.get(NAMESPACES, { namespace: '', name: missing }), undefined, 'even with the rights to, it creates no namespace');
        await createNamespace(admin, missing);
        await waitFor('it leads once the namespace exists', async () => m.isLeader, 10_000);
      } finally {
        await m.stop();
      }
    });

    it('aborts a reconcile blocked in a request when leadership is lost, then stands by and leads again once it can renew', async () => {
      const ns = 'leader-abort';
      await createNamespace(admin, ns);
      const proxy = new CuttableProxy(apiServerPort(env));
      const kc = viaProxy(env.kc, await proxy.start());
      let entered!: () => void;
      const blocked = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const requestErrors: unknown[] = [];
      let calls = 0;
      const m = new Manager({
        kc,
        identity: 'blocked',
        leaderElection: { enabled: true, namespace: leaseNs, leaseName: 'abort-leader', ...timing },
        healthAddr: { host: '127.0.0.1', port: 0 },
        log: createLogger('e2e', { level: process.env.LOUPE_LOG_LEVEL ?? 'silent' }),
        // Longer than the transport's own 30 s timeout: only the abort can end the term sooner.
        shutdownTimeoutMs: 60_000,
      });
      m.register({
        name: 'blocker',
        for: CONFIGMAPS,
        owns: [],
        async reconcile(key, ctx) {
          // Only the test's ConfigMap: the controller-manager adds kube-root-ca.crt to every namespace.
          if (key.namespace !== ns || key.name !== 'cm') return;
          if (++calls === 1) {
            entered();
            await gate;
          }
          try {
            await ctx.client.get(SECRETS, { namespace: ns, name: 'anything' });
          } catch (err) {
            requestErrors.push(err);
            throw err;
          }
        },
      });
      const seen: string[] = [];
      m.onLeadershipChange((leading) => seen.push(leading ? 'leading' : 'stopped leading'));
      m.onReconciled((o) => o.key === `${ns}/cm` && seen.push(`reconcile ${o.result}`));
      try {
        await m.start();
        await waitFor('it leads', async () => m.isLeader, 10_000);
        await client.apply(configMap(ns, 'cm', { v: '1' }));
        await blocked;
        proxy.freeze();
        release(); // the reconcile now sends its GET into the frozen relay

        await waitFor('leadership lost', async () => seen.includes('stopped leading'), 20_000);
        assert.equal(requestErrors.length, 1);
        assert.equal((requestErrors[0] as Error).name, 'AbortError', `the request was aborted, not timed out: ${String(requestErrors[0])}`);
        assert.deepEqual(seen, ['leading', 'reconcile aborted', 'stopped leading'], 'the term ended once its reconcile had unwound');
        const metrics = (await httpGet(m.healthPort, '/metrics')).body;
        assert.match(metrics, /loupe_reconcile_total\{controller="blocker",result="aborted"\} 1/);
        assert.doesNotMatch(metrics, /loupe_reconcile_errors_total\{controller="blocker"\} [1-9]/, 'an aborted reconcile is not an error');

        proxy.thaw();
        await waitFor('leading again in the same process', async () => m.isLeader, 20_000);
        await waitFor('the key reconciled in the new term', async () => seen.includes('reconcile success'), 10_000);
        assert.equal(seen.filter((x) => x === 'leading').length, 2);
      } finally {
        release();
        await m.stop();
        await proxy.close();
      }
    });
  });
});
