import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthServer, type Readiness } from './health.js';
import { RuntimeMetrics } from './metrics.js';

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('HealthServer', () => {
  const metrics = new RuntimeMetrics();
  let readiness: Readiness = { ready: false, detail: 'waiting for caches to sync' };
  const server = new HealthServer({ port: 0, registry: metrics.registry, readiness: () => readiness });
  let port = 0;

  before(async () => {
    port = await server.start();
  });
  after(() => server.close());

  it('listens on a free loopback port when asked for port 0', () => {
    assert.ok(port > 0);
  });

  it('answers /healthz while the process runs', async () => {
    assert.deepEqual(await get(port, '/healthz'), { status: 200, body: 'ok\n' });
  });

  it('reports /readyz from the readiness callback, with its reason', async () => {
    assert.deepEqual(await get(port, '/readyz'), { status: 503, body: 'not ready: waiting for caches to sync\n' });
    readiness = { ready: true, detail: 'standby' };
    assert.deepEqual(await get(port, '/readyz'), { status: 200, body: 'ok: standby\n' });
  });

  it('serves the runtime metrics and process metrics on /metrics', async () => {
    metrics.countWrite('apply', 'Deployment');
    metrics.workQueueMetrics('vizier').depth(3);
    const { status, body } = await get(port, '/metrics');
    assert.equal(status, 200);
    assert.match(body, /loupe_api_writes_total\{verb="apply",kind="Deployment"\} 1/);
    assert.match(body, /loupe_workqueue_depth\{controller="vizier"\} 3/);
    assert.match(body, /# TYPE loupe_reconcile_duration_seconds histogram/);
    assert.match(body, /process_resident_memory_bytes/);
  });

  it('answers unknown paths with 404', async () => {
    assert.equal((await get(port, '/nope')).status, 404);
  });
});

describe('RuntimeMetrics', () => {
  it('keeps separate counts per instance, so two managers in one process do not mix', async () => {
    const a = new RuntimeMetrics();
    const b = new RuntimeMetrics();
    a.countWrite('delete', 'Pod');
    assert.match(await a.registry.metrics(), /loupe_api_writes_total\{verb="delete",kind="Pod"\} 1/);
    assert.doesNotMatch(await b.registry.metrics(), /loupe_api_writes_total\{/);
  });
});
