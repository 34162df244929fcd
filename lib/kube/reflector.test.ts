import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-error.js';
import { Reflector, type ListPage, type ListWatchSource, type WatchHandle } from './reflector.js';

interface Obj {
  metadata: { uid: string; resourceVersion: string };
  v: number;
}

const obj = (uid: string, rv: number, v = 0): Obj => ({ metadata: { uid, resourceVersion: String(rv) }, v });

interface ActiveWatch {
  resourceVersion: string;
  emit(type: string, object: unknown): void;
  end(err?: unknown): void;
  aborted: boolean;
}

/** A scriptable API server for one resource: the test sets the list and drives each watch. */
class FakeSource implements ListWatchSource {
  readonly name = 'widgets';
  items: Obj[] = [];
  resourceVersion = '100';
  /** Thrown (once each) by the next list calls. */
  listErrors: unknown[] = [];
  listCalls: { pageSize: number; continueToken: string | undefined }[] = [];
  watches: ActiveWatch[] = [];
  private waiters: (() => void)[] = [];

  async list(pageSize: number, continueToken: string | undefined): Promise<ListPage> {
    this.listCalls.push({ pageSize, continueToken });
    const err = this.listErrors.shift();
    if (err) throw err;
    if (pageSize === 0) return { items: this.items, resourceVersion: this.resourceVersion };
    const start = continueToken ? Number(continueToken) : 0;
    const next = start + pageSize < this.items.length ? String(start + pageSize) : undefined;
    return { items: this.items.slice(start, start + pageSize), resourceVersion: this.resourceVersion, ...(next ? { continueToken: next } : {}) };
  }

  async watch(resourceVersion: string, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    let done = false;
    const finish = (err: unknown) => {
      if (done) return;
      done = true;
      onDone(err);
    };
    const w: ActiveWatch = {
      resourceVersion,
      aborted: false,
      emit: (type, object) => onEvent(type, object),
      end: (err) => finish(err ?? null),
    };
    this.watches.push(w);
    for (const r of this.waiters.splice(0)) r();
    return { abort: () => { w.aborted = true; finish(Object.assign(new Error('aborted'), { name: 'AbortError' })); } };
  }

  /** The nth watch (0-based), once it has been opened. */
  async watchNo(n: number): Promise<ActiveWatch> {
    while (this.watches.length <= n) await new Promise<void>((r) => this.waiters.push(r));
    return this.watches[n]!;
  }
}

class Recorder {
  calls: string[] = [];
  state = new Map<string, number>();
  replace(rs: { uid: string; v: number }[]): void {
    this.calls.push(`replace ${rs.map((r) => r.uid).join(',')}`);
    this.state = new Map(rs.map((r) => [r.uid, r.v]));
  }
  upsert(r: { uid: string; v: number }): void {
    this.calls.push(`upsert ${r.uid}=${r.v}`);
    this.state.set(r.uid, r.v);
  }
  remove(r: { uid: string }): void {
    this.calls.push(`remove ${r.uid}`);
    this.state.delete(r.uid);
  }
}

const convert = (o: unknown) => {
  const x = o as Partial<Obj>;
  return typeof x.metadata?.uid === 'string' ? { uid: x.metadata.uid, v: x.v ?? 0 } : undefined;
};

function setup(opts: { pageSize?: number; retryMinMs?: number } = {}) {
  const source = new FakeSource();
  const rec = new Recorder();
  const lw = new Reflector(source, convert, rec, { retryMinMs: 5, retryMaxMs: 40, ...opts });
  return { source, rec, lw };
}

const tick = () => new Promise((r) => setImmediate(r));

