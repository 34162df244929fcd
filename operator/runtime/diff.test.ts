import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { needsApply } from './diff.js';

const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'vz-kelvin',
    namespace: 'pl',
    uid: 'u-1',
    resourceVersion: '42',
    labels: { 'app.kubernetes.io/name': 'loupe', 'app.kubernetes.io/component': 'kelvin', extra: 'kept' },
    annotations: { 'deployment.kubernetes.io/revision': '3' },
    managedFields: [{ manager: 'loupe-operator', time: '2024-01-01T00:00:00Z' }],
  },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'kelvin',
            image: 'loupe/kelvin:1.0',
            imagePullPolicy: 'IfNotPresent',
            resources: { limits: { memory: '2Gi', cpu: '1' }, requests: { cpu: '100m' } },
            ports: [{ containerPort: 59300, protocol: 'TCP' }],
          },
        ],
      },
    },
  },
  status: { readyReplicas: 1 },
};

const desired = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'vz-kelvin',
    namespace: 'pl',
    labels: { 'app.kubernetes.io/name': 'loupe', 'app.kubernetes.io/component': 'kelvin' } as Record<string, string>,
    annotations: undefined as Record<string, string> | undefined,
  },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'kelvin',
            image: 'loupe/kelvin:1.0',
            resources: { limits: { memory: '2048Mi', cpu: 1 }, requests: { cpu: '0.1' } },
            ports: [{ containerPort: 59300 }],
          },
        ],
      },
    },
  },
};

function withChange(mutate: (d: typeof desired) => void): typeof desired {
  const copy = structuredClone(desired);
  mutate(copy);
  return copy;
}

describe('needsApply', () => {
  it('is true when the object does not exist', () => {
    assert.equal(needsApply(desired, undefined), true);
  });

  it('is false when every desired field already holds, whatever the server added', () => {
    assert.equal(needsApply(desired, live), false);
  });

  it('ignores apiVersion, kind and status', () => {
    assert.equal(needsApply({ ...desired, apiVersion: 'apps/v1beta2', kind: 'Other', status: { x: 1 } }, live), false);
  });

  it('is true when a scalar differs', () => {
    assert.equal(needsApply(withChange((d) => (d.spec.replicas = 2)), live), true);
    assert.equal(needsApply(withChange((d) => (d.spec.template.spec.containers[0].image = 'loupe/kelvin:1.1')), live), true);
  });

  it('is true when a desired label is missing or different', () => {
    assert.equal(needsApply(withChange((d) => (d.metadata.labels['app.kubernetes.io/part-of'] = 'loupe')), live), true);
    assert.equal(needsApply(withChange((d) => (d.metadata.labels['app.kubernetes.io/component'] = 'pem')), live), true);
  });

  it('is true when a desired annotation is missing', () => {
    assert.equal(needsApply(withChange((d) => (d.metadata.annotations = { 'loupe.dev/owner': 'pl/vz' })), live), true);
  });

  it('is true when a list has a different length', () => {
    const d = withChange((x) => x.spec.template.spec.containers[0].ports.push({ containerPort: 50300 }));
    assert.equal(needsApply(d, live), true);
  });

  it('compares quantities by amount', () => {
    assert.equal(needsApply(withChange((d) => (d.spec.template.spec.containers[0].resources.limits.memory = '1Gi')), live), true);
    assert.equal(needsApply(withChange((d) => (d.spec.template.spec.containers[0].resources.limits.memory = '2147483648')), live), false);
  });

  it('treats a desired null as absent', () => {
    assert.equal(needsApply({ metadata: { name: 'vz-kelvin', deletionTimestamp: null } }, live), false);
  });

  it('is true when a desired object meets a scalar or a list', () => {
    assert.equal(needsApply({ spec: { replicas: { value: 1 } } }, live), true);
    assert.equal(needsApply({ spec: { template: [] } }, live), true);
  });
});
