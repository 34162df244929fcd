import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterIndex } from './cluster-index.js';
import type { PodRecord, ServiceRecord } from './kube-objects.js';

const CID_A = 'a'.repeat(64);
const CID_B = 'b'.repeat(64);

function pod(uid: string, o: Partial<PodRecord> = {}): PodRecord {
  return { uid, namespace: 'shop', name: uid, nodeName: 'node-1', ips: o.ip ? [o.ip] : [], hostNetwork: false, labels: {}, containers: [], ...o };
}

function svc(uid: string, o: Partial<ServiceRecord> = {}): ServiceRecord {
  return { uid, namespace: 'shop', name: uid, clusterIps: [], ...o };
}

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

  it('removing a pod drops every index entry it owned', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('p1', { name: 'web-0', ip: '10.1.0.5', containers: [{ id: CID_A, name: 'web' }] }));
    ix.removePod('p1');
    assert.equal(ix.pod('p1'), undefined);
    assert.equal(ix.podByName('shop/web-0'), undefined);
    assert.equal(ix.podByIp('10.1.0.5'), undefined);
    assert.equal(ix.container(CID_A), undefined);
    assert.deepEqual(ix.counts(), { pods: 0, services: 0, containers: 0 });
    ix.removePod('p1');
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

  it('replace keeps the listed objects and removes the rest', () => {
    const ix = new ClusterIndex();
    ix.upsertPod(pod('p1', { labels: { app: 'web' } }));
    ix.upsertPod(pod('p2'));
    ix.upsertService(svc('s1', { selector: { app: 'web' } }));
    ix.upsertService(svc('s2', { clusterIps: ['10.96.0.2'] }));
    ix.replacePods([pod('p1', { labels: { app: 'web' } }), pod('p3')]);
    ix.replaceServices([svc('s1', { selector: { app: 'web' } })]);
    assert.equal(ix.pod('p2'), undefined);
    assert.ok(ix.pod('p3'));
    assert.deepEqual(ix.pod('p1')?.serviceIds, ['s1']);
    assert.equal(ix.serviceByIp('10.96.0.2'), undefined);
    assert.deepEqual(ix.counts(), { pods: 2, services: 1, containers: 0 });
  });

  it('pod and service infos are frozen: callers cannot corrupt the index', () => {
    const ix = new ClusterIndex();
    ix.upsertService(svc('s1', { selector: { app: 'web' } }));
    ix.upsertPod(pod('p1', { labels: { app: 'web' } }));
    assert.throws(() => (ix.pod('p1')!.serviceIds as string[]).push('x'), TypeError);
    assert.ok(Object.isFrozen(ix.service('s1')));
  });
});
