import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ColumnVector, RowBatch } from '../table-store/types.js';
import { BatchDecodeError, decodeBatch, encodeBatch } from './batch-codec.js';
import { decodePlan, encodePlan, PlanDecodeError } from './plan-codec.js';
import { decodeFrame, encodeFrame } from './wire.js';
import type { Plan } from '../pxl/plan.js';

/** The values array of a numeric or boolean column. */
const values = (c: ColumnVector | undefined) => (c as { values: ArrayLike<unknown> }).values;

function sampleBatch(): RowBatch {
  // Views with non-zero offsets, as table-store batches may be.
  const times = new BigInt64Array([0n, 1_700_000_000_123_456_789n, -5n, 9_223_372_036_854_775_807n]).subarray(1);
  return {
    length: 3,
    columns: [
      { type: 'time64ns', values: times },
      { type: 'float64', values: new Float64Array([1.5, Number.NaN, -0]) },
      { type: 'boolean', values: new Uint8Array([1, 0, 1]) },
      { type: 'string', codes: new Uint32Array([1, 0, 1]), dict: ['/a', 'héllo ✓'] },
      { type: 'uint128', codes: new Uint32Array([0, 0, 0]), dict: ['123:456'] },
      { type: 'int64', values: new BigInt64Array([-1n, 0n, 42n]) },
    ],
  };
}

test('a batch survives encoding with exact int64, NaN, -0, UTF-8 dictionaries and offset views', () => {
  const decoded = decodeBatch(encodeBatch(sampleBatch()), ['time64ns', 'float64', 'boolean', 'string', 'uint128', 'int64']);
  assert.equal(decoded.length, 3);
  assert.deepEqual([...(values(decoded.columns[0]) as BigInt64Array)], [1_700_000_000_123_456_789n, -5n, 9_223_372_036_854_775_807n]);
  const floats = values(decoded.columns[1]) as Float64Array;
  assert.equal(floats[0], 1.5);
  assert.ok(Number.isNaN(floats[1]));
  assert.ok(Object.is(floats[2], -0));
  assert.deepEqual([...(values(decoded.columns[2]) as Uint8Array)], [1, 0, 1]);
  const text = decoded.columns[3]! as { codes: Uint32Array; dict: readonly string[] };
  assert.deepEqual([...text.codes].map((c) => text.dict[c]), ['héllo ✓', '/a', 'héllo ✓']);
  assert.deepEqual([...(values(decoded.columns[5]) as BigInt64Array)], [-1n, 0n, 42n]);
});

test('an empty batch and a batch with no columns round-trip', () => {
  const empty = decodeBatch(encodeBatch({ length: 0, columns: [{ type: 'string', codes: new Uint32Array(0), dict: [] }] }));
  assert.equal(empty.length, 0);
  assert.equal(empty.columns.length, 1);
  assert.equal(decodeBatch(encodeBatch({ length: 5, columns: [] })).length, 5);
});

test('corrupt batches are rejected with the reason', () => {
  const good = encodeBatch(sampleBatch());
  assert.throws(() => decodeBatch(good.subarray(0, good.length - 20)), (e: unknown) => e instanceof BatchDecodeError && /truncated/.test(e.message));
  const badMagic = Buffer.from(good);
  badMagic[0] = 0;
  assert.throws(() => decodeBatch(badMagic), /bad magic/);
  assert.throws(() => decodeBatch(good, ['int64']), /6 columns, the relation has 1/);
  assert.throws(() => decodeBatch(good, ['int64', 'float64', 'boolean', 'string', 'uint128', 'int64']), /column 0 is time64ns, the relation says int64/);
  const badCode = encodeBatch({ length: 1, columns: [{ type: 'string', codes: new Uint32Array([3]), dict: ['x'] }] });
  assert.throws(() => decodeBatch(badCode), /code 3 out of range/);
});

test('frames carry batches and JSON with bigints on numbered channels', () => {
  const batch = decodeFrame(encodeFrame({ kind: 'batch', channel: 7, batch: sampleBatch() }));
  assert.equal(batch.kind, 'batch');
  assert.equal(batch.channel, 7);
  const json = decodeFrame(encodeFrame({ kind: 'json', channel: 2, value: { rows: 12n, name: 'x' } }));
  assert.deepEqual(json, { kind: 'json', channel: 2, value: { rows: 12n, name: 'x' } });
  assert.throws(() => decodeFrame(Buffer.alloc(3)), /shorter than its 8-byte header/);
});

test('plans round-trip with bigint times and are checked for order and shape', () => {
  const plan: Plan = {
    now: 1_700_000_000_000_000_001n,
    nodes: [
      { id: 1, op: 'source', table: 't', columns: [0], startTime: 1_699_999_999_000_000_001n, relation: [{ name: 'time_', type: 'time64ns' }] },
      { id: 2, op: 'sink', input: 1, name: 'out', relation: [{ name: 'time_', type: 'time64ns' }] },
    ],
  };
  assert.deepEqual(decodePlan(encodePlan(plan)), plan);
  assert.throws(() => decodePlan('{'), PlanDecodeError);
  assert.throws(() => decodePlan(encodePlan({ ...plan, nodes: [...plan.nodes].reverse() })), /reads node 1, which does not come before it/);
  assert.throws(() => decodePlan(encodePlan({ ...plan, nodes: [plan.nodes[0]!, plan.nodes[0]!] })), /appears twice/);
  assert.throws(() => decodePlan(JSON.stringify({ nodes: [], now: 1 })), /now \(bigint\)/);
});

test('a cut batch sends only the dictionary entries its rows use, and the values survive', () => {
  const dict = Array.from({ length: 5000 }, (_, i) => `body-${i}-${'x'.repeat(100)}`);
  // Two rows of a 5000-entry dictionary, as a filter or head() leaves them.
  const batch: RowBatch = { length: 2, columns: [{ type: 'string', codes: new Uint32Array([4321, 17, 99]), dict }] };
  const encoded = encodeBatch(batch);
  assert.ok(encoded.length < 1024, `encoded ${encoded.length} bytes for 2 rows`);
  const decoded = decodeBatch(encoded, ['string']).columns[0]! as { codes: Uint32Array; dict: readonly string[] };
  assert.equal(decoded.dict.length, 2);
  assert.deepEqual([...decoded.codes].map((c) => decoded.dict[c]), [dict[4321], dict[17]]);
});
