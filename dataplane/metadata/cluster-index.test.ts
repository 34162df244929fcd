import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterIndex, type ClusterIndexOptions } from './cluster-index.js';
import type { EndpointSliceRecord, PodRecord, ServiceRecord } from './kube-objects.js';

const CID_A = 'a'.repeat(64);
const CID_B = 'b'.repeat(64);

function pod(uid: string, o: Partial<PodRecord> = {}): PodRecord {
  return { uid, namespace: 'shop', name: uid, nodeName: 'node-1', ips: o.ip ? [o.ip] : [], hostNetwork: false, labels: {}, containers: [], ...o };
}

function svc(uid: string, o: Partial<ServiceRecord> = {}): ServiceRecord {
  return { uid, namespace: 'shop', name: uid, clusterIps: [], ...o };
}

function slice(uid: string, serviceName: string, refs: string[], o: Partial<EndpointSliceRecord> = {}): EndpointSliceRecord {
  return { uid, namespace: 'shop', name: uid, serviceName, refs, ...o };
}

/** An index whose clock (ns) the test moves by hand. */
function clocked(opts: Omit<ClusterIndexOptions, 'now'> = {}): { ix: ClusterIndex; advance: (ms: number) => void; now: () => bigint } {
  let t = 1_000_000_000_000n;
  const now = () => t;
  return { ix: new ClusterIndex({ ...opts, now }), advance: (ms) => { t += BigInt(ms) * 1_000_000n; }, now };
}

const HOUR_MS = 3600_000;
const EMPTY_COUNTS = { pods: 0, services: 0, containers: 0, deletedPods: 0, deletedServices: 0, endpointSlices: 0 };

