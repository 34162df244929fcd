import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceLog, SnapshotPager, type LogEntry } from './delta-log.js';

const pod = (uid: string, phase = 'Running') => ({ metadata: { uid, name: uid, namespace: 'ns' }, status: { phase } });
const parsed = (e: LogEntry) => ({ seq: e.seq, type: e.type, object: JSON.parse(e.json) as { metadata: { uid: string; resourceVersion: string } } });

describe('the metadata service delta log', () => {
  it('stamps each change with EPOCH.SEQ and skips upserts that change nothing', () => {
    const log = new ResourceLog('e1');
    assert.equal(log.resourceVersion, 'e1.0');
    const a = parsed(log.upsert('a', pod('a'))!);
    assert.deepEqual([a.seq, a.type, a.object.metadata.resourceVersion], [1, 'ADDED', 'e1.1']);
    assert.equal(log.upsert('a', { ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: 'api-99' } }), undefined, 'only the resourceVersion differs');
    const m = parsed(log.upsert('a', pod('a', 'Succeeded'))!);
    assert.deepEqual([m.seq, m.type], [2, 'MODIFIED']);
    const d = parsed(log.remove('a')!);
    assert.deepEqual([d.seq, d.type, d.object.metadata.uid], [3, 'DELETED', 'a']);
    assert.equal(log.remove('a'), undefined);
    assert.equal(log.size, 0);
  });

  it('turns a re-list into the deletions, additions and changes it implies', () => {
    const log = new ResourceLog('e1');
    log.upsert('a', pod('a'));
    log.upsert('b', pod('b'));
    const events = log.replace(new Map([['b', pod('b', 'Failed')], ['c', pod('c')]])).map(parsed);
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.uid]), [['DELETED', 'a'], ['MODIFIED', 'b'], ['ADDED', 'c']]);
    assert.deepEqual(log.replace(new Map([['b', pod('b', 'Failed')], ['c', pod('c')]])), [], 'the same list again changes nothing');
  });

  it('gives the changes after a version, and 410 for versions it no longer holds, of another run, or ahead', () => {
    const log = new ResourceLog('e1', 3);
    for (const uid of ['a', 'b', 'c', 'd', 'e']) log.upsert(uid, pod(uid));
    assert.equal(log.resourceVersion, 'e1.5');
    const since = (rv: string) => {
      const r = log.since(rv);
      return 'gone' in r ? r.gone : r.map((e) => e.seq);
    };
    assert.deepEqual(since('e1.2'), [3, 4, 5], 'the oldest version it can continue from');
    assert.deepEqual(since('e1.4'), [5]);
    assert.deepEqual(since('e1.5'), []);
    assert.match(since('e1.1') as string, /too old: the metadata service keeps changes from e1\.3 on; list again/);
    assert.match(since('e0.5') as string, /earlier run of the metadata service \(now e1\)/);
    assert.match(since('e1.9') as string, /ahead of the metadata service \(at e1\.5\)/);
    assert.match(since('48213') as string, /not one of this metadata service's/);
  });

  it('snapshots objects ordered by key at the current version', () => {
    const log = new ResourceLog('e1');
    log.upsert('b', pod('b'));
    log.upsert('a', pod('a'));
    const snap = log.snapshot();
    assert.equal(snap.resourceVersion, 'e1.2');
    assert.deepEqual(snap.items.map((j) => (JSON.parse(j) as { metadata: { uid: string } }).metadata.uid), ['a', 'b']);
  });
});

describe('snapshot pages', () => {
  const uids = (items: readonly string[]) => items.map((j) => (JSON.parse(j) as { metadata: { uid: string } }).metadata.uid);

  it('pages one frozen snapshot: changes between pages neither repeat nor drop objects', () => {
    const log = new ResourceLog('e1');
    for (const uid of ['a', 'b', 'c', 'd', 'e']) log.upsert(uid, pod(uid));
    const pager = new SnapshotPager();
    const first = pager.page(log, 2, undefined, 1 << 20);
    assert.ok(!('gone' in first));
    assert.deepEqual(uids(first.items), ['a', 'b']);
    log.remove('a');
    log.upsert('c2', pod('c2'));
    const second = pager.page(log, 2, first.continue, 1 << 20);
    assert.ok(!('gone' in second));
    assert.deepEqual(uids(second.items), ['c', 'd']);
    assert.equal(second.resourceVersion, 'e1.5', 'every page is at the first page\'s version');
    const third = pager.page(log, 2, second.continue, 1 << 20);
    assert.ok(!('gone' in third));
    assert.deepEqual(uids(third.items), ['e']);
    assert.equal(third.continue, undefined);
    assert.ok('gone' in pager.page(log, 2, second.continue, 1 << 20), 'a finished listing is forgotten');
  });

  it('ends a page before the byte budget, never with no object, and expires continue tokens', () => {
    let now = 0;
    const log = new ResourceLog('e1');
    for (const uid of ['a', 'b', 'c']) log.upsert(uid, pod(uid));
    const one = log.snapshot().items[0]!.length;
    const pager = new SnapshotPager({ ttlMs: 1000, now: () => now });
    const p = pager.page(log, 0, undefined, one * 2 + 1);
    assert.ok(!('gone' in p));
    assert.equal(p.items.length, 2);
    const tiny = pager.page(log, 0, undefined, 1);
    assert.ok(!('gone' in tiny));
    assert.equal(tiny.items.length, 1);
    now = 1001;
    const expired = pager.page(log, 0, p.continue, 1 << 20);
    assert.ok('gone' in expired);
    assert.match(expired.gone, /expired or unknown; list again from the start/);
  });
});
