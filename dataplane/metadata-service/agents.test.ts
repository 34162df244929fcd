import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentState } from '../query/agent-registry.js';
import { AgentDirectory } from './agents.js';
import { MemoryStore } from './storage.js';

const quiet = { warn: () => undefined, error: () => undefined };
const pem = (lastSeen: number, over: Partial<AgentState> = {}): AgentState => ({ id: 'pem-node-1-42-abc', kind: 'pem', address: '10.0.0.7:50300', hostname: 'node-1', tables: [], protocolVersion: 1, lastSeen, ...over });

describe('the metadata service agent registry', () => {
  it('writes a new agent at once, then its heartbeat at most every persistEveryMs, and a change at once', async () => {
    const store = new MemoryStore();
    const dir = new AgentDirectory(store, { log: quiet, persistEveryMs: 30_000 });
    dir.heard(pem(1_000));
    await dir.flush();
    const stored = () => store.get('agents/pem-node-1-42-abc').then((v) => JSON.parse(v!) as { lastHeartbeat: number; address: string; firstSeen: number });
    assert.equal((await stored()).lastHeartbeat, 1_000);
    dir.heard(pem(6_000));
    await new Promise((r) => setImmediate(r));
    assert.equal((await stored()).lastHeartbeat, 1_000, 'a heartbeat 5 s later is not written yet');
    dir.heard(pem(31_000));
    dir.heard(pem(32_000, { address: '10.0.0.8:50300' }));
    await new Promise((r) => setImmediate(r));
    const now = await stored();
    assert.deepEqual([now.lastHeartbeat, now.address, now.firstSeen], [32_000, '10.0.0.8:50300', 1_000]);
  });

  it('a new directory on the same store has every agent back, goodbyes included', async () => {
    const store = new MemoryStore();
    const first = new AgentDirectory(store, { log: quiet, now: () => 50_000 });
    first.heard(pem(1_000));
    first.heard(pem(2_000, { id: 'kelvin-x-1-abc', kind: 'kelvin', hostname: 'host-k' }));
    first.gone('kelvin-x-1-abc');
    first.heard(pem(9_000));
    await first.flush();
    const second = new AgentDirectory(store, { log: quiet, now: () => 60_000 });
    assert.equal(await second.load(), 2);
    assert.deepEqual(second.list().map((a) => [a.id, a.kind, a.node, a.lastHeartbeat, a.goneAt]), [
      ['kelvin-x-1-abc', 'kelvin', 'host-k', 2_000, 50_000],
      ['pem-node-1-42-abc', 'pem', 'node-1', 9_000, undefined],
    ]);
  });

  it('forgets agents silent past forgetAfterMs, in the store too; skips records that do not parse', async () => {
    const store = new MemoryStore();
    await store.put('agents/junk', '{"id":1}');
    let now = 1_000;
    const dir = new AgentDirectory(store, { log: quiet, now: () => now, forgetAfterMs: 10_000 });
    assert.equal(await dir.load(), 0);
    dir.heard(pem(1_000));
    await dir.flush();
    now = 12_000;
    assert.deepEqual(dir.list(), []);
    await dir.flush();
    assert.equal(await store.get('agents/pem-node-1-42-abc'), undefined);
  });

  it('a failing store is counted and reported unhealthy, and healthy again after a good write', async () => {
    const store = new MemoryStore();
    let fail = true;
    const put = store.put.bind(store);
    store.put = async (k, v) => {
      if (fail) throw new Error('disk full');
      return put(k, v);
    };
    const dir = new AgentDirectory(store, { log: quiet });
    dir.heard(pem(1_000));
    await dir.flush();
    assert.deepEqual([dir.storeErrors, dir.storeHealthy], [1, false]);
    fail = false;
    dir.heard(pem(2_000, { address: 'changed:1' }));
    await dir.flush();
    assert.deepEqual([dir.storeErrors, dir.storeHealthy], [1, true]);
  });
});
