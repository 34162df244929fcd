import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeMetadata, MetadataSyncError } from './kube.js';
import type { ListPage, ListWatchSource, WatchHandle } from './list-watch.js';

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
    assert.equal(md.pod('pod-1'), undefined);
    assert.deepEqual(md.counts(), { pods: 0, services: 1, containers: 0 });
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
