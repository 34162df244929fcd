// In the bpf tier with the other tests that need the built addon (`make native`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from './index.js';

test('the addon was compiled against the headers of the Node that runs it (build.sh takes the pinned Node\'s)', () => {
  assert.equal(loadAddon().nodeHeaders, process.versions.node, 'rebuild the addon: bash native-bpf/build.sh');
});
