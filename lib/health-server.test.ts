import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { HealthServer, type Readiness } from './health-server.js';

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('HealthServer', () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'loupe_test_requests_total', help: 'Requests by kind.', labelNames: ['kind'], registers: [registry] });
  let readiness: Readiness = { ready: false, detail: 'waiting for caches to sync' };
  const server = new HealthServer({ port: 0, registry, readiness: () => readiness });
  let port = 0;

  before(async () => {
    port = await server.start();
  });
  after(() => server.close());

  it('listens on a free loopback port when asked for port 0', () => {
    assert.ok(port > 0);
    assert.equal(server.port, port);
  });

  it('answers /healthz while the process runs', async () => {
    assert.deepEqual(await get(port, '/healthz'), { status: 200, body: 'ok\n' });
  });

  it('reports /readyz from the readiness callback, with its reason', async () => {
    assert.deepEqual(await get(port, '/readyz'), { status: 503, body: 'not ready: waiting for caches to sync\n' });
    readiness = { ready: true, detail: 'standby' };
    assert.deepEqual(await get(port, '/readyz'), { status: 200, body: 'ok: standby\n' });
  });

  it("serves the registry's metrics and the process metrics on /metrics", async () => {
    requests.inc({ kind: 'scan' });
    const { status, body } = await get(port, '/metrics');
    assert.equal(status, 200);
    assert.match(body, /^loupe_test_requests_total\{kind="scan"\} 1$/m);
    assert.match(body, /process_resident_memory_bytes/);
  });

  it('answers unknown paths with 404', async () => {
    assert.equal((await get(port, '/nope')).status, 404);
  });

  it('closes, and closing twice is harmless', async () => {
    const other = new HealthServer({ port: 0, registry, readiness: () => readiness });
    const p = await other.start();
    await other.close();
    await other.close();
    await assert.rejects(fetch(`http://127.0.0.1:${p}/healthz`));
  });
});
