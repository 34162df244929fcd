import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MemoryCluster } from '../../common/memory-cluster.test-util.js';
import { vizier } from '../fixtures.test-util.js';
import { metadataClusterRoleName } from '../render.js';
import { CLEANUP_FINALIZER, ensureFinalizer, finalize } from './finalizer.js';
import type { Vizier } from '../../../crds/kinds/vizier.js';

function withVizier(vz: Vizier): MemoryCluster {
  const c = new MemoryCluster();
  c.put(vz as KubernetesObject);
  return c;
}
const finalizersOf = (c: MemoryCluster) => c.find('Vizier', 'obs', 'vz')!.metadata!.finalizers;
const labels = (instance: string) => ({ 'app.kubernetes.io/name': 'vizier', 'app.kubernetes.io/instance': instance });

test('adds the cleanup finalizer next to the ones already there, and writes nothing once it is there', async () => {
  const c = withVizier(vizier({}, { finalizers: ['someone.else/keep'] }));
  await ensureFinalizer(c.ctx(), vizier({}, { finalizers: ['someone.else/keep'] }));
  assert.deepEqual(finalizersOf(c), ['someone.else/keep', CLEANUP_FINALIZER]);
  c.writes = [];
  await ensureFinalizer(c.ctx(), vizier({}, { finalizers: ['someone.else/keep', CLEANUP_FINALIZER] }));
  assert.deepEqual(c.writes, []);
});

test('on deletion: removes its volume claims and cluster-scoped children, not another Vizier\'s, then only its own finalizer', async () => {
  const deleting = vizier({}, { finalizers: ['someone.else/keep', CLEANUP_FINALIZER], deletionTimestamp: new Date() });
  const c = withVizier(deleting);
  const mine = { [`loupe.dev/owner`]: 'obs/vz' };
  c.put({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-vz-metadata-0', namespace: 'obs', labels: labels('vz') } });
  c.put({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-other-metadata-0', namespace: 'obs', labels: labels('other') } });
  c.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: metadataClusterRoleName('obs', 'vz'), labels: labels('vz'), annotations: mine } });
  c.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'renamed-binding', labels: labels('vz'), annotations: mine } });
  c.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'other-role', labels: labels('vz'), annotations: { 'loupe.dev/owner': 'elsewhere/vz' } } });

  await finalize(c.ctx(), deleting);

  assert.equal(c.find('PersistentVolumeClaim', 'obs', 'data-vz-metadata-0'), undefined);
  assert.ok(c.find('PersistentVolumeClaim', 'obs', 'data-other-metadata-0'), 'another instance keeps its claim');
  assert.equal(c.find('ClusterRole', '', metadataClusterRoleName('obs', 'vz')), undefined);
  assert.equal(c.find('ClusterRoleBinding', '', 'renamed-binding'), undefined, 'found through its owner annotation');
  assert.ok(c.find('ClusterRole', '', 'other-role'), 'a Vizier of the same name in another namespace keeps its role');
  assert.deepEqual(finalizersOf(c), ['someone.else/keep']);
  assert.equal(c.writes.at(-1), 'metadata vz', 'the finalizer goes last, after the cleanup');
});

test('a deleted Vizier without the cleanup finalizer is left alone', async () => {
  const deleting = vizier({}, { finalizers: ['someone.else/keep'], deletionTimestamp: new Date() });
  const c = withVizier(deleting);
  await finalize(c.ctx(), deleting);
  assert.deepEqual(c.writes, []);
});
