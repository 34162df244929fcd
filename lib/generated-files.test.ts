import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesUnder, staleFiles, writeGeneratedFiles } from './generated-files.js';

test('a generated file is stale when missing, different, or owned but no longer rendered; writing fixes exactly those', () => {
  const root = mkdtempSync(join(tmpdir(), 'loupe-gen-'));
  try {
    mkdirSync(join(root, 'out', 'sub'), { recursive: true });
    writeFileSync(join(root, 'out', 'same.yaml'), 'a\n');
    writeFileSync(join(root, 'out', 'old.yaml'), 'b\n');
    writeFileSync(join(root, 'out', 'sub', 'gone.yaml'), 'c\n');
    writeFileSync(join(root, 'keep.md'), 'not owned\n');
    const want = new Map([['out/same.yaml', 'a\n'], ['out/old.yaml', 'B\n'], ['out/new/x.yaml', 'x\n']]);
    const owned = filesUnder(root, 'out');
    assert.deepEqual(owned.sort(), ['out/old.yaml', 'out/same.yaml', 'out/sub/gone.yaml']);
    assert.deepEqual(staleFiles(root, want, owned), ['out/old.yaml', 'out/new/x.yaml', 'out/sub/gone.yaml']);
    writeGeneratedFiles(root, want, owned);
    assert.deepEqual(staleFiles(root, want, filesUnder(root, 'out')), []);
    assert.equal(readFileSync(join(root, 'out', 'old.yaml'), 'utf8'), 'B\n');
    assert.equal(existsSync(join(root, 'out', 'sub', 'gone.yaml')), false);
    assert.equal(readFileSync(join(root, 'keep.md'), 'utf8'), 'not owned\n', 'a file the generator does not own stays');
    assert.deepEqual(filesUnder(root, 'nowhere'), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
