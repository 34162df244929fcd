import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterNetworks } from './cluster-networks.js';
import { KubeMetadata, MetadataSyncError } from './kube.js';
import type { ListPage, ListWatchSource, WatchHandle } from '../../lib/kube/reflector.js';

/** A source that lists fixed items (or always fails) and whose watches stay open until aborted. */
function source(name: string, items: unknown[], failWith?: Error): ListWatchSource & { emit?: (type: string, o: unknown) => void } {
  const s: ListWatchSource & { emit?: (type: string, o: unknown) => void } = {
    name,
    async list(): Promise<ListPage> {
      if (failWith) throw failWith;
      return { items, resourceVersion: '1' };
    },
    async watch(_rv, onEvent, onDone): Promise<WatchHandle> {
      s.emit = onEvent;
      return { abort: () => onDone(new Error('aborted')) };
    },
  };
  return s;
}

const CID = 'e'.repeat(64);
const POD = {
  metadata: { uid: 'pod-1', name: 'web-0', namespace: 'shop', labels: { app: 'web' } },
  spec: { nodeName: 'node-1' },
  status: { phase: 'Running', podIP: '10.1.0.5', containerStatuses: [{ name: 'web', containerID: `containerd://${CID}` }] },
};
const SVC = { metadata: { uid: 'svc-1', name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', selector: { app: 'web' } } };

describe('KubeMetadata', () => {
  it('answers from the listed pods and services and follows watch events', async () => {
    const pods = source('pods', [POD]);
    const services = source('services', [SVC]);
    const md = new KubeMetadata({ pods, services }, { nodeName: 'node-1', hostname: 'h' });
    await md.start(5000);
    assert.equal(md.synced, true);
    assert.equal(md.nodeName, 'node-1');
    assert.deepEqual(md.podByName('shop/web-0')?.serviceIds, ['svc-1']);
    assert.equal(md.podByIp('10.1.0.5')?.id, 'pod-1');
    assert.equal(md.serviceByIp('10.96.0.20')?.name, 'shop/web');
    assert.deepEqual(md.container(CID), { id: CID, name: 'web', podId: 'pod-1' });
    assert.equal(md.process('1:1'), undefined);
    while (!pods.emit) await new Promise((r) => setImmediate(r));
    pods.emit('DELETED', POD);
    assert.ok(md.pod('pod-1')?.deletedAt, 'a deleted pod stays as a tombstone');
    assert.equal(md.podByIp('10.1.0.5')?.name, 'shop/web-0');
    assert.deepEqual(md.counts(), { pods: 0, services: 1, containers: 1, deletedPods: 1, deletedServices: 0, endpointSlices: 0 });
    md.stop();
  });

  it('tombstones follow the retention options and go with prune', async () => {
    const pods = source('pods', [POD]);
    const md = new KubeMetadata({ pods, services: source('services', []) }, { hostname: 'h', tombstoneRetentionMs: 0 });
    await md.start(5000);
    while (!pods.emit) await new Promise((r) => setImmediate(r));
    pods.emit('DELETED', POD);
    md.prune();
    assert.equal(md.pod('pod-1'), undefined);
    md.stop();
  });

  it('takes service membership from EndpointSlices when it may read them', async () => {
    const manual = { metadata: { uid: 'svc-2', name: 'legacy', namespace: 'shop' }, spec: { clusterIP: '10.96.0.21' } };
    const slice = { metadata: { uid: 'es-1', name: 'legacy-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'legacy' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.5'] }] };
    const md = new KubeMetadata({ pods: source('pods', [POD]), services: source('services', [SVC, manual]), endpointSlices: source('endpointslices', [slice]) }, { hostname: 'h' });
    await md.start(5000);
    assert.equal(md.endpointSlicesSynced, true);
    // web has no slice: its selector still counts; legacy has no selector: its slice lists the pod's IP.
    assert.deepEqual(md.pod('pod-1')?.serviceIds, ['svc-2', 'svc-1']);
    md.stop();
  });

  it('starts at its timeout without EndpointSlices whose LIST never answers', async () => {
    const hanging: ListWatchSource = { name: 'endpointslices', list: () => new Promise<ListPage>(() => {}), watch: () => new Promise<WatchHandle>(() => {}) };
    const md = new KubeMetadata({ pods: source('pods', [POD]), services: source('services', [SVC]), endpointSlices: hanging }, { hostname: 'h' });
    await md.start(50);
    assert.equal(md.synced, true);
    assert.equal(md.endpointSlicesSynced, false);
    md.stop();
  });

  it('starts without EndpointSlices when the API forbids them, on selectors alone', async () => {
    const forbidden = Object.assign(new Error('endpointslices.discovery.k8s.io is forbidden'), { code: 403 });
    const md = new KubeMetadata({ pods: source('pods', [POD]), services: source('services', [SVC]), endpointSlices: source('endpointslices', [], forbidden) }, { hostname: 'h', retryMinMs: 60_000 });
    await md.start(5000);
    assert.equal(md.synced, true);
    assert.equal(md.endpointSlicesSynced, false);
    assert.deepEqual(md.pod('pod-1')?.serviceIds, ['svc-1']);
    md.stop();
  });

  it('feeds a ClusterNetworks from pods, services and nodes, and watches nodes only for it', async () => {
    const NODE = { metadata: { uid: 'node-1', name: 'node-1' }, spec: { podCIDR: '10.1.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.1' }] } };
    const nodes = source('nodes', [NODE]);
    let listed = 0;
    const counted: ListWatchSource = { ...nodes, list: (...args) => (listed++, nodes.list(...args)) };
    const plain = new KubeMetadata({ pods: source('pods', [POD]), services: source('services', [SVC]), nodes: counted }, { hostname: 'h' });
    await plain.start(5000);
    plain.stop();
    assert.equal(listed, 0, 'no ClusterNetworks: nodes are not read');

    const networks = new ClusterNetworks({ minRebuildMs: 0 });
    const pods = source('pods', [POD]);
    const md = new KubeMetadata({ pods, services: source('services', [SVC]), nodes: counted }, { hostname: 'h', networks });
    await md.start(5000);
    // Nodes are optional: start() does not wait for them.
    while (!networks.current()?.containsIp('192.168.1.1')) await new Promise((r) => setImmediate(r));
    assert.equal(networks.current()?.toString(), '127.0.0.0/8,10.1.0.0/24,::1/128,10.96.0.20/32,192.168.1.1/32');
    while (!pods.emit) await new Promise((r) => setImmediate(r));
    pods.emit('ADDED', { ...POD, metadata: { ...POD.metadata, uid: 'pod-2', name: 'web-1' }, status: { podIP: '172.17.0.9' } });
    assert.ok(networks.current()?.containsIp('172.17.0.9'), 'a pod outside every node pod CIDR (another CNI) counts by its IP');
    md.stop();
  });

  it('start fails after its timeout naming the resource and the API error, and keeps nothing running after stop', async () => {
    const forbidden = new Error('pods is forbidden: User "system:serviceaccount:loupe:metadata" cannot list resource "pods"');
    const md = new KubeMetadata({ pods: source('pods', [], forbidden), services: source('services', []) }, { retryMinMs: 5 });
    await assert.rejects(md.start(100), (err: unknown) => {
      assert.ok(err instanceof MetadataSyncError);
      assert.deepEqual(err.resources, ['pods']);
      assert.match(err.message, /could not list pods within 100 ms \(pods: pods is forbidden/);
      assert.match(err.message, /hint: .*list and watch pods and services/);
      return true;
    });
    md.stop();
  });
});