describe('ClusterIndex', () => {
  it('finds a pod by uid, "namespace/name", IP and container id', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('p1', { name: 'web-0', ip: '10.1.0.5', phase: 'Running', startTime: 5n, containers: [{ id: CID_A, name: 'web' }] }));
    const info = { id: 'p1', name: 'shop/web-0', namespace: 'shop', nodeName: 'node-1', ip: '10.1.0.5', startTime: 5n, status: 'Running', serviceIds: [] };
    assert.deepEqual(ix.pod('p1'), info);
    assert.equal(ix.podByName('shop/web-0'), ix.pod('p1'));
    assert.equal(ix.podByIp('10.1.0.5'), ix.pod('p1'));
    assert.deepEqual(ix.container(CID_A), { id: CID_A, name: 'web', podId: 'p1' });
    assert.equal(ix.podByName('web-0'), undefined);
    assert.equal(ix.podByIp('10.1.0.6'), undefined);
  });

  it('finds a service by uid, name and every cluster IP', () => {
    const ix = new ClusterIndex();
    ix.upsertService(svc('s1', { name: 'web', clusterIps: ['10.96.0.7', 'fd00::7'] }));
    assert.deepEqual(ix.service('s1'), { id: 's1', name: 'shop/web', namespace: 'shop', clusterIp: '10.96.0.7' });
    assert.equal(ix.serviceByName('shop/web')?.id, 's1');
    assert.equal(ix.serviceByIp('fd00::7')?.id, 's1');
    ix.upsertService(svc('s2', { name: 'headless' }));
    assert.deepEqual(ix.service('s2'), { id: 's2', name: 'shop/headless', namespace: 'shop' });
  });

  it('service membership follows selectors whichever side changes, ordered by service name', () => {
    const ix = new ClusterIndex();
    ix.upsertService(svc('s-web', { name: 'web', selector: { app: 'web' } }));
    ix.upsertPod(pod('p1', { labels: { app: 'web', tier: 'front' } }));
    ix.upsertPod(pod('p2', { labels: { app: 'db' } }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-web']);
    assert.deepEqual(ix.pod('p2')?.serviceIds, []);

    ix.upsertService(svc('s-all', { name: 'all-front', selector: { tier: 'front' } }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-all', 's-web']);

    ix.upsertPod(pod('p2', { labels: { app: 'web' } }));
    assert.deepEqual(ix.pod('p2')?.serviceIds, ['s-web']);

    ix.upsertService(svc('s-web', { name: 'web', selector: { app: 'db' } }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-all']);
    assert.deepEqual(ix.pod('p2')?.serviceIds, []);

    ix.removeService('s-all');
    assert.deepEqual(ix.pod('p1')?.serviceIds, []);
  });

  it('a service selects only pods of its own namespace', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('p1', { namespace: 'a', labels: { app: 'web' } }));
    ix.upsertPod(pod('p2', { namespace: 'b', labels: { app: 'web' } }));
    ix.upsertService(svc('s', { namespace: 'a', selector: { app: 'web' } }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s']);
    assert.deepEqual(ix.pod('p2')?.serviceIds, []);
  });

  it('a deleted pod stays resolvable everywhere as a tombstone, with its deletion time and last services', () => {
    const { ix, now } = clocked();
    ix.upsertService(svc('s1', { name: 'web', selector: { app: 'web' } }));
    ix.upsertPod(pod('p1', { name: 'web-0', ip: '10.1.0.5', labels: { app: 'web' }, containers: [{ id: CID_A, name: 'web' }] }));
    ix.removePod('p1');
    const gone = ix.pod('p1');
    assert.deepEqual(gone, { id: 'p1', name: 'shop/web-0', namespace: 'shop', nodeName: 'node-1', ip: '10.1.0.5', serviceIds: ['s1'], deletedAt: now() });
    assert.ok(Object.isFrozen(gone));
    assert.equal(ix.podByName('shop/web-0'), gone);
    assert.equal(ix.podByIp('10.1.0.5'), gone);
    assert.deepEqual(ix.container(CID_A), { id: CID_A, name: 'web', podId: 'p1' });
    assert.deepEqual(ix.counts(), { ...EMPTY_COUNTS, services: 1, containers: 1, deletedPods: 1 });
    ix.removePod('p1');
    assert.equal(ix.pod('p1'), gone, 'a second delete changes nothing');
  });

  it('tombstones are forgotten after the retention, and beyond the count bound oldest deletion first', () => {
    const { ix, advance } = clocked({ tombstoneRetentionMs: HOUR_MS, maxDeletedPods: 2 });
    for (const [i, uid] of ['p1', 'p2', 'p3'].entries()) ix.upsertPod(pod(uid, { ip: `10.1.0.${i + 1}`, containers: [{ id: String(i).repeat(64), name: 'c' }] }));
    ix.removePod('p1');
    advance(1000);
    ix.removePod('p2');
    advance(1000);
    ix.removePod('p3');
    assert.equal(ix.pod('p1'), undefined, 'the oldest deletion went first');
    assert.equal(ix.podByIp('10.1.0.1'), undefined);
    assert.equal(ix.container('0'.repeat(64)), undefined);
    assert.ok(ix.pod('p2') && ix.pod('p3'));
    advance(HOUR_MS - 500);
    ix.prune();
    assert.equal(ix.pod('p2'), undefined, 'p2 is past the retention');
    assert.ok(ix.pod('p3'));
    advance(1000);
    ix.prune();
    assert.deepEqual(ix.counts(), EMPTY_COUNTS);
  });

  it('maxDeletedPods 0 forgets deleted pods at once', () => {
    const ix = new ClusterIndex({ maxDeletedPods: 0, maxDeletedServices: 0 });
    ix.upsertPod(pod('p1', { name: 'web-0', ip: '10.1.0.5', containers: [{ id: CID_A, name: 'web' }] }));
    ix.upsertService(svc('s1', { clusterIps: ['10.96.0.1'] }));
    ix.removePod('p1');
    ix.removeService('s1');
    assert.equal(ix.pod('p1'), undefined);
    assert.equal(ix.podByName('shop/web-0'), undefined);
    assert.equal(ix.podByIp('10.1.0.5'), undefined);
    assert.equal(ix.container(CID_A), undefined);
    assert.equal(ix.serviceByIp('10.96.0.1'), undefined);
    assert.deepEqual(ix.counts(), EMPTY_COUNTS);
  });

  it('a live pod wins a name over a deleted one; deleting it then leaves the newest tombstone', () => {
    const { ix, advance } = clocked();
    ix.upsertPod(pod('uid-1', { name: 'db-0' }));
    ix.removePod('uid-1');
    assert.equal(ix.podByName('shop/db-0')?.id, 'uid-1');
    ix.upsertPod(pod('uid-2', { name: 'db-0' }));
    assert.equal(ix.podByName('shop/db-0')?.id, 'uid-2');
    assert.equal(ix.pod('uid-1')?.name, 'shop/db-0', 'the old pod is still found by uid');
    advance(1000);
    ix.removePod('uid-2');
    assert.equal(ix.podByName('shop/db-0')?.id, 'uid-2');
  });

  it('a reused IP: without a time the live pod, with a time the pod that held the IP then', () => {
    const { ix, now, advance } = clocked();
    const t0 = now();
    ix.upsertPod(pod('old', { ip: '10.1.0.5', phase: 'Running', startTime: t0 - 10n }));
    advance(1000);
    ix.removePod('old');
    const deletedAt = now();
    advance(1000);
    ix.upsertPod(pod('new', { ip: '10.1.0.5', phase: 'Running', startTime: now() }));
    assert.equal(ix.podByIp('10.1.0.5')?.id, 'new', 'live first');
    assert.equal(ix.podByIp('10.1.0.5', t0)?.id, 'old', 'a row from before the deletion');
    assert.equal(ix.podByIp('10.1.0.5', deletedAt + 1n)?.id, 'old', 'between deletion and the next start the IP was still the old pod\'s');
    assert.equal(ix.podByIp('10.1.0.5', now())?.id, 'new', 'a new row');
    assert.equal(ix.podByIp('10.1.0.5', now() + 3600n * 1_000_000_000n)?.id, 'new');
    assert.equal(ix.podByIp('10.1.0.5', 0n)?.id, 'old', 'before every start: the earliest');
    ix.removePod('new');
    assert.equal(ix.podByIp('10.1.0.5')?.id, 'new', 'both deleted: the latest deletion');
  });

  it('time-aware lookups fall back to the creation time for pods without a start time', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('a', { ip: '10.1.0.5', phase: 'Succeeded', createdAt: 100n }));
    ix.upsertPod(pod('b', { ip: '10.1.0.5', phase: 'Running', createdAt: 200n }));
    assert.equal(ix.podByIp('10.1.0.5', 150n)?.id, 'a');
    assert.equal(ix.podByIp('10.1.0.5', 250n)?.id, 'b');
    assert.equal(ix.podByIp('10.1.0.5')?.id, 'b');
  });

  it('a deleted service stays resolvable; live pods leave it, deleted pods keep it; a reused cluster IP goes by time', () => {
    const { ix, now, advance } = clocked();
    ix.upsertService(svc('s-old', { name: 'web', clusterIps: ['10.96.0.7'], selector: { app: 'web' }, createdAt: now() }));
    ix.upsertPod(pod('p-live', { labels: { app: 'web' } }));
    ix.upsertPod(pod('p-gone', { labels: { app: 'web' } }));
    ix.removePod('p-gone');
    const before = now();
    advance(1000);
    ix.removeService('s-old');
    assert.equal(ix.service('s-old')?.deletedAt, now());
    assert.equal(ix.serviceByName('shop/web')?.id, 's-old');
    assert.equal(ix.serviceByIp('10.96.0.7')?.id, 's-old');
    assert.deepEqual(ix.pod('p-live')?.serviceIds, []);
    assert.deepEqual(ix.pod('p-gone')?.serviceIds, ['s-old']);
    advance(1000);
    ix.upsertService(svc('s-new', { name: 'web', clusterIps: ['10.96.0.7'], selector: { app: 'web' }, createdAt: now() }));
    assert.equal(ix.serviceByName('shop/web')?.id, 's-new');
    assert.equal(ix.serviceByIp('10.96.0.7')?.id, 's-new');
    assert.equal(ix.serviceByIp('10.96.0.7', before)?.id, 's-old');
    assert.equal(ix.serviceByIp('10.96.0.7', now())?.id, 's-new');
    assert.deepEqual(ix.pod('p-live')?.serviceIds, ['s-new']);
    assert.deepEqual(ix.counts(), { ...EMPTY_COUNTS, pods: 1, services: 1, deletedPods: 1, deletedServices: 1 });
  });

  it('an update re-indexes: a new IP and a restarted container replace the old ones', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('p1', { ip: '10.1.0.5', containers: [{ id: CID_A, name: 'web' }] }));
    ix.upsertPod(pod('p1', { ip: '10.1.0.9', containers: [{ id: CID_B, name: 'web' }] }));
    assert.equal(ix.podByIp('10.1.0.5'), undefined);
    assert.equal(ix.podByIp('10.1.0.9')?.id, 'p1');
    assert.equal(ix.container(CID_A), undefined);
    assert.equal(ix.container(CID_B)?.podId, 'p1');
  });

  it('a reused IP resolves to the running pod rather than a finished one, then to the newest', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('old', { ip: '10.1.0.5', phase: 'Running', startTime: 1n }));
    ix.upsertPod(pod('new', { ip: '10.1.0.5', phase: 'Running', startTime: 2n }));
    assert.equal(ix.podByIp('10.1.0.5')?.id, 'new');
    ix.upsertPod(pod('new', { ip: '10.1.0.5', phase: 'Succeeded', startTime: 2n }));
    assert.equal(ix.podByIp('10.1.0.5')?.id, 'old');
    ix.removePod('old');
    assert.equal(ix.podByIp('10.1.0.5')?.id, 'new');
  });

  it('host-network pods are not found by IP (the IP is their node\'s)', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('agent', { ip: '192.168.1.12', hostNetwork: true }));
    assert.equal(ix.podByIp('192.168.1.12'), undefined);
    assert.equal(ix.pod('agent')?.ip, '192.168.1.12');
  });

  it('a recreated pod (same name, new uid) takes the name; deleting the old one leaves it', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('uid-1', { name: 'db-0' }));
    ix.upsertPod(pod('uid-2', { name: 'db-0' }));
    assert.equal(ix.podByName('shop/db-0')?.id, 'uid-2');
    ix.removePod('uid-1');
    assert.equal(ix.podByName('shop/db-0')?.id, 'uid-2');
  });

  it('replace keeps the listed objects and turns the rest into tombstones', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('p1', { labels: { app: 'web' } }));
    ix.upsertPod(pod('p2'));
    ix.upsertService(svc('s1', { selector: { app: 'web' } }));
    ix.upsertService(svc('s2', { clusterIps: ['10.96.0.2'] }));
    ix.replacePods([pod('p1', { labels: { app: 'web' } }), pod('p3')]);
    ix.replaceServices([svc('s1', { selector: { app: 'web' } })]);
    assert.ok(ix.pod('p2')?.deletedAt);
    assert.ok(ix.pod('p3'));
    assert.equal(ix.pod('p3')?.deletedAt, undefined);
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s1']);
    assert.ok(ix.serviceByIp('10.96.0.2')?.deletedAt);
    assert.deepEqual(ix.counts(), { ...EMPTY_COUNTS, pods: 2, services: 1, deletedPods: 1, deletedServices: 1 });
  });

  it('pod and service infos are frozen: callers cannot corrupt the index', () => {
    const ix = new ClusterIndex();
    ix.upsertService(svc('s1', { selector: { app: 'web' } }));
    ix.upsertPod(pod('p1', { labels: { app: 'web' } }));
    assert.throws(() => (ix.pod('p1')!.serviceIds as string[]).push('x'), TypeError);
    assert.ok(Object.isFrozen(ix.service('s1')));
  });
});

