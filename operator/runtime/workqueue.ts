// A de-duplicating, rate-limited work queue with client-go's semantics: a key is queued at
// most once, is never handed to two workers at once, and a key added while it is being
// processed is queued again once `done` is called for it.
import { realClock, type Clock } from '../../lib/clock.js';
import { WorkQueueRateLimiter, type RateLimiterOptions } from './ratelimit.js';

export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
}

export interface WorkQueueOptions extends RateLimiterOptions {
  clock?: Clock;
  metrics?: WorkQueueMetrics;
}

export class WorkQueue {
  private queue: string[] = [];
  /** Keys that need processing: queued, or added again while being processed. */
  private dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Delayed adds: key → when it becomes ready (ms since epoch). */
  private readonly waiting = new Map<string, number>();
  private timer?: { due: number; cancel: () => void };
  private getters: ((key: string | undefined) => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly limiter: WorkQueueRateLimiter;
  private readonly metrics?: WorkQueueMetrics;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = new WorkQueueRateLimiter(opts, this.clock);
    this.metrics = opts.metrics;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.added();
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `ms`; a key already waiting keeps the earlier of the two times. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing !== undefined && existing <= readyAt) return;
    this.waiting.set(key, readyAt);
    this.scheduleTimer();
  }

  /** Adds `key` after its backoff (and the overall rate limit) allows. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.retried();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the backoff of `key`; call it when `key` was processed successfully. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** The next key to process, waiting for one if needed; undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.metrics?.depth(this.queue.length);
      this.startProcessing(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` as processed; a key added meanwhile is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
    if (this.processing.size === 0) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Number of keys queued and not yet handed to a worker. */
  len(): number {
    return this.queue.length;
  }

  /**
   * Stops the queue: `get` resolves undefined from now on, queued and delayed keys are
   * dropped (the next leader re-lists everything), adds are ignored.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.waiting.clear();
    this.queue = [];
    this.dirty = new Set();
    this.metrics?.depth(0);
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  /** Like `shutDown`, and resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private enqueue(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.startProcessing(key);
      getter(key);
      return;
    }
    this.queue.push(key);
    this.metrics?.depth(this.queue.length);
  }

  private startProcessing(key: string): void {
    this.processing.add(key);
    this.dirty.delete(key);
  }

  private scheduleTimer(): void {
    let earliest = Infinity;
    for (const t of this.waiting.values()) earliest = Math.min(earliest, t);
    if (this.timer?.due === earliest) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (earliest === Infinity) return;
    const cancel = this.clock.setTimer(() => this.addReady(), Math.max(0, earliest - this.clock.now()));
    this.timer = { due: earliest, cancel };
  }

  private addReady(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (const [key, readyAt] of this.waiting) {
      if (readyAt > now) continue;
      this.waiting.delete(key);
      this.add(key);
    }
    this.scheduleTimer();
  }
}
