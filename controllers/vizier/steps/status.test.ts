import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MemoryCluster } from '../../common/memory-cluster.test-util.js';
import type { Assessment } from '../assess.js';
import { vizier } from '../fixtures.test-util.js';
import { nextStatus, writeStatus } from './status.js';
import type { Vizier } from '../../../crds/kinds/vizier.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const LATER = new Date('2026-11-22T10:05:00Z');

function assessment(phase: Assessment['phase'], ready: 'True' | 'False', reason: string, message: string): Assessment {
  return {
    phase,
    reason,
    message,
    conditions: [{ type: 'Ready', status: ready, reason, message }],
    findings: [],
    status: { pems: '1/1', components: {} },
    natsPodsToRestart: [],
  };
}
const healthy = assessment('Healthy', 'True', 'AllComponentsReady', 'all ready');
const degraded = assessment('Degraded', 'False', 'PEMsOOMKilled', '1 pem pod OOMKilled');

test('the next status carries observedGeneration, drops absent fields and keeps lastTransitionTime while a condition holds', () => {
  const first = nextStatus(vizier({}, { generation: 3 }), healthy, { tlsNotAfter: undefined }, NOW);
  assert.equal(first.observedGeneration, 3);
  assert.ok(!('tlsNotAfter' in first));
  assert.equal(first.conditions![0]!.lastTransitionTime, NOW.toISOString());
  const again = nextStatus(vizier({}, { generation: 4 }, first), { ...healthy, message: 'all ready again' }, {}, LATER);
  assert.equal(again.conditions![0]!.lastTransitionTime, NOW.toISOString(), 'status did not change');
  assert.equal(again.conditions![0]!.observedGeneration, 4);
  const flipped = nextStatus(vizier({}, {}, first), degraded, { natsRestartedAt: NOW.toISOString() }, LATER);
  assert.equal(flipped.conditions![0]!.lastTransitionTime, LATER.toISOString());
  assert.equal(flipped.natsRestartedAt, NOW.toISOString());
});

function clusterWith(vz: Vizier): MemoryCluster {
  const c = new MemoryCluster();
  c.put(vz as KubernetesObject);
  return c;
}

test('writes only what changed, and nothing when nothing did', async () => {
  const stored = nextStatus(vizier(), healthy, {}, NOW);
  const vz = vizier({}, {}, stored);
  const c = clusterWith(vz);
  assert.equal(await writeStatus(c.ctx(), vz, nextStatus(vz, healthy, {}, LATER), healthy), false);
  assert.deepEqual(c.writes, []);
  assert.equal(await writeStatus(c.ctx(), vz, nextStatus(vz, healthy, { tlsNotAfter: '2027-01-01T00:00:00.000Z' }, LATER), healthy), true);
  assert.deepEqual(c.writes, ['status vz']);
  assert.equal((c.find('Vizier', 'obs', 'vz') as unknown as Vizier).status!.tlsNotAfter, '2027-01-01T00:00:00.000Z');
  assert.deepEqual(c.events, [], 'no Event without a phase change');
});

test('a phase change records an Event: Warning for Degraded, Normal for Healthy', async () => {
  const vz = vizier({}, {}, nextStatus(vizier(), healthy, {}, NOW));
  const c = clusterWith(vz);
  await writeStatus(c.ctx(), vz, nextStatus(vz, degraded, {}, LATER), degraded);
  const back = vizier({}, {}, nextStatus(vz, degraded, {}, LATER));
  await writeStatus(c.ctx(), back, nextStatus(back, healthy, {}, LATER), healthy);
  assert.deepEqual(c.events, [
    { type: 'Warning', reason: 'PEMsOOMKilled', message: '1 pem pod OOMKilled' },
    { type: 'Normal', reason: 'AllComponentsReady', message: 'all ready' },
  ]);
});
