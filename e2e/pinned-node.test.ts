// The loupe processes the harness starts (through bin/loupe, as a pod's command would) run on the
// Node package-lock.json pins, seen from outside: a role's own /metrics (nodejs_version_info).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinnedNodeHere } from '../scripts/pinned-node.js';
import { startLoupe } from './harness/loupe-process.js';
import { startNats } from './harness/nats.js';

test('a role the harness starts reports the pinned Node on its /metrics', async () => {
  const nats = await startNats();
  try {
    const broker = await startLoupe(['query-broker', '--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0']);
    try {
      const metrics = await (await fetch(`http://${broker.health}/metrics`)).text();
      const version = /^nodejs_version_info\{version="([^"]+)"/m.exec(metrics)?.[1];
      assert.equal(version, `v${pinnedNodeHere().version}`, metrics);
    } finally {
      await broker.stop();
    }
  } finally {
    await nats.stop();
  }
});
