// A PEM's inside networks (what its socket tracer leaves to the servers' side) read from a real
// kube-apiserver: nodes' spec.podCIDR(s) and addresses, pod IPs, the services' cluster IPs (which
// the API server allocates from its --service-cluster-ip-range, 10.96.0.0/12 in the harness) and
// loopback; followed as nodes, pods and services come and go; explicit CIDRs win over discovery.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { covers, parseCidr, parseIp } from '../lib/cidr.js';
import { ClusterNetworks } from '../dataplane/metadata/cluster-networks.js';
import { KubeMetadata } from '../dataplane/metadata/kube.js';
import { waitFor } from './harness/cluster.js';
import { startKube, type KubeEnv } from './harness/kube.js';

const NS = 'networks-e2e';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const SERVICE_RANGE = parseCidr('10.96.0.0/12');

let env: KubeEnv;
let core: CoreV1Api;
const clusterIps: string[] = [];
const views: KubeMetadata[] = [];

/** A node as a kubelet registers it: its pod CIDR in the spec, its address in the status. */
async function createNode(name: string, podCIDR: string, internalIp: string): Promise<void> {
  await core.createNode({ body: { metadata: { name }, spec: { podCIDR, podCIDRs: [podCIDR] } } });
  await core.patchNodeStatus({ name, body: { status: { addresses: [{ type: 'InternalIP', address: internalIp }, { type: 'Hostname', address: name }] } } }, MERGE_PATCH);
}

async function createPod(name: string, ip: string): Promise<void> {
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name }, spec: { nodeName: 'net-node-1', automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.example/app:1' }] } } });
  await core.patchNamespacedPodStatus({ name, namespace: NS, body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } }, MERGE_PATCH);
}

async function createService(name: string): Promise<string> {
  const svc = await core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } } });
  return svc.spec!.clusterIP!;
}

function startView(networks: ClusterNetworks): Promise<void> {
  const md = KubeMetadata.fromKubeConfig(env.kc, { networks });
  views.push(md);
  return md.start(30_000);
}

before(async () => {
  env = await startKube({ controllerManager: false });
  core = env.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
  await createNode('net-node-1', '10.244.1.0/24', '192.168.60.1');
  await createPod('in-cidr', '10.244.1.7');
  // A CNI that ignores the node's pod CIDR (Calico IPAM, a cloud VPC CNI): the pod counts by its IP.
  await createPod('other-cni', '172.30.4.5');
  for (const name of ['web', 'db', 'cache']) clusterIps.push(await createService(name));
}, { timeout: 120_000 });

after(async () => {
  for (const md of views) md.stop();
  await env?.stop();
});

describe('inside networks from a real API server', () => {
  it('hold the node pod CIDRs and addresses, the pod IPs, the cluster IPs within the service range, and loopback', async () => {
    const networks = new ClusterNetworks({ minRebuildMs: 0 });
    await startView(networks);
    // Nodes are optional for start(); wait for the node's CIDR.
    const set = await waitFor('the node pod CIDR', async () => networks.current()?.containsIp('10.244.1.200') && networks.current());
    for (const ip of ['10.244.1.7', '10.244.1.200', '172.30.4.5', '192.168.60.1', '127.0.0.1', '::1', ...clusterIps]) assert.ok(set.containsIp(ip), `${ip} inside`);
    for (const ip of ['10.244.2.1', '172.30.4.6', '192.168.60.2', '10.201.0.2', '8.8.8.8']) assert.ok(!set.containsIp(ip), `${ip} outside`);
    const serviceBlock = set.cidrs.find((c) => covers(c, { addr: parseIp(clusterIps[0]!)!, prefix: 128 }))!;
    assert.ok(covers(SERVICE_RANGE, serviceBlock), `the services' block ${set.toString()} lies within the API server's range`);
  });

  it('follow nodes, pods and services created and deleted later', async () => {
    const networks = new ClusterNetworks({ minRebuildMs: 0 });
    await startView(networks);
    await createNode('net-node-2', '10.244.2.0/24', '192.168.60.2');
    await waitFor('the new node', async () => networks.current()?.containsIp('10.244.2.9') && networks.current()?.containsIp('192.168.60.2'));
    await createPod('late', '172.31.0.9');
    await waitFor('the new pod', async () => networks.current()?.containsIp('172.31.0.9'));
    await core.deleteNamespacedPod({ name: 'late', namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('the deleted pod gone', async () => networks.current()?.containsIp('172.31.0.9') === false);
    const late = await createService('late');
    await waitFor('the new cluster IP', async () => networks.current()?.containsIp(late));
    await core.deleteNode({ name: 'net-node-2' });
    await waitFor('the deleted node gone', async () => networks.current()?.containsIp('10.244.2.9') === false);
  });

  it('take explicit cluster and service CIDRs instead of what the API says', async () => {
    const networks = new ClusterNetworks({ minRebuildMs: 0, clusterCidrs: [parseCidr('10.0.0.0/16')], serviceCidrs: [parseCidr('172.20.0.0/16')] });
    assert.equal(networks.current()?.toString(), '127.0.0.0/8,10.0.0.0/16,172.20.0.0/16,::1/128', 'known before the API answers');
    await startView(networks);
    const set = networks.current()!;
    for (const ip of ['10.244.1.7', '172.30.4.5', clusterIps[0]!]) assert.ok(!set.containsIp(ip), `${ip}: discovery does not count`);
  });
});
