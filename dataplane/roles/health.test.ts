import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readiness, roleRegistry } from './health.js';

describe('role readiness', () => {
  it('is ready when every check holds and says which ones still wait', () => {
    let nats = false;
    const checks = [['gRPC listening', () => true], ['NATS connected', () => nats], ['heard from an agent', () => false]] as const;
    assert.deepEqual(readiness(checks), { ready: false, detail: 'waiting for: NATS connected, heard from an agent' });
    nats = true;
    assert.deepEqual(readiness(checks.slice(0, 2)), { ready: true, detail: 'gRPC listening, NATS connected' });
  });

  it('exports loupe_ready with the role label', async () => {
    let ready = false;
    const registry = roleRegistry('kelvin', () => ({ ready, detail: '' }));
    assert.match(await registry.metrics(), /^loupe_ready\{role="kelvin"\} 0$/m);
    ready = true;
    assert.match(await registry.metrics(), /^loupe_ready\{role="kelvin"\} 1$/m);
  });
});
