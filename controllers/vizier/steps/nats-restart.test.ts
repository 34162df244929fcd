import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCluster } from '../../common/memory-cluster.test-util.js';
import { pod, vizier } from '../fixtures.test-util.js';
import { restartNatsPods } from './nats-restart.js';

test('deletes each named NATS pod with a Warning Event and reports the restart time', async () => {
  const c = new MemoryCluster();
  c.put(pod('nats', 'vz-nats-0'));
  const at = await restartNatsPods(c.ctx(), vizier(), ['vz-nats-0'], c.now);
  assert.equal(at, c.now.toISOString());
  assert.deepEqual(c.writes, ['delete Pod/vz-nats-0']);
  assert.deepEqual(c.events, [{ type: 'Warning', reason: 'NATSRestarted', message: 'restarted failing NATS pod vz-nats-0' }]);
});

test('with nothing to restart it writes nothing and keeps the last restart time', async () => {
  const c = new MemoryCluster();
  const earlier = '2026-11-22T09:00:00.000Z';
  assert.equal(await restartNatsPods(c.ctx(), vizier({}, {}, { natsRestartedAt: earlier }), [], c.now), earlier);
  assert.deepEqual(c.writes, []);
});
