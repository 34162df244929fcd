import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MemoryCluster } from '../../common/memory-cluster.test-util.js';
import { vizier } from '../fixtures.test-util.js';
import { pruneChildren } from './prune.js';

const VZ = vizier();
const labels = { 'app.kubernetes.io/name': 'vizier', 'app.kubernetes.io/instance': 'vz' };
const ref = (uid: string) => [{ apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', name: 'vz', uid, controller: true }];
const namespaced = (kind: string, apiVersion: string, name: string, uid = 'uid-1'): KubernetesObject => ({ apiVersion, kind, metadata: { name, namespace: 'obs', labels, ownerReferences: ref(uid) } });
const clusterRole = (name: string, owner: string): KubernetesObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels, annotations: { 'loupe.dev/owner': owner } } });

test('deletes only the children this Vizier owns that are no longer rendered', async () => {
  const c = new MemoryCluster();
  const kept = namespaced('Deployment', 'apps/v1', 'vz-kelvin');
  c.put(kept);
  c.put(namespaced('StatefulSet', 'apps/v1', 'vz-etcd'));
  c.put(namespaced('Service', 'v1', 'vz-etcd'));
  c.put(namespaced('ConfigMap', 'v1', 'vz-lookalike', 'uid-of-another-vizier'));
  c.put(clusterRole('loupe:obs:vz:old', 'obs/vz'));
  c.put(clusterRole('loupe:elsewhere:vz:metadata', 'elsewhere/vz'));

  const pruned = await pruneChildren(c.ctx(), VZ, [kept]);

  assert.equal(pruned, 3);
  assert.deepEqual(c.writes.sort(), ['delete ClusterRole/loupe:obs:vz:old', 'delete Service/vz-etcd', 'delete StatefulSet/vz-etcd']);
  assert.ok(c.find('ConfigMap', 'obs', 'vz-lookalike'), 'another owner\'s object stays');
  assert.ok(c.find('ClusterRole', '', 'loupe:elsewhere:vz:metadata'), 'the same name in another namespace stays');
});

test('a Service and a StatefulSet of the same name are different children', async () => {
  const c = new MemoryCluster();
  c.put(namespaced('Service', 'v1', 'vz-nats'));
  c.put(namespaced('StatefulSet', 'apps/v1', 'vz-nats'));
  await pruneChildren(c.ctx(), VZ, [namespaced('StatefulSet', 'apps/v1', 'vz-nats')]);
  assert.deepEqual(c.writes, ['delete Service/vz-nats']);
});
