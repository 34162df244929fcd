// Rate limiters after client-go's workqueue: a per-key exponential backoff and an overall
// token bucket, combined by taking the longer of the two delays.
import { realClock, type Clock } from '../../lib/clock.js';

/** A token bucket refilled at `qps` tokens per second up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes a token now if one is available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token, borrowing against the future; returns how long to wait before using it. */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }
}

/** base * 2^failures, capped at max; `forget` starts a key over. */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

export interface RateLimiterOptions {
  /** First retry delay; doubles per consecutive failure. Default 5 ms. */
  baseDelayMs?: number;
  /** Ceiling of the per-key delay. Default 300 s. */
  maxDelayMs?: number;
  /** Overall retry rate across keys. Default 10 per second. */
  qps?: number;
  /** Retries allowed at once before `qps` applies. Default 100. */
  burst?: number;
}

export class WorkQueueRateLimiter {
  private readonly backoff: ExponentialBackoff;
  private readonly bucket: TokenBucket;

  constructor(opts: RateLimiterOptions = {}, clock: Clock = realClock) {
    this.backoff = new ExponentialBackoff(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 300_000);
    this.bucket = new TokenBucket(opts.qps ?? 10, opts.burst ?? 100, clock);
  }

  when(key: string): number {
    return Math.max(this.backoff.when(key), this.bucket.reserve());
  }

  numRequeues(key: string): number {
    return this.backoff.numRequeues(key);
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }
}
