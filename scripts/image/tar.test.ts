import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, linkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTar, type TarEntry } from './tar.js';
import { treeEntries } from './tree.js';

const long = `${'deep/'.repeat(30)}file.txt`;
const entries: TarEntry[] = [
  { kind: 'dir', path: 'etc', mode: 0o755, uid: 0, gid: 0 },
  { kind: 'file', path: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, data: Buffer.from('root:x:0:0::/:/x\n') },
  { kind: 'file', path: 'run-me', mode: 0o4755, uid: 65532, gid: 65532, data: Buffer.alloc(1000, 7) },
  { kind: 'symlink', path: 'lib64', target: `/${'t'.repeat(120)}`, uid: 0, gid: 0 },
  { kind: 'hardlink', path: 'again', target: 'run-me', mode: 0o4755, uid: 65532, gid: 65532 },
  { kind: 'file', path: long, mode: 0o600, uid: 0, gid: 0, data: Buffer.from('x') },
];

function extract(archive: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-tar-'));
  writeFileSync(join(dir, 'a.tar'), archive);
  mkdirSync(join(dir, 'out'));
  const r = spawnSync('tar', ['-xpf', join(dir, 'a.tar'), '-C', join(dir, 'out'), '--numeric-owner'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return join(dir, 'out');
}

test('GNU tar reads back every kind of entry: modes with setuid, owners, a fixed mtime, a symlink and a path past ustar\'s 100 bytes, a hard link', () => {
  const out = extract(writeTar(entries, 1_700_000_000));
  try {
    assert.equal(readFileSync(join(out, 'etc/passwd'), 'utf8'), 'root:x:0:0::/:/x\n');
    const exe = lstatSync(join(out, 'run-me'));
    assert.equal(exe.mode & 0o7777, 0o4755);
    assert.equal(exe.size, 1000);
    assert.equal(exe.mtimeMs, 1_700_000_000_000);
    assert.equal(readlinkSync(join(out, 'lib64')), `/${'t'.repeat(120)}`);
    assert.equal(lstatSync(join(out, 'again')).ino, exe.ino);
    assert.equal(readFileSync(join(out, long), 'utf8'), 'x');
    if (process.getuid?.() === 0) assert.equal(exe.uid, 65532);
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});

test('a folder gives the same tar whatever order its files were created in, and whatever their mtimes and modes say when owners are normalized', () => {
  const make = (order: string[], mode: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-tree-'));
    for (const name of order) {
      writeFileSync(join(dir, name), name);
      chmodSync(join(dir, name), name === 'b' ? mode | 0o100 : mode);
    }
    mkdirSync(join(dir, 'sub'));
    symlinkSync('../a', join(dir, 'sub', 'link'));
    linkSync(join(dir, 'c'), join(dir, 'sub', 'c-again'));
    return dir;
  };
  const one = make(['a', 'b', 'c'], 0o600);
  const two = make(['c', 'a', 'b'], 0o664);
  try {
    const tarOf = (d: string) => writeTar(treeEntries(d, { prefix: 'opt/x', owners: 'normalize' }), 1);
    assert.deepEqual(tarOf(one), tarOf(two));
    const listed = treeEntries(one, { prefix: 'opt/x', owners: 'normalize' }).map((e) => `${e.kind} ${e.path} ${'mode' in e ? e.mode.toString(8) : ''}`);
    assert.deepEqual(listed, ['dir opt/x 755', 'file opt/x/a 644', 'file opt/x/b 755', 'file opt/x/c 644', 'dir opt/x/sub 755', 'hardlink opt/x/sub/c-again 644', 'symlink opt/x/sub/link ']);
  } finally {
    rmSync(one, { recursive: true, force: true });
    rmSync(two, { recursive: true, force: true });
  }
});