describe('ClusterIndex: service membership from EndpointSlices', () => {
  it('before slices are listed, selectors decide; once listed, a pod belongs to the services whose slices list it', () => {
    const ix = new ClusterIndex();
    ix.upsertService(svc('s-web', { name: 'web', selector: { app: 'web' } }));
    ix.upsertService(svc('s-manual', { name: 'manual' }));
    ix.upsertPod(pod('p1', { name: 'web-0', ip: '10.1.0.5', labels: { app: 'web' } }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-web']);
    ix.replaceEndpointSlices([slice('es-web', 'web', ['uid:p1']), slice('es-manual', 'manual', ['uid:p1'])]);
    assert.equal(ix.endpointSlicesListed, true);
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-manual', 's-web']);
  });

  it('a service without a selector gets its pods from a hand-written slice: by uid, by name, or by address', () => {
    const ix = new ClusterIndex();
    ix.replaceEndpointSlices([]);
    ix.upsertService(svc('s-ext', { name: 'ext' }));
    ix.upsertPod(pod('p1', { name: 'a', ip: '10.1.0.1' }));
    ix.upsertPod(pod('p2', { name: 'b', ip: '10.1.0.2' }));
    ix.upsertPod(pod('p3', { name: 'c', ip: '10.1.0.3' }));
    ix.upsertPod(pod('p4', { name: 'd', ip: '10.1.0.4' }));
    ix.upsertEndpointSlice(slice('es', 'ext', ['uid:p1', 'name:shop/b', 'ip:10.1.0.3']));
    for (const id of ['p1', 'p2', 'p3']) assert.deepEqual(ix.pod(id)?.serviceIds, ['s-ext'], id);
    assert.deepEqual(ix.pod('p4')?.serviceIds, []);
    ix.upsertEndpointSlice(slice('es', 'ext', ['uid:p4']));
    for (const id of ['p1', 'p2', 'p3']) assert.deepEqual(ix.pod(id)?.serviceIds, [], id);
    assert.deepEqual(ix.pod('p4')?.serviceIds, ['s-ext']);
    ix.removeEndpointSlice('es');
    assert.deepEqual(ix.pod('p4')?.serviceIds, []);
  });

  it('a service\'s slices overrule its selector for pods in slices; the selector covers pods in none and services with none', () => {
    const ix = new ClusterIndex();
    ix.replaceEndpointSlices([]);
    ix.upsertService(svc('s-a', { name: 'a', selector: { app: 'web' } }));
    ix.upsertService(svc('s-b', { name: 'b', selector: { app: 'web' } }));
    ix.upsertPod(pod('p1', { ip: '10.1.0.1', labels: { app: 'web' } }));
    ix.upsertPod(pod('p2', { ip: '10.1.0.2', labels: { app: 'web' } }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-a', 's-b'], 'no slices yet: selectors');
    // The controller writes a's slice listing p1 only (p2 excluded, e.g. by the controller's own rules).
    ix.upsertEndpointSlice(slice('es-a', 'a', ['uid:p1']));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-a', 's-b'], 'p1 in a\'s slice; b has no slice yet, its selector still counts');
    assert.deepEqual(ix.pod('p2')?.serviceIds, ['s-a', 's-b'], 'p2 is in no slice at all: selectors');
    ix.upsertEndpointSlice(slice('es-b', 'b', ['uid:p2']));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-a'], 'b\'s slice does not list p1');
    assert.deepEqual(ix.pod('p2')?.serviceIds, ['s-b'], 'a\'s slice does not list p2');
    ix.removeEndpointSlice('es-b');
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-a', 's-b'], 'b lost its last slice: back to its selector');
    // A new pod the controller has not added yet.
    ix.upsertPod(pod('p3', { ip: '10.1.0.3', labels: { app: 'web' } }));
    assert.deepEqual(ix.pod('p3')?.serviceIds, ['s-a', 's-b']);
  });

  it('a slice that arrives before its service counts once the service exists; slice changes follow pod changes', () => {
    const ix = new ClusterIndex();
    ix.replaceEndpointSlices([slice('es', 'web', ['ip:10.1.0.9'])]);
    ix.upsertPod(pod('p1', { ip: '10.1.0.9' }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, []);
    ix.upsertService(svc('s-web', { name: 'web' }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-web']);
    ix.upsertPod(pod('p1', { ip: '10.1.0.10' }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, [], 'its new IP is in no slice');
    ix.removeService('s-web');
    ix.upsertPod(pod('p1', { ip: '10.1.0.9' }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, [], 'the service is gone');
  });

  it('slices of other namespaces, other services and deleted pods do not leak', () => {
    const ix = new ClusterIndex();
    ix.replaceEndpointSlices([]);
    ix.upsertService(svc('s-web', { name: 'web' }));
    ix.upsertService(svc('s-other', { name: 'web', namespace: 'other' }));
    ix.upsertPod(pod('p1', { ip: '10.1.0.1' }));
    ix.upsertEndpointSlice(slice('es-other', 'web', ['uid:p1'], { namespace: 'other' }));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-other'], 'a slice belongs to the service of its own namespace');
    ix.removePod('p1');
    ix.upsertEndpointSlice(slice('es-web', 'web', ['uid:p1', 'ip:10.1.0.1']));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s-other'], 'a deleted pod\'s membership is frozen');
    ix.upsertEndpointSlice(slice('es-none', '', ['uid:p2']));
    assert.equal(ix.counts().endpointSlices, 3);
  });

  it('a relist of slices replaces them all', () => {
    const ix = new ClusterIndex();
    ix.upsertService(svc('s1', { name: 'one' }));
    ix.upsertService(svc('s2', { name: 'two' }));
    ix.upsertPod(pod('p1'));
    ix.replaceEndpointSlices([slice('a', 'one', ['uid:p1'])]);
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s1']);
    ix.replaceEndpointSlices([slice('b', 'two', ['uid:p1'])]);
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s2']);
    assert.equal(ix.counts().endpointSlices, 1);
  });

  it('host-network pods match slices by uid or name, not by their node\'s IP', () => {
    const ix = new ClusterIndex();
    ix.replaceEndpointSlices([]);
    ix.upsertService(svc('s', { name: 'dns' }));
    ix.upsertPod(pod('agent', { ip: '192.168.1.12', hostNetwork: true }));
    ix.upsertEndpointSlice(slice('es', 'dns', ['ip:192.168.1.12']));
    assert.deepEqual(ix.pod('agent')?.serviceIds, []);
    ix.upsertEndpointSlice(slice('es', 'dns', ['uid:agent']));
    assert.deepEqual(ix.pod('agent')?.serviceIds, ['s']);
  });
});
