import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planVersions, observeWorkload, type WorkloadObservation } from './rollout.js';
import { componentsOf, type Component } from './components.js';
import { vizier } from './fixtures.test-util.js';

const present = componentsOf(vizier({ cloud: { address: 'c:1', deployKeySecretRef: { name: 'k' } } }).spec);
const obs = (version: string, ready = true): WorkloadObservation => ({ kind: 'Deployment', version, desired: 1, ready: ready ? 1 : 0, settled: ready });
const all = (f: (c: Component) => WorkloadObservation) => new Map([...present.keys()].map((c) => [c, f(c)]));

test('a fresh install starts every component at the target version', () => {
  const v = planVersions('0.2.0', present, new Map());
  for (const c of present.keys()) assert.equal(v[c], '0.2.0');
});

test('an upgrade moves one tier at a time, waiting for the previous tier to be ready', () => {
  let observed = all(() => obs('0.1.0'));
  let v = planVersions('0.2.0', present, observed);
  assert.deepEqual([v.nats, v.metadata, v.kelvin, v['cloud-connector'], v.pem], ['0.2.0', '0.1.0', '0.1.0', '0.1.0', '0.1.0']);
  observed.set('nats', obs('0.2.0', false));
  assert.equal(planVersions('0.2.0', present, observed).metadata, '0.1.0', 'waits while NATS is not ready');
  observed.set('nats', obs('0.2.0'));
  v = planVersions('0.2.0', present, observed);
  assert.equal(v.metadata, '0.2.0');
  assert.equal(v.kelvin, '0.1.0');
  observed = all((c) => (c === 'pem' ? obs('0.1.0') : obs('0.2.0')));
  assert.equal(planVersions('0.2.0', present, observed).pem, '0.2.0');
});

test('a component that disappears mid-rollout is recreated at the target', () => {
  const observed = all(() => obs('0.1.0'));
  observed.delete('kelvin');
  assert.equal(planVersions('0.2.0', present, observed).kelvin, '0.2.0');
});

test('workload observation: a DaemonSet is settled only when every scheduled pod is updated', () => {
  const ds = { kind: 'DaemonSet', metadata: { generation: 2, labels: { 'app.kubernetes.io/version': '0.1.0' } }, status: { observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 2, currentNumberScheduled: 3, numberMisscheduled: 0 } };
  assert.deepEqual(observeWorkload(ds), { kind: 'DaemonSet', version: '0.1.0', desired: 3, ready: 3, settled: false });
  const dep = { kind: 'Deployment', metadata: { generation: 3 }, spec: { replicas: 2, selector: {}, template: {} }, status: { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, replicas: 2 } };
  assert.equal(observeWorkload(dep as never).settled, false, 'controller has not seen generation 3');
});
