import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ownerKeys } from './owners.js';
import type { ResourceType } from './types.js';

const VIZIER: ResourceType = { group: 'loupe.dev', version: 'v1alpha1', kind: 'Vizier', plural: 'viziers', namespaced: true };

function child(metadata: NonNullable<KubernetesObject['metadata']>): KubernetesObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata };
}

const ref = (over: Partial<{ apiVersion: string; kind: string; name: string; controller: boolean }> = {}) => ({
  apiVersion: 'loupe.dev/v1alpha1',
  kind: 'Vizier',
  name: 'vz',
  uid: 'u1',
  controller: true,
  ...over,
});

describe('ownerKeys', () => {
  it('follows the controller ownerReference of the primary kind, in the child namespace', () => {
    assert.deepEqual(ownerKeys(child({ name: 'vz-pem', namespace: 'pl', ownerReferences: [ref()] }), VIZIER), [{ namespace: 'pl', name: 'vz' }]);
  });

  it('matches the owner on group and kind whatever its version', () => {
    assert.deepEqual(ownerKeys(child({ name: 'vz-pem', namespace: 'pl', ownerReferences: [ref({ apiVersion: 'loupe.dev/v1' })] }), VIZIER), [{ namespace: 'pl', name: 'vz' }]);
  });

  it('ignores references that are not the controller or are of another kind', () => {
    const refs = [ref({ controller: false }), ref({ kind: 'Other', name: 'x' }), ref({ apiVersion: 'other.dev/v1alpha1' })];
    assert.deepEqual(ownerKeys(child({ name: 'vz-pem', namespace: 'pl', ownerReferences: refs }), VIZIER), []);
  });

  it('uses the loupe.dev/owner annotation of cluster-scoped children', () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'loupe-pl-vz', annotations: { 'loupe.dev/owner': 'pl/vz' } } };
    assert.deepEqual(ownerKeys(role, VIZIER), [{ namespace: 'pl', name: 'vz' }]);
  });

  it('maps a cluster-scoped owner to a key without namespace', () => {
    const clusterScoped = { ...VIZIER, namespaced: false };
    assert.deepEqual(ownerKeys(child({ name: 'x', namespace: 'pl', ownerReferences: [ref()] }), clusterScoped), [{ namespace: '', name: 'vz' }]);
  });

  it('finds no owner on an unrelated object', () => {
    assert.deepEqual(ownerKeys(child({ name: 'x', namespace: 'pl' }), VIZIER), []);
  });
});
