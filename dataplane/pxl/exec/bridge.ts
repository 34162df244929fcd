// Bridges carry batches between the fragments of a distributed plan (PEM → Kelvin). The
// executor talks to a BridgeTransport; the query broker plugs in one over gRPC, tests and
// single-process runs use InProcessBridges.
import type { Relation } from '../plan.js';
import type { RowBatch } from '../../table-store/types.js';

export interface BridgeTransport {
  /** Sends a batch of bridge `bridge`; a returned promise applies backpressure (the executor awaits it). */
  send(bridge: number, batch: RowBatch, relation: Relation): void | Promise<void>;
  /** This producer has no more batches for `bridge` (or failed, with `error`). */
  end(bridge: number, error?: Error): void | Promise<void>;
  /** The batches of `bridge` from every producer, ending when all have ended; throws a producer's error. */
  receive(bridge: number, relation: Relation, signal: AbortSignal): AsyncIterable<RowBatch>;
}

interface Channel {
  readonly queue: RowBatch[];
  ended: number;
  error?: Error;
  wakeReceiver?: () => void;
  readonly wakeSenders: (() => void)[];
}

/**
 * Bridges inside one process. Each bridge expects `producers` senders (each calls end once);
 * a sender waits while `highWaterMark` batches are queued. Producer and consumer fragments run
 * as separate executePlan calls at the same time (one plan holding both ends of a bridge would
 * wait on itself once the queue is full).
 */
export class InProcessBridges implements BridgeTransport {
  private readonly channels = new Map<number, Channel>();
  private readonly producers: number;
  private readonly highWaterMark: number;

  constructor(opts: { producers?: number; highWaterMark?: number } = {}) {
    this.producers = opts.producers ?? 1;
    this.highWaterMark = opts.highWaterMark ?? 16;
  }

  private channel(bridge: number): Channel {
    let ch = this.channels.get(bridge);
    if (!ch) this.channels.set(bridge, (ch = { queue: [], ended: 0, wakeSenders: [] }));
    return ch;
  }

  send(bridge: number, batch: RowBatch): void | Promise<void> {
    const ch = this.channel(bridge);
    ch.queue.push(batch);
    ch.wakeReceiver?.();
    if (ch.queue.length < this.highWaterMark) return;
    return new Promise<void>((resolve) => ch.wakeSenders.push(resolve));
  }

  end(bridge: number, error?: Error): void {
    const ch = this.channel(bridge);
    ch.ended++;
    if (error && !ch.error) ch.error = error;
    ch.wakeReceiver?.();
  }

  async *receive(bridge: number, _relation: Relation, signal: AbortSignal): AsyncIterable<RowBatch> {
    const ch = this.channel(bridge);
    for (;;) {
      if (ch.error) throw ch.error;
      const batch = ch.queue.shift();
      if (batch) {
        if (ch.queue.length < this.highWaterMark) for (const wake of ch.wakeSenders.splice(0)) wake();
        yield batch;
        continue;
      }
      if (ch.ended >= this.producers) return;
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = () => {
          ch.wakeReceiver = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        ch.wakeReceiver = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