async function until(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('Reflector', () => {
  it('lists every page, hands the whole set over once, then watches from the list\'s version', async () => {
    const { source, rec, lw } = setup({ pageSize: 2 });
    source.items = [obj('a', 1), obj('b', 2), obj('c', 3), obj('d', 4), obj('e', 5)];
    lw.start();
    await lw.whenSynced();
    assert.deepEqual(source.listCalls, [
      { pageSize: 2, continueToken: undefined },
      { pageSize: 2, continueToken: '2' },
      { pageSize: 2, continueToken: '4' },
    ]);
    assert.deepEqual(rec.calls, ['replace a,b,c,d,e']);
    assert.equal((await source.watchNo(0)).resourceVersion, '100');
    assert.equal(lw.isSynced, true);
    lw.stop();
  });

  it('applies adds, updates and deletes, skips objects it cannot convert, and resumes from the last version seen', async () => {
    const { source, rec, lw } = setup();
    source.items = [obj('a', 1)];
    lw.start();
    const w = await source.watchNo(0);
    w.emit('ADDED', obj('b', 101, 1));
    w.emit('MODIFIED', obj('a', 102, 2));
    w.emit('ADDED', { metadata: { resourceVersion: '103' } });
    w.emit('DELETED', obj('b', 104));
    w.emit('BOOKMARK', { metadata: { resourceVersion: '150' } });
    assert.deepEqual(rec.calls, ['replace a', 'upsert b=1', 'upsert a=2', 'remove b']);
    w.end();
    const w2 = await source.watchNo(1);
    assert.equal(w2.resourceVersion, '150');
    assert.equal(source.listCalls.length, 1, 'no relist after a clean end');
    lw.stop();
  });

  it('lists again after "410 Gone" in the stream, removing what disappeared meanwhile', async () => {
    const { source, rec, lw } = setup();
    source.items = [obj('a', 1), obj('b', 2)];
    lw.start();
    const w = await source.watchNo(0);
    source.items = [obj('b', 2), obj('c', 300)];
    source.resourceVersion = '300';
    w.emit('ERROR', { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version: 100 (250)' });
    w.end();
    const w2 = await source.watchNo(1);
    assert.equal(w2.resourceVersion, '300');
    assert.deepEqual(rec.calls, ['replace a,b', 'replace b,c']);
    assert.deepEqual([...rec.state.keys()], ['b', 'c']);
    lw.stop();
  });

  it('lists again after a watch request answered 410', async () => {
    const { source, lw } = setup();
    lw.start();
    const w = await source.watchNo(0);
    w.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await source.watchNo(1);
    assert.equal(source.listCalls.length, 2);
    lw.stop();
  });

  it('retries a failing list with backoff and keeps the error for whoever waits', async () => {
    const { source, lw } = setup();
    const denied = Object.assign(new Error('pods is forbidden'), { code: 403 });
    source.listErrors = [denied, denied];
    lw.start();
    await until('two failed lists', () => source.listCalls.length >= 2);
    assert.equal(lw.isSynced, false);
    assert.equal(lw.lastError, denied);
    await lw.whenSynced();
    assert.equal(source.listCalls.length, 3);
    assert.equal(lw.lastError, undefined);
    lw.stop();
  });

  it('backs off when watches end at once with nothing delivered (no hot loop)', async () => {
    const { source, lw } = setup({ retryMinMs: 20 });
    lw.start();
    await lw.whenSynced();
    const started = Date.now();
    for (let i = 0; i < 3; i++) (await source.watchNo(i)).end();
    await source.watchNo(3);
    assert.ok(Date.now() - started >= 20 + 40 + 40 - 5, `three empty watches waited ${Date.now() - started} ms`);
    lw.stop();
  });

  it('stop aborts the open watch, rejects waiters and opens nothing more', async () => {
    const { source, lw } = setup();
    source.listErrors = [new Error('down')];
    lw.start();
    const waiting = lw.whenSynced();
    lw.stop();
    await assert.rejects(waiting, /widgets: stopped before the first list/);
    await assert.rejects(lw.whenSynced(), /stopped/);

    const second = setup();
    second.lw.start();
    const w = await second.source.watchNo(0);
    second.lw.stop();
    assert.equal(w.aborted, true);
    await tick();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(second.source.watches.length, 1);
  });

  it('whenSettled resolves on the first failure (the list keeps retrying), on the first sync, or at once after either', async () => {
    const { source, lw } = setup({ retryMinMs: 20 });
    source.listErrors = [Object.assign(new Error('forbidden'), { code: 403 })];
    source.items = [obj('a', 1)];
    lw.start();
    await lw.whenSettled();
    assert.equal(lw.isSynced, false);
    assert.match(String(lw.lastError), /forbidden/);
    await lw.whenSynced();
    await lw.whenSettled();
    lw.stop();

    const ok = setup();
    ok.lw.start();
    await ok.lw.whenSettled();
    assert.equal(ok.lw.isSynced, true);
    ok.lw.stop();

    const stopped = setup();
    const waiting = stopped.lw.whenSettled();
    stopped.lw.stop();
    await waiting;
  });

  it('lists the whole set at once when the continue token expired between pages', async () => {
    const { source, rec, lw } = setup({ pageSize: 2 });
    source.items = [obj('a', 1), obj('b', 2), obj('c', 3)];
    source.listErrors = [undefined, new ApiError(410, 'Expired', 'widgets', 'The provided continue parameter is too old')];
    lw.start();
    await lw.whenSynced();
    assert.deepEqual(source.listCalls, [
      { pageSize: 2, continueToken: undefined },
      { pageSize: 2, continueToken: '2' },
      { pageSize: 0, continueToken: undefined },
    ]);
    assert.deepEqual(rec.calls, ['replace a,b,c']);
    lw.stop();
  });

  it('ends a watch on an ERROR event other than 410, keeps the error and watches again from the same version', async () => {
    const { source, lw } = setup();
    lw.start();
    const w = await source.watchNo(0);
    w.emit('ERROR', { kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500, message: 'etcd is sulking' });
    assert.equal(w.aborted, true, 'the errored watch is closed');
    const w2 = await source.watchNo(1);
    const err = lw.lastError;
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 500);
    assert.match(err.message, /WATCH widgets failed: 500 InternalError: etcd is sulking/);
    assert.equal(w2.resourceVersion, '100');
    assert.equal(source.listCalls.length, 1, 'no relist for an error that is not 410');
    lw.stop();
  });

  it('whenSynced gives up when its signal aborts and keeps waiting for others', async () => {
    const { source, lw } = setup({ retryMinMs: 60_000 });
    source.listErrors = [new Error('down')];
    lw.start();
    const giveUp = new AbortController();
    const patient = lw.whenSynced();
    const impatient = lw.whenSynced(giveUp.signal);
    giveUp.abort();
    await assert.rejects(impatient, /widgets: gave up waiting for the first list/);
    lw.stop();
    await assert.rejects(patient, /widgets: stopped before the first list/);
  });
});
