import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthServer } from '../../lib/health-server.js';
import { RuntimeMetrics } from './metrics.js';

describe('RuntimeMetrics', () => {
  const metrics = new RuntimeMetrics();
  const server = new HealthServer({ port: 0, registry: metrics.registry, readiness: () => ({ ready: true, detail: 'standby' }) });
  let port = 0;

  before(async () => {
    port = await server.start();
  });
  after(() => server.close());

  it("are what the operator's /metrics serves, with the process metrics", async () => {
    metrics.countWrite('apply', 'Deployment');
    metrics.workQueueMetrics('vizier').depth(3);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const body = await res.text();
    assert.equal(res.status, 200);
    assert.match(body, /loupe_api_writes_total\{verb="apply",kind="Deployment"\} 1/);
    assert.match(body, /loupe_workqueue_depth\{controller="vizier"\} 3/);
    assert.match(body, /# TYPE loupe_reconcile_duration_seconds histogram/);
    assert.match(body, /process_resident_memory_bytes/);
  });

  it('keeps separate counts per instance, so two managers in one process do not mix', async () => {
    const a = new RuntimeMetrics();
    const b = new RuntimeMetrics();
    a.countWrite('delete', 'Pod');
    assert.match(await a.registry.metrics(), /loupe_api_writes_total\{verb="delete",kind="Pod"\} 1/);
    assert.doesNotMatch(await b.registry.metrics(), /loupe_api_writes_total\{/);
  });
});
