// Reading stored batches: skip a batch whose time range misses the bounds, pass a batch inside
// them through (projected, sharing storage), and filter the rows of a batch on a boundary.
import { LITTLE_ENDIAN } from './column-builder.js';
import type { StoredBatch } from './batch-builder.js';
import type { ColumnVector, Int64Vector, RowBatch, ScanRequest } from './types.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The batches' rows inside the request's time bounds, with the requested columns. */
export function* scanBatches(batches: readonly StoredBatch[], timeIndex: number, request: ScanRequest): Generator<RowBatch, void, undefined> {
  const start = clamp(request.startTime ?? INT64_MIN);
  const end = clamp(request.endTime ?? INT64_MAX);
  if (start > end) return;
  for (const stored of batches) {
    if (stored.batch.length === 0 || stored.maxTime < start || stored.minTime > end) continue;
    if (stored.minTime >= start && stored.maxTime <= end) {
      yield project(stored.batch, request.columns);
      continue;
    }
    const times = (stored.batch.columns[timeIndex] as Int64Vector).values;
    const selected = selectInRange(times, start, end);
    if (selected.length > 0) yield take(stored.batch, request.columns, selected);
  }
}

function clamp(time: bigint): bigint {
  return time < INT64_MIN ? INT64_MIN : time > INT64_MAX ? INT64_MAX : time;
}

export function project(batch: RowBatch, columns: readonly number[]): RowBatch {
  return { length: batch.length, columns: columns.map((c) => batch.columns[c]!) };
}

/** Positions of the values in [start, end], ascending. */
export function selectInRange(times: BigInt64Array, start: bigint, end: bigint): Uint32Array {
  const out = new Uint32Array(times.length);
  let n = 0;
  if (LITTLE_ENDIAN) {
    // Compare as (signed high word, unsigned low word) pairs: no BigInt per row.
    const low = new Uint32Array(times.buffer, times.byteOffset, times.length * 2);
    const high = new Int32Array(times.buffer, times.byteOffset, times.length * 2);
    const startHigh = Number(BigInt.asIntN(32, start >> 32n));
    const startLow = Number(BigInt.asUintN(32, start));
    const endHigh = Number(BigInt.asIntN(32, end >> 32n));
    const endLow = Number(BigInt.asUintN(32, end));
    for (let i = 0; i < times.length; i++) {
      const h = high[2 * i + 1]!;
      const l = low[2 * i]!;
      if ((h > startHigh || (h === startHigh && l >= startLow)) && (h < endHigh || (h === endHigh && l <= endLow))) out[n++] = i;
    }
  } else {
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      if (t >= start && t <= end) out[n++] = i;
    }
  }
  return out.subarray(0, n);
}

/** The selected rows of the requested columns: views when the rows are contiguous, else copies. */
function take(batch: RowBatch, columns: readonly number[], rows: Uint32Array): RowBatch {
  const first = rows[0]!;
  const contiguous = rows[rows.length - 1]! - first + 1 === rows.length;
  return {
    length: rows.length,
    columns: columns.map((c) => (contiguous ? slice(batch.columns[c]!, first, first + rows.length) : gather(batch.columns[c]!, rows))),
  };
}

function slice(vector: ColumnVector, from: number, to: number): ColumnVector {
  switch (vector.type) {
    case 'boolean':
      return { type: vector.type, values: vector.values.subarray(from, to) };
    case 'int64':
    case 'time64ns':
      return { type: vector.type, values: vector.values.subarray(from, to) };
    case 'float64':
      return { type: vector.type, values: vector.values.subarray(from, to) };
    case 'string':
    case 'uint128':
      return { type: vector.type, codes: vector.codes.subarray(from, to), dict: vector.dict };
  }
}

function gather(vector: ColumnVector, rows: Uint32Array): ColumnVector {
  switch (vector.type) {
    case 'boolean': {
      const values = new Uint8Array(rows.length);
      for (let i = 0; i < rows.length; i++) values[i] = vector.values[rows[i]!]!;
      return { type: vector.type, values };
    }
    case 'int64':
    case 'time64ns': {
      const values = new BigInt64Array(rows.length);
      if (LITTLE_ENDIAN) {
        // Copy 32-bit words: no BigInt per row.
        const from = new Uint32Array(vector.values.buffer, vector.values.byteOffset, vector.values.length * 2);
        const to = new Uint32Array(values.buffer);
        for (let i = 0; i < rows.length; i++) {
          to[2 * i] = from[2 * rows[i]!]!;
          to[2 * i + 1] = from[2 * rows[i]! + 1]!;
        }
      } else {
        for (let i = 0; i < rows.length; i++) values[i] = vector.values[rows[i]!]!;
      }
      return { type: vector.type, values };
    }
    case 'float64': {
      const values = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) values[i] = vector.values[rows[i]!]!;
      return { type: vector.type, values };
    }
    case 'string':
    case 'uint128': {
      const codes = new Uint32Array(rows.length);
      for (let i = 0; i < rows.length; i++) codes[i] = vector.codes[rows[i]!]!;
      return { type: vector.type, codes, dict: vector.dict };
    }
  }
}
