import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/clock.js';
import { WorkQueue } from './workqueue.js';

/** Resolves with the key if `p` settles within the current macrotask, else 'pending'. */
async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('WorkQueue', () => {
  it('hands out keys in FIFO order and ignores adds of a key already queued', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('makes get wait until a key is added', async () => {
    const q = new WorkQueue();
    const next = q.get();
    assert.equal(await settled(next), 'pending');
    q.add('a');
    assert.equal(await next, 'a');
  });

  it('never hands a key to two workers at once and re-queues it once after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    assert.equal(await q.get(), 'a');
    const second = q.get();
    q.add('a');
    q.add('a');
    assert.equal(await settled(second), 'pending', 'a is still being processed');
    assert.equal(q.len(), 0);
    q.done('a');
    assert.equal(await second, 'a');
    q.done('a');
    assert.equal(q.len(), 0, 're-queued exactly once');
    assert.equal(await settled(q.get()), 'pending');
  });

  it('lets other keys through while one is being processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    await q.get();
    q.add('a');
    q.add('b');
    assert.equal(await q.get(), 'b');
  });

  it('adds a delayed key only when its time comes', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    assert.equal(q.len(), 0);
    clock.advance(99);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
  });

  it('coalesces delayed adds of one key to the earliest time', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    clock.advance(50);
    assert.equal(q.len(), 1);
    clock.advance(1000);
    assert.equal(q.len(), 1, 'the later adds did not fire again');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('treats a non-positive delay as an immediate add', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.addAfter('a', 0);
    assert.equal(q.len(), 1);
  });

  /** Fails `key` once through the rate limiter and returns how long it took to come back. */
  async function retryDelay(q: WorkQueue, clock: FakeClock, key: string, step = 1): Promise<number> {
    const start = clock.now();
    q.addRateLimited(key);
    while (q.len() === 0) clock.advance(step);
    assert.equal(await q.get(), key);
    q.done(key);
    return clock.now() - start;
  }

  it('backs off a failing key exponentially from 5 ms and forget starts it over', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await retryDelay(q, clock, 'a'));
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('a'), 4);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    assert.equal(await retryDelay(q, clock, 'a'), 5);
  });

  it('caps the per-key backoff at the configured maximum', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 1000, maxDelayMs: 3000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await retryDelay(q, clock, 'a', 100));
    assert.deepEqual(delays, [1000, 2000, 3000, 3000]);
  });

  it('spreads retries of many keys by the overall token bucket', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 1, qps: 2, burst: 2 });
    q.addRateLimited('a');
    q.addRateLimited('b');
    q.addRateLimited('c');
    q.addRateLimited('d');
    clock.advance(1);
    assert.equal(q.len(), 2, 'the burst goes through after the per-key backoff');
    clock.advance(499);
    assert.equal(q.len(), 3, 'then one more every 1/qps seconds');
    clock.advance(500);
    assert.equal(q.len(), 4);
  });

  it('resolves pending and later gets with undefined after shutDown and ignores adds', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const pending = q.get();
    q.addAfter('later', 100);
    q.shutDown();
    assert.equal(await pending, undefined);
    q.add('a');
    q.addRateLimited('b');
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
    assert.equal(clock.pendingTimers(), 0, 'delayed adds were cancelled');
  });

  it('drops queued keys on shutDown', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.shutDown();
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
  });

  it('shutDownWithDrain waits for keys in flight to be done and does not re-queue them', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    const a = await q.get();
    q.add('a');
    const drained = q.shutDownWithDrain();
    assert.equal(await settled(drained), 'pending');
    q.done(a as string);
    assert.equal(await settled(drained), undefined);
    assert.equal(q.len(), 0);
  });

  it('shutDownWithDrain resolves at once when nothing is in flight', async () => {
    const q = new WorkQueue();
    await q.shutDownWithDrain();
  });

  it('reports depth, adds and retries to its metrics', async () => {
    const seen = { depth: [] as number[], added: 0, retried: 0 };
    const clock = new FakeClock();
    const q = new WorkQueue({
      clock,
      metrics: { depth: (n) => seen.depth.push(n), added: () => seen.added++, retried: () => seen.retried++ },
    });
    q.add('a');
    q.add('a');
    q.add('b');
    await q.get();
    q.addRateLimited('c');
    clock.advance(5);
    assert.equal(seen.added, 3);
    assert.equal(seen.retried, 1);
    assert.deepEqual(seen.depth, [1, 2, 1, 2]);
  });
});
