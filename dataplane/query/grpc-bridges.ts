// The executor's BridgeTransport over gRPC streams. A PEM's fragment sends each bridge's
// batches as frames on its ExecuteFragment response (channel = bridge id); Kelvin reads every
// PEM's stream and hands each bridge the union of their batches, ending it when all PEMs
// have finished their streams.
import type * as grpc from '@grpc/grpc-js';
import type { BridgeTransport } from '../pxl/exec/bridge.js';
import type { Relation } from '../pxl/plan.js';
import { vectorBytes } from '../pxl/udf/values.js';
import type { RowBatch } from '../table-store/types.js';
import { AsyncQueue } from './async-queue.js';
import { ProtocolVersionError } from './protocol-version.js';
import { encodeFrame, type StreamFrame } from './wire.js';

/** PEM side: writes the fragment's bridge output to the call; errors end the call with a status. */
export class StreamSenderBridges implements BridgeTransport {
  constructor(
    private readonly call: grpc.ServerWritableStream<unknown, StreamFrame>,
    /** The protocol version the query runs at: the frames go out in it. */
    private readonly version: number,
  ) {}

  send(bridge: number, batch: RowBatch): void | Promise<void> {
    if (this.call.cancelled) return;
    // An encoded frame is written as it is (the service's serializer passes Buffers through).
    const frame = encodeFrame({ kind: 'batch', channel: bridge, batch }, this.version) as unknown as StreamFrame;
    if (!this.call.write(frame)) return new Promise<void>((resolve) => this.call.once('drain', resolve));
  }

  end(): void {
    // Bridges end together when the call ends (the PEM service ends it after the fragment ran).
  }

  receive(): AsyncIterable<RowBatch> {
    throw new Error('a PEM fragment has no bridge sources');
  }
}

export class BridgeInputError extends Error {
  override readonly name = 'BridgeInputError';
}

/** Kelvin side: demultiplexes every PEM's stream into one queue per bridge. */
export class StreamReceiverBridges implements BridgeTransport {
  private readonly queues = new Map<number, AsyncQueue<RowBatch>>();
  private readonly done: Promise<void>;
  /** Bytes received but not yet consumed, checked against a limit so a slow consumer cannot exhaust memory. */
  private buffered = 0;

  constructor(
    streams: readonly { readonly name: string; readonly frames: AsyncIterable<StreamFrame> }[],
    bridges: Iterable<number>,
    private readonly maxBufferedBytes = 256 << 20,
  ) {
    for (const b of bridges) this.queues.set(b, new AsyncQueue());
    this.done = Promise.all(streams.map((s) => this.pump(s.name, s.frames))).then(
      () => {
        for (const q of this.queues.values()) q.end();
      },
      (err: unknown) => {
        for (const q of this.queues.values()) q.fail(err);
      },
    );
    this.done.catch(() => undefined);
  }

  private async pump(name: string, frames: AsyncIterable<StreamFrame>): Promise<void> {
    try {
      for await (const frame of frames) {
        if (frame.kind !== 'batch') continue;
        const queue = this.queues.get(frame.channel);
        if (!queue) throw new BridgeInputError(`${name} sent bridge ${frame.channel}, which the plan does not have`);
        this.buffered += batchBytes(frame.batch);
        if (this.buffered > this.maxBufferedBytes) {
          throw new BridgeInputError(`more than ${this.maxBufferedBytes} bytes of PEM results are waiting for Kelvin to consume them; narrow the query (start_time, filters) or raise the memory limit`);
        }
        queue.push(frame.batch);
      }
    } catch (err) {
      // A refusal names the PEM itself.
      if (err instanceof ProtocolVersionError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new BridgeInputError(`${name}: ${message}`);
    }
  }

  send(): void {
    throw new Error('Kelvin fragments do not send to bridges');
  }

  end(): void {}

  async *receive(bridge: number, _relation: Relation, signal: AbortSignal): AsyncIterable<RowBatch> {
    const queue = this.queues.get(bridge);
    if (!queue) throw new BridgeInputError(`no input for bridge ${bridge}`);
    for await (const batch of queue) {
      if (signal.aborted) return;
      this.buffered -= batchBytes(batch);
      yield batch;
    }
  }
}

function batchBytes(batch: RowBatch): number {
  let bytes = 0;
  for (const c of batch.columns) bytes += vectorBytes(c, batch.length);
  return bytes;
}
