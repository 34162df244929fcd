import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Assessment } from '../assess.js';
import { vizier } from '../fixtures.test-util.js';
import { FINDINGS_RECHECK_MS, requeueAfterMs } from './requeue.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const DAY = 86_400_000;

function assessment(over: Partial<Assessment> = {}): Assessment {
  return { phase: 'Healthy', reason: 'Healthy', message: '', conditions: [], findings: [], status: {}, natsPodsToRestart: [], ...over };
}
const base = { vizier: vizier({ updateTimeoutSeconds: 600 }), natsPods: true, now: NOW };

test('a healthy Vizier without a certificate to watch is not requeued', () => {
  assert.equal(requeueAfterMs({ ...base, assessment: assessment() }), undefined);
});

test('a rollout wakes up just after its deadline', () => {
  const rollout = { targetVersion: '0.2.0', fromVersion: '0.1.0', startedAt: new Date(NOW.getTime() - 100_000).toISOString() };
  assert.equal(requeueAfterMs({ ...base, assessment: assessment({ phase: 'Updating', status: { rollout } }) }), 500_000 + 1000);
});

test('findings are looked at again every minute', () => {
  const findings = [{ reason: 'PEMsCrashLooping', message: '', stalls: false }];
  assert.equal(requeueAfterMs({ ...base, assessment: assessment({ phase: 'Degraded', findings }) }), FINDINGS_RECHECK_MS);
});

test('a NATS restart is looked at again when its backoff ends, unless the Vizier is healthy', () => {
  const natsRestartedAt = new Date(NOW.getTime() - 45_000).toISOString();
  assert.equal(requeueAfterMs({ ...base, natsRestartedAt, assessment: assessment({ phase: 'Pending' }) }), 15_000 + 500);
  assert.equal(requeueAfterMs({ ...base, natsRestartedAt, assessment: assessment() }), undefined);
  assert.equal(requeueAfterMs({ ...base, natsRestartedAt, natsPods: false, assessment: assessment({ phase: 'Pending' }) }), undefined);
});

test('the certificate is looked at again when it enters the 30-day rotation window, at most once a minute, at most setTimeout\'s limit', () => {
  const in40Days = new Date(NOW.getTime() + 40 * DAY).toISOString();
  assert.equal(requeueAfterMs({ ...base, tlsNotAfter: in40Days, assessment: assessment() }), 10 * DAY);
  const in300Days = new Date(NOW.getTime() + 300 * DAY).toISOString();
  assert.equal(requeueAfterMs({ ...base, tlsNotAfter: in300Days, assessment: assessment() }), 2 ** 31 - 1);
  const in31Days = new Date(NOW.getTime() + 31 * DAY).toISOString();
  assert.equal(requeueAfterMs({ ...base, tlsNotAfter: in31Days, assessment: assessment() }), DAY);
  const due = new Date(NOW.getTime() + 5 * DAY).toISOString();
  assert.equal(requeueAfterMs({ ...base, tlsNotAfter: due, assessment: assessment() }), 60_000);
});
