// Operator benchmark on a real API server (no controller-manager, so only the operator writes).
// Each number is printed next to a baseline measured in the same run on the same server:
// a plain client server-side-applying exactly the objects the operator renders.
//   1. Vizier create -> all children present (median of N), vs applying the children directly.
//   2. 200 Viziers in 200 namespaces: time to converge, vs applying all their children directly.
//   3. Restarted operator re-reconciling every Vizier with nothing to change: reconciles/s, writes.
//   4. Operator RSS idle vs with 200 Viziers.
import { readFileSync } from 'node:fs';
import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { KUBE_VERSION, startKube } from '../harness/kube.js';
import { api, installCRDs, createNamespace, waitFor, freePort } from '../harness/cluster.js';
import { spawnOperator, type OperatorProcess } from '../harness/operator.js';
import { renderVizier } from '../../controllers/vizier/render.js';
import { withDefaults } from '../../controllers/vizier/kind.js';
import { issueTls } from '../../controllers/common/tls.js';
import { tlsDnsNames } from '../../controllers/vizier/components.js';
import type { Vizier } from '../../crds/kinds/vizier.js';
import type { KubeTransport } from '../../operator/runtime/rest.js';
import { objectPath } from '../../operator/runtime/paths.js';
import { typeOf } from '../../controllers/common/resources.js';

const LATENCY_RUNS = Number(process.env['BENCH_LATENCY_RUNS'] ?? 10);
const FLEET = Number(process.env['BENCH_VIZIERS'] ?? 200);
const CONCURRENCY = 4; // the operator's default workers

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function metric(port: number, name: string, filter = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(filter) && !l.startsWith('#'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

function vizierBody(ns: string): Vizier {
  return { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'vz', namespace: ns }, spec: {} as Vizier['spec'] };
}

const pathOf = (o: KubernetesObject) => objectPath(typeOf(o), { namespace: o.metadata!.namespace ?? '', name: o.metadata!.name! });

/** The baseline: what the operator writes for one Vizier, applied by a plain loop. */
async function applyDirectly(t: KubeTransport, ns: string, tlsNs = ns): Promise<void> {
  const vz = withDefaults({ ...vizierBody(ns), metadata: { name: 'vz', namespace: ns, uid: '00000000-0000-0000-0000-000000000000' } });
  const tls = await issueTls(undefined, tlsDnsNames('vz', tlsNs), new Date(), true);
  for (const o of renderVizier({ vizier: vz, tls })) {
    const obj = o.kind!.startsWith('Cluster') ? { ...o, metadata: { ...o.metadata, name: `${o.metadata!.name}-baseline` } } : { ...o, metadata: { ...o.metadata, ownerReferences: undefined } };
    await t.request({ method: 'PATCH', path: pathOf(obj), query: { fieldManager: 'bench-baseline', force: true }, contentType: 'application/apply-patch+yaml', body: obj });
  }
}

/** Resolves when a DaemonSet (the last child rendered) appears in the namespace. */
function daemonSetAppears(t: KubeTransport, ns: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let req: { abort(): void } | undefined;
    let done = false;
    void new Watch(t.kc)
      .watch(`/apis/apps/v1/namespaces/${ns}/daemonsets`, {}, () => {
        done = true;
        req?.abort();
        resolve();
      }, (err) => (err && !done ? reject(err as Error) : undefined))
      .then((r) => {
        req = r;
        if (done) r.abort();
      });
  });
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

