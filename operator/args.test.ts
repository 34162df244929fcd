import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REGISTRY } from '../crds/kinds/vizier.js';
import { UsageError } from '../lib/cli.js';
import { parseOperatorArgs } from './command.js';

test('--registry reaches the controllers; unset, the default registry', () => {
  assert.deepStrictEqual(parseOperatorArgs(['--registry=mirror.local:5000/obs'], {}).settings, { registry: 'mirror.local:5000/obs' });
  assert.deepStrictEqual(parseOperatorArgs([], {}).settings, { registry: DEFAULT_REGISTRY });
});

test('--registry refuses a tag, a scheme or an empty value, naming the flag', () => {
  for (const bad of ['mirror.local/loupe:1.0', 'https://mirror.local', '']) {
    assert.throws(() => parseOperatorArgs([`--registry=${bad}`], {}), (err: unknown) => err instanceof UsageError && /^--registry: ".*" is not a registry and path/.test(err.message), bad);
  }
});
