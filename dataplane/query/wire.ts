// What streams between the query roles: frames that carry either an encoded row batch or a
// small JSON control value (a relation announcement, stats, warnings), each on a numbered
// channel (a bridge id between PEM and Kelvin, a sink's position between Kelvin and clients),
// written in the protocol version the query runs at.
//
//   u8 kind (0 batch, 1 json) | u8 pad | u16 protocol version | u32 channel | payload
import type { RowBatch } from '../table-store/types.js';
import { decodeBatch, encodeBatch } from './batch-codec.js';
import { describeVersion, PROTOCOL_VERSION, speaks, supportedVersions, THIS_BUILD, type Protocol } from './protocol-version.js';

export type StreamFrame =
  | { readonly kind: 'batch'; readonly channel: number; readonly batch: RowBatch }
  | { readonly kind: 'json'; readonly channel: number; readonly value: unknown };

export class WireError extends Error {
  override readonly name = 'WireError';
}

const BIGINT_TAG = '$bigint';
const FLOAT_TAG = '$float';

/** Floats JSON has no number for (it would write null, or 0 for -0): NaN, ±Infinity, -0. */
const needsFloatTag = (v: number): boolean => !Number.isFinite(v) || Object.is(v, -0);

/** JSON that keeps bigints (times, int64 values) and every float (NaN, ±Infinity, -0) exact. */
export function stringifyWithBigInts(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return { [BIGINT_TAG]: v.toString() };
    if (typeof v === 'number' && needsFloatTag(v)) return { [FLOAT_TAG]: String(v === 0 ? '-0' : v) };
    return v;
  });
}

export function parseWithBigInts(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
      const record = v as Record<string, unknown>;
      const big = record[BIGINT_TAG];
      if (typeof big === 'string') return BigInt(big);
      const float = record[FLOAT_TAG];
      if (float === 'NaN' || float === 'Infinity' || float === '-Infinity' || float === '-0') return Number(float);
    }
    return v;
  });
}

export function encodeFrame(frame: StreamFrame, version: number = PROTOCOL_VERSION): Buffer {
  const payload = frame.kind === 'batch' ? encodeBatch(frame.batch, version) : Buffer.from(stringifyWithBigInts(frame.value), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt8(frame.kind === 'batch' ? 0 : 1, 0);
  head.writeUInt16LE(version, 2);
  head.writeUInt32LE(frame.channel, 4);
  return Buffer.concat([head, payload]);
}

/** Decodes a frame of a protocol version `protocol` speaks. */
export function decodeFrame(data: Buffer, protocol: Protocol = THIS_BUILD): StreamFrame {
  if (data.length < 8) throw new WireError(`frame of ${data.length} bytes is shorter than its 8-byte header`);
  const kind = data.readUInt8(0);
  const version = data.readUInt16LE(2);
  if (!speaks(protocol, version)) throw new WireError(`frame of ${describeVersion(version)}; this build reads ${supportedVersions(protocol)}`);
  const channel = data.readUInt32LE(4);
  const payload = data.subarray(8);
  if (kind === 0) return { kind: 'batch', channel, batch: decodeBatch(payload, undefined, protocol) };
  if (kind === 1) {
    try {
      return { kind: 'json', channel, value: parseWithBigInts(payload.toString('utf8')) };
    } catch (err) {
      throw new WireError(`frame on channel ${channel}: bad JSON payload: ${(err as Error).message}`);
    }
  }
  throw new WireError(`unknown frame kind ${kind}`);
}
