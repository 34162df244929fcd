import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterView } from './cluster-view.js';
import { NodeMetadata } from './node.js';
import { StaticCluster } from './static-cluster.js';
import { EMPTY_METADATA, type MetadataView, type PodInfo, type ProcessInfo, type ServiceInfo } from './types.js';

const CID = 'c'.repeat(64);
const POD: PodInfo = { id: 'pod-1', name: 'shop/web-0', namespace: 'shop', nodeName: 'node-1', ip: '10.1.0.5', serviceIds: ['svc-1'] };
const SVC: ServiceInfo = { id: 'svc-1', name: 'shop/web', namespace: 'shop', clusterIp: '10.96.0.20' };

function localWith(processes: ProcessInfo[]): MetadataView {
  const byUpid = new Map(processes.map((p) => [p.upid, p]));
  return { ...EMPTY_METADATA, nodeName: 'node-1', hostname: 'host-1', process: (upid) => byUpid.get(upid) };
}

const cluster = new StaticCluster([POD], [SVC], [{ id: CID, name: 'web', podId: 'pod-1' }]);

/** A ClusterView that answers from `base` except where overridden. */
function clusterWith(base: ClusterView, overrides: Partial<ClusterView>): ClusterView {
  return {
    pod: (id) => base.pod(id),
    podByName: (n) => base.podByName(n),
    podByIp: (ip, at) => base.podByIp(ip, at),
    service: (id) => base.service(id),
    serviceByName: (n) => base.serviceByName(n),
    serviceByIp: (ip, at) => base.serviceByIp(ip, at),
    container: (id) => base.container(id),
    ...overrides,
  };
}

describe('NodeMetadata', () => {
  it('gives a process whose cgroup names only a container its pod and container name from the pod status', () => {
    const md = new NodeMetadata(localWith([{ upid: '7:1', pid: 7, cmdline: 'nginx', containerId: CID }]), cluster);
    assert.deepEqual(md.process('7:1'), { upid: '7:1', pid: 7, cmdline: 'nginx', containerId: CID, podId: 'pod-1', containerName: 'web' });
  });

  it('adds the container name when the cgroup already named the same pod', () => {
    const md = new NodeMetadata(localWith([{ upid: '7:1', pid: 7, cmdline: 'nginx', containerId: CID, podId: 'pod-1' }]), cluster);
    assert.equal(md.process('7:1')?.containerName, 'web');
  });

  it('leaves processes alone that are on the host, in an unknown container, or whose cgroup names another pod', () => {
    const host = { upid: '1:1', pid: 1, cmdline: 'init' };
    const unknown = { upid: '2:1', pid: 2, cmdline: 'x', containerId: 'd'.repeat(64) };
    const other = { upid: '3:1', pid: 3, cmdline: 'y', containerId: CID, podId: 'pod-2' };
    const md = new NodeMetadata(localWith([host, unknown, other]), cluster);
    assert.equal(md.process('1:1'), host);
    assert.equal(md.process('2:1'), unknown);
    assert.equal(md.process('3:1'), other);
    assert.equal(md.process('4:1'), undefined);
  });

  it('remembers the pod of a container after the cluster forgot it, within a bounded cache', () => {
    const CID_2 = 'e'.repeat(64);
    const two = new StaticCluster([POD], [SVC], [{ id: CID, name: 'web', podId: 'pod-1' }, { id: CID_2, name: 'x', podId: 'pod-2' }]);
    let known = true;
    const forgetful = clusterWith(two, { container: (id) => (known ? two.container(id) : undefined) });
    const procs = [{ upid: '7:1', pid: 7, cmdline: 'nginx', containerId: CID }, { upid: '8:1', pid: 8, cmdline: 'x', containerId: CID_2 }];
    const md = new NodeMetadata(localWith(procs), forgetful, { containerCacheSize: 1 });
    assert.equal(md.process('7:1')?.podId, 'pod-1');
    known = false;
    assert.deepEqual(md.process('7:1'), { upid: '7:1', pid: 7, cmdline: 'nginx', containerId: CID, podId: 'pod-1', containerName: 'web' });
    known = true;
    md.process('8:1');
    known = false;
    assert.equal(md.process('7:1')?.podId, undefined, 'the cache holds one container: the older was evicted');
    assert.equal(md.process('8:1')?.podId, 'pod-2');
  });

  it('passes the time of IP lookups through to the cluster', () => {
    const seen: (bigint | undefined)[] = [];
    const timed = clusterWith(cluster, {
      podByIp: (ip, at) => (seen.push(at), cluster.podByIp(ip)),
      serviceByIp: (ip, at) => (seen.push(at), cluster.serviceByIp(ip)),
    });
    const md = new NodeMetadata(localWith([]), timed);
    assert.equal(md.podByIp('10.1.0.5', 5n), POD);
    assert.equal(md.serviceByIp('10.96.0.20', 6n), SVC);
    assert.equal(md.podByIp('10.1.0.5'), POD);
    assert.deepEqual(seen, [5n, 6n, undefined]);
  });

  it('takes node name and hostname from the local view, pods and services from the cluster', () => {
    const md = new NodeMetadata(localWith([]), cluster);
    assert.equal(md.nodeName, 'node-1');
    assert.equal(md.hostname, 'host-1');
    assert.equal(md.pod('pod-1'), POD);
    assert.equal(md.podByName('shop/web-0'), POD);
    assert.equal(md.podByIp('10.1.0.5'), POD);
    assert.equal(md.service('svc-1'), SVC);
    assert.equal(md.serviceByName('shop/web'), SVC);
    assert.equal(md.serviceByIp('10.96.0.20'), SVC);
  });
});
