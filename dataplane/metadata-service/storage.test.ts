import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileStore, MemoryStore, type MetadataStore } from './storage.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'loupe-md-store-'));
  dirs.push(d);
  return d;
}

async function roundTrip(store: MetadataStore): Promise<void> {
  assert.equal(await store.get('agents/a'), undefined);
  await store.put('agents/a', '{"id":"a"}');
  await store.put('agents/b', 'B');
  await store.put('other/x', 'X');
  await store.put('agents/a', '{"id":"a","v":2}');
  assert.equal(await store.get('agents/a'), '{"id":"a","v":2}');
  assert.deepEqual([...await store.list('agents/')], [['agents/a', '{"id":"a","v":2}'], ['agents/b', 'B']]);
  await store.delete('agents/b');
  await store.delete('agents/never');
  assert.deepEqual([...(await store.list('agents/')).keys()], ['agents/a']);
  await assert.rejects(store.put('../escape', 'x'), /key "\.\.\/escape": use letters, digits/);
}

describe('metadata stores', () => {
  it('memory: put, get, list by prefix, delete', async () => {
    await roundTrip(new MemoryStore());
  });

  it('files: the same, and what one store wrote another opened on the same directory reads', async () => {
    const dir = await scratch();
    await roundTrip(await FileStore.open(dir));
    const again = await FileStore.open(dir);
    assert.equal(await again.get('agents/a'), '{"id":"a","v":2}');
    assert.deepEqual((await readdir(join(dir, 'agents'))).sort(), ['a'], 'no temporary files left behind');
  });

  it('files: a temporary file from a crashed write is not a key', async () => {
    const dir = await scratch();
    const store = await FileStore.open(dir);
    await store.put('agents/a', 'A');
    await writeFile(join(dir, 'agents', 'a.123.tmp'), 'half');
    assert.deepEqual([...(await store.list('agents/')).keys()], ['agents/a']);
  });

  it('files: an unwritable directory is refused at open, naming it', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'file'), '');
    await assert.rejects(FileStore.open(join(dir, 'file', 'sub')), new RegExp(`cannot write the metadata store in ${join(dir, 'file', 'sub')}: .*; mount a writable volume there or pass --data-dir DIR`));
  });
});
