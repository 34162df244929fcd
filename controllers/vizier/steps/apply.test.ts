import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ApiError } from '../../../lib/kube/api-error.js';
import { MemoryCluster } from '../../common/memory-cluster.test-util.js';
import { vizier } from '../fixtures.test-util.js';
import { applyChildren } from './apply.js';

const VZ = vizier();
const owner = { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', name: 'vz', uid: 'uid-1', controller: true };
const configMap = (name: string, data: Record<string, string>, ownerReferences = [owner]): KubernetesObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'obs', labels: { 'app.kubernetes.io/instance': 'vz' }, ownerReferences }, data }) as KubernetesObject;
const statefulSet = (replicas: number): KubernetesObject =>
  ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'vz-nats', namespace: 'obs', ownerReferences: [owner] }, spec: { replicas } }) as KubernetesObject;
const refusal = (status: number, message: string) => new ApiError(status, 'Invalid', 'x', message, [], 'apply');

test('applies what is missing or different and skips what is already up to date', async () => {
  const c = new MemoryCluster();
  const first = await applyChildren(c.ctx(), VZ, [configMap('a', { v: '1' }), configMap('b', { v: '1' })]);
  assert.deepEqual(first, { applied: 2, failures: [] });
  c.writes = [];
  const second = await applyChildren(c.ctx(), VZ, [configMap('a', { v: '1' }), configMap('b', { v: '2' })]);
  assert.deepEqual(second, { applied: 1, failures: [] });
  assert.deepEqual(c.writes, ['apply ConfigMap/b']);
});

test('an object of the same name controlled by another owner is reported, not taken over', async () => {
  const c = new MemoryCluster();
  c.put(configMap('a', { theirs: 'yes' }, [{ ...owner, name: 'vz-other', uid: 'uid-other' }]));
  const r = await applyChildren(c.ctx(), VZ, [configMap('a', { v: '1' })]);
  assert.deepEqual(r.failures, [{ kind: 'ConfigMap', name: 'a', message: "already belongs to Vizier vz-other; rename one of the two so their children's names differ" }]);
  assert.deepEqual(c.writes, []);
});

test('a child the API server refuses is reported with its message while the others are applied', async () => {
  const c = new MemoryCluster();
  c.failures.set('apply ConfigMap/a', refusal(422, 'data[bad key]: Invalid value'));
  const r = await applyChildren(c.ctx(), VZ, [configMap('a', { v: '1' }), configMap('b', { v: '1' })]);
  assert.deepEqual(r, { applied: 1, failures: [{ kind: 'ConfigMap', name: 'a', message: 'data[bad key]: Invalid value' }] });
});

test('conflicts, throttling and server errors are thrown so the reconcile is retried', async () => {
  for (const status of [409, 429, 500]) {
    const c = new MemoryCluster();
    c.failures.set('apply ConfigMap/a', refusal(status, 'try again'));
    await assert.rejects(applyChildren(c.ctx(), VZ, [configMap('a', { v: '1' })]), ApiError, `status ${status}`);
  }
});

test('a StatefulSet change the API server calls immutable recreates it, orphaning its pods', async () => {
  const c = new MemoryCluster();
  await applyChildren(c.ctx(), VZ, [statefulSet(1)]);
  c.writes = [];
  c.failures.set('apply StatefulSet/vz-nats', refusal(422, 'StatefulSet.apps "vz-nats" is invalid: spec: Forbidden: updates to statefulset spec for fields other than \'replicas\' are forbidden'));
  const r = await applyChildren(c.ctx(), VZ, [statefulSet(3)]);
  assert.deepEqual(r, { applied: 1, failures: [] });
  assert.deepEqual(c.writes, ['delete StatefulSet/vz-nats', 'apply StatefulSet/vz-nats']);
});