async function main(): Promise<void> {
  const env = await startKube({ controllerManager: false });
  const t = api(env.kc);
  let op: OperatorProcess | undefined;
  try {
    await installCRDs(env.kc);
    await createNamespace(env.kc, 'loupe-system');
    const port = await freePort();
    op = spawnOperator(env.kubeconfigPath, env.dir, 'bench', ['--leader-elect', 'false', '--health-addr', `127.0.0.1:${port}`]);
    await waitFor('operator ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = rssMiB(op.child.pid!);

    // 1. create -> children latency
    const opLat: number[] = [];
    const baseLat: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const ns = `lat-${i}`;
      await createNamespace(env.kc, ns);
      const seen = daemonSetAppears(t, ns);
      await new Promise((r) => setTimeout(r, 100)); // the watch is open
      const start = performance.now();
      await t.request({ method: 'POST', path: `/apis/loupe.dev/v1alpha1/namespaces/${ns}/viziers`, body: vizierBody(ns) });
      await seen;
      opLat.push(performance.now() - start);

      const bns = `base-${i}`;
      await createNamespace(env.kc, bns);
      const bstart = performance.now();
      await applyDirectly(t, bns);
      baseLat.push(performance.now() - bstart);
    }

    // 2. 200 Viziers: convergence throughput
    const fleet = Array.from({ length: FLEET }, (_, i) => `fleet-${i}`);
    for (const ns of fleet) await createNamespace(env.kc, ns);
    const converged = new Set<string>();
    const allSeen = new Promise<void>((resolve) => {
      void new Watch(env.kc).watch('/apis/apps/v1/daemonsets', { labelSelector: 'app.kubernetes.io/name=vizier' }, (_type, obj: KubernetesObject) => {
        if (obj.metadata?.namespace?.startsWith('fleet-')) converged.add(obj.metadata.namespace);
        if (converged.size === FLEET) resolve();
      }, () => undefined);
    });
    await new Promise((r) => setTimeout(r, 200));
    const fstart = performance.now();
    await pool(fleet, 8, async (ns) => {
      await t.request({ method: 'POST', path: `/apis/loupe.dev/v1alpha1/namespaces/${ns}/viziers`, body: vizierBody(ns) });
    });
    await allSeen;
    const fleetMs = performance.now() - fstart;
    await new Promise((r) => setTimeout(r, 2000));
    const writesPerVizier = (await metric(port, 'loupe_api_writes_total')) / (FLEET + LATENCY_RUNS);
    const writeKinds = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n').filter((l) => l.startsWith('loupe_api_writes_total')).join('\n');
    const reconciles = await metric(port, 'loupe_reconcile_total', 'controller="vizier"');
    const errors = await metric(port, 'loupe_reconcile_errors_total');
    const loadedRss = rssMiB(op.child.pid!);

    const bfleet = Array.from({ length: FLEET }, (_, i) => `bfleet-${i}`);
    for (const ns of bfleet) await createNamespace(env.kc, ns);
    const bstart = performance.now();
    await pool(bfleet, CONCURRENCY, (ns) => applyDirectly(t, ns));
    const baseFleetMs = performance.now() - bstart;

    // 3. restart: every Vizier re-reconciled, nothing to write
    op.child.kill('SIGTERM');
    await op.exited;
    const port2 = await freePort();
    const total = FLEET + LATENCY_RUNS;
    const rstart = performance.now();
    op = spawnOperator(env.kubeconfigPath, env.dir, 'bench-restart', ['--leader-elect', 'false', '--health-addr', `127.0.0.1:${port2}`]);
    await waitFor(`${total} reconciles after restart`, async () => (await metric(port2, 'loupe_reconcile_total', 'controller="vizier"').catch(() => 0)) >= total, 120_000, 50);
    const resyncMs = performance.now() - rstart;
    const resyncWrites = await metric(port2, 'loupe_api_writes_total');
    const restartRss = rssMiB(op.child.pid!);

    const objs = renderVizier({ vizier: withDefaults({ ...vizierBody('x'), metadata: { name: 'vz', namespace: 'x', uid: 'u' } }), tls: await issueTls(undefined, ['x'], new Date(), true) }).length;
    const rows: [string, string, string, string][] = [
      ['create -> all children present (median ms)', median(opLat).toFixed(0), median(baseLat).toFixed(0), (median(opLat) / median(baseLat)).toFixed(2)],
      [`${FLEET} Viziers converged (s)`, (fleetMs / 1000).toFixed(1), (baseFleetMs / 1000).toFixed(1), (fleetMs / baseFleetMs).toFixed(2)],
      [`  = Viziers/s (${objs} objects each)`, (FLEET / (fleetMs / 1000)).toFixed(1), (FLEET / (baseFleetMs / 1000)).toFixed(1), (baseFleetMs / fleetMs).toFixed(2)],
      ['  API writes per Vizier (19 children + finalizer + status)', writesPerVizier.toFixed(1), String(objs), (writesPerVizier / objs).toFixed(2)],
      [`  reconciles / reconcile errors per Vizier`, `${(reconciles / (FLEET + LATENCY_RUNS)).toFixed(1)} / ${(errors / (FLEET + LATENCY_RUNS)).toFixed(2)}`, '-', '-'],
      [`restart: ${total} no-op reconciles (s, incl. start + list)`, (resyncMs / 1000).toFixed(2), '-', '-'],
      ['  API writes during that resync', String(resyncWrites), '0', '-'],
      [`operator RSS MiB (idle -> ${total} Viziers)`, loadedRss.toFixed(0), idleRss.toFixed(0), (loadedRss / idleRss).toFixed(2)],
      [`operator RSS MiB after restart with ${total} Viziers`, restartRss.toFixed(0), idleRss.toFixed(0), (restartRss / idleRss).toFixed(2)],
    ];
    console.log(`\nLoupe operator benchmark (kube-apiserver ${KUBE_VERSION} on 127.0.0.1, ${LATENCY_RUNS} latency runs, ${FLEET} Viziers)`);
    console.log('baseline = a plain client server-side-applying the same rendered objects, same server, same run\n');
    console.log(`${'measure'.padEnd(52)} ${'operator'.padStart(10)} ${'baseline'.padStart(10)} ${'ratio'.padStart(7)}`);
    for (const [m, a, b, r] of rows) console.log(`${m.padEnd(52)} ${a.padStart(10)} ${b.padStart(10)} ${r.padStart(7)}`);
    console.log(`\noperator writes by verb and kind:\n${writeKinds}`);
    console.log(`\nlatency samples (ms): operator ${opLat.map((x) => x.toFixed(0)).join(' ')}; baseline ${baseLat.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    if (op && op.child.exitCode === null) {
      op.child.kill('SIGTERM');
      await op.exited;
    }
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
