// `loupe pem --kubeconfig` and `loupe kelvin --kubeconfig` against the harness's real
// kube-apiserver, with a real nats-server and `loupe query-broker`: a real local process is put
// into a cgroup named like a containerd container (cri-containerd-<id>.scope, in the cgroup v1
// pids hierarchy, or cgroup v2), its pod's status lists that container id, so its
// process_stats rows resolve on the PEM (df.ctx) to the pod, namespace and service that exist
// only in the API server; a map after the groupby runs on Kelvin and resolves pod names through
// Kelvin's own cluster view. A PEM whose credentials may not list pods stops at start, naming
// the API server and the missing permission. Needs root (cgroups), no eBPF (process_stats only).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { waitFor } from './harness/cluster.js';
import { startKube, type KubeEnv } from './harness/kube.js';
import { kubeTime } from './harness/kubelet.js';
import { query, startLoupe as startLoupeProcess, type LoupeProcess } from './harness/loupe-process.js';
import { startNats, type NatsServer } from './harness/nats.js';

const NS = 'pem-kube-e2e';
const NODE = 'e2e-node-1';
const CID = 'c0ffee'.repeat(10) + 'c0de';

/** A writable cgroup directory for a containerd-style scope: cgroup v2, else the v1 pids hierarchy. */
function containerCgroupParent(): string | undefined {
  for (const dir of ['/sys/fs/cgroup', '/sys/fs/cgroup/pids']) {
    if (existsSync(join(dir, 'cgroup.procs'))) return dir;
  }
  return undefined;
}

const children: ChildProcess[] = [];
const cleanups: (() => void | Promise<void>)[] = [];
let kube: KubeEnv;
let nats: NatsServer;
let core: CoreV1Api;

/** `loupe ARGS` outside any pod and without TLS, killed in `after` if it still runs. */
async function startLoupe(args: string[]): Promise<LoupeProcess> {
  const role = await startLoupeProcess(args, { env: { KUBERNETES_SERVICE_HOST: '', LOUPE_TLS_DIR: '' } });
  children.push(role.child);
  return role;
}

let pid: number;
let pem: LoupeProcess;
let kelvin: LoupeProcess;
let broker: LoupeProcess;

before(async () => {
  const parent = containerCgroupParent();
  assert.ok(parent, 'a writable cgroup hierarchy (run as root)');
  kube = await startKube({ controllerManager: false });
  cleanups.push(() => kube.stop());
  nats = await startNats();
  cleanups.push(() => nats.stop());
  core = kube.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
  await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { nodeName: NODE, automountServiceAccountToken: false, containers: [{ name: 'web', image: 'registry.example/web:1' }] } },
  });
  // What a kubelet would write: the container id the process's cgroup names.
  await core.patchNamespacedPodStatus({
    name: 'web-0',
    namespace: NS,
    body: {
      status: {
        phase: 'Running', podIP: '10.244.7.10', podIPs: [{ ip: '10.244.7.10' }], hostIP: '192.168.50.7', startTime: kubeTime(),
        containerStatuses: [{ name: 'web', image: 'registry.example/web:1', imageID: '', ready: true, restartCount: 0, containerID: `containerd://${CID}`, state: { running: { startedAt: kubeTime() } } }],
      },
    },
  }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  // The "container": a sleeping process moved into cri-containerd-<CID>.scope.
  const cg = join(parent, `cri-containerd-${CID}.scope`);
  mkdirSync(cg, { recursive: true });
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(sleeper);
  pid = sleeper.pid!;
  writeFileSync(join(cg, 'cgroup.procs'), String(pid));
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    return waitFor('the container cgroup to be removed', async () => {
      try {
        rmdirSync(cg);
        return true;
      } catch {
        return false;
      }
    }, 5_000, 50).then(() => undefined);
  });

  const common = ['--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'];
  pem = await startLoupe(['pem', ...common, '--kubeconfig', kube.kubeconfigPath, '--node-name', NODE, '--sources', 'process_stats', '--stats-interval', '1s']);
  kelvin = await startLoupe(['kelvin', ...common, '--kubeconfig', kube.kubeconfigPath]);
  broker = await startLoupe(['query-broker', ...common]);
}, { timeout: 180_000 });

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const f of cleanups.reverse()) await f();
});

describe('loupe pem and kelvin with the Kubernetes API', () => {
  it('are ready once pods and services are listed, and say so on /readyz', async () => {
    for (const role of [pem, kelvin]) {
      const body = await waitFor('/readyz 200', async () => {
        const r = await fetch(`http://${role.health}/readyz`);
        return r.status === 200 ? r.text() : undefined;
      }, 30_000, 100);
      // No `loupe metadata` runs here: each agent watches the API server itself and says why.
      assert.match(body, new RegExp(`Kubernetes pods and services listed \\(from the Kubernetes API ${kube.server.replace(/[.]/g, '\\.')}: the metadata service does not answer`));
    }
  });

  it('a real process in the pod\'s container resolves to its pod, namespace and service on the PEM, and pod names resolve on Kelvin', async () => {
    const script = `import px
df = px.DataFrame(table='process_stats', start_time='-5m')
df.pid = px.upid_to_pid(df.upid)
df = df[df.pid == ${pid}]
df.pod = df.ctx['pod']
df.namespace = df.ctx['namespace']
df.service = df.ctx['service']
df.node = df.ctx['node']
df.container = df.ctx['container']
agg = df.groupby(['pod', 'namespace', 'service', 'node', 'container']).agg(n=('pid', px.count))
agg.namespace_on_kelvin = px.pod_name_to_namespace(agg.pod)
agg.service_on_kelvin = px.pod_name_to_service_name(agg.pod)
px.display(agg, 'procs')
`;
    const r = await waitFor('process_stats rows of the container process', async () => {
      const res = await query(broker.address, script);
      const t = res.tables.find((x) => x.name === 'procs');
      return t && t.rows.length > 0 ? t : undefined;
    }, 30_000, 500);
    const cols = r.relation.map((c) => c.name);
    assert.equal(r.rows.length, 1, JSON.stringify(r.rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    const row = Object.fromEntries(cols.map((c, i) => [c, r.rows[0]![i]]));
    assert.equal(row['pod'], `${NS}/web-0`);
    assert.equal(row['namespace'], NS);
    assert.equal(row['service'], `${NS}/web`);
    assert.equal(row['node'], NODE);
    assert.equal(row['container'], 'web');
    assert.equal(row['namespace_on_kelvin'], NS);
    assert.equal(row['service_on_kelvin'], `${NS}/web`);
    assert.ok(Number(row['n']) > 0);
  });

  it('a PEM whose credentials may not list pods stops at start, naming the API server and the missing permission', async () => {
    const nobody = await kube.makeUserKubeConfig!('pem-e2e-nobody');
    const failed = startLoupe(['pem', '--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0', '--kubeconfig', nobody.kubeconfigPath, '--sources', 'process_stats']);
    await assert.rejects(failed, (err: Error) => {
      assert.match(err.message, /exited with 1/);
      assert.ok(err.message.includes(`Kubernetes API ${kube.server}: cannot list pods in all namespaces: forbidden`), err.message);
      assert.match(err.message, /verb "list" on resource "pods"/);
      return true;
    });
  });
});
