import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ColumnVector, RowBatch } from '../table-store/types.js';
import { BatchDecodeError, decodeBatch, encodeBatch } from './batch-codec.js';
import { decodePlan, decodeVersionedPlan, encodePlan, PlanDecodeError } from './plan-codec.js';
import { PROTOCOL_VERSION, type Protocol } from './protocol-version.js';
import { decodeFrame, encodeFrame, stringifyWithBigInts, WireError } from './wire.js';
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
  assert.throws(() => decodePlan(JSON.stringify({ version: PROTOCOL_VERSION, nodes: [], now: 1 })), /now \(bigint\)/);
  assert.throws(() => decodePlan('[]'), /must be a JSON object/);
});

// Two builds in one process: N (a next build) and N-1 (this one); N-2 is a version before the first.
const N = PROTOCOL_VERSION + 1;
const build = (version: number): Protocol => ({ version });

test('batches, frames and plans name their protocol version; N reads N-1 and N, N-1 reads N-1 only, N-2 is refused', () => {
  const plan: Plan = { now: 5n, nodes: [{ id: 1, op: 'source', table: 't', columns: [0], relation: [{ name: 'time_', type: 'time64ns' }] }] };
  for (const version of [N - 1, N]) {
    assert.deepEqual(decodeVersionedPlan(encodePlan(plan, version), build(N)), { version, plan });
    assert.equal(decodeBatch(encodeBatch(sampleBatch(), version), undefined, build(N)).length, 3);
    assert.equal(decodeFrame(encodeFrame({ kind: 'batch', channel: 1, batch: sampleBatch() }, version), build(N)).channel, 1);
    assert.deepEqual(decodeFrame(encodeFrame({ kind: 'json', channel: 0, value: { n: 1n } }, version), build(N)), { kind: 'json', channel: 0, value: { n: 1n } });
  }
  assert.deepEqual(decodePlan(encodePlan(plan, N - 1), build(N - 1)), plan);
  // The older build cannot read what only the newer one writes: the newer writes N-1 to it.
  assert.throws(() => decodePlan(encodePlan(plan, N), build(N - 1)), (e: unknown) => e instanceof PlanDecodeError && e.unsupportedVersion && e.message === `plan of protocol version ${N}; this build reads protocol version ${N - 1}`);
  assert.throws(() => decodePlan(encodePlan(plan, N - 2), build(N)), new RegExp(`^PlanDecodeError: plan of protocol version ${N - 2}; this build reads protocol versions ${N - 1} and ${N}$`));
  assert.throws(() => decodePlan(JSON.stringify({ nodes: [], now: 1 }), build(N)), /plan of no protocol version/);
  assert.throws(() => decodeBatch(encodeBatch(sampleBatch(), N - 2), undefined, build(N)), (e: unknown) => e instanceof BatchDecodeError && e.message === `row batch of protocol version ${N - 2}; this build reads protocol versions ${N - 1} and ${N}`);
  assert.throws(() => decodeFrame(encodeFrame({ kind: 'json', channel: 0, value: 1 }, N + 1), build(N)), (e: unknown) => e instanceof WireError && e.message === `frame of protocol version ${N + 1}; this build reads protocol versions ${N - 1} and ${N}`);
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

// Found by the plan-codec fuzz target: JSON has no NaN, Infinity or -0, so a float literal such as
// PxL's 1e999 reached PEMs as null (and ran as 0) while a standalone run kept Infinity.
test('plans and frames keep NaN, ±Infinity and -0 exactly', () => {
  const relation = [{ name: 'x', type: 'float64' as const }];
  const floats = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1.5];
  const plan: Plan = {
    now: 1n,
    nodes: [
      { id: 1, op: 'source', table: 't', columns: [0], relation },
      { id: 2, op: 'map', input: 1, relation: floats.map((_, i) => ({ name: `f${i}`, type: 'float64' })), exprs: floats.map((value, i) => ({ name: `f${i}`, expr: { kind: 'literal', type: 'float64', value } })) },
    ],
  };
  const decoded = decodePlan(encodePlan(plan)).nodes[1] as Extract<Plan['nodes'][number], { op: 'map' }>;
  decoded.exprs.forEach((e, i) => assert.ok(e.expr.kind === 'literal' && Object.is(e.expr.value, floats[i]), `literal ${i}: ${String(e.expr.kind === 'literal' && e.expr.value)}`));
  const json = decodeFrame(encodeFrame({ kind: 'json', channel: 0, value: { floats } }));
  assert.ok(json.kind === 'json');
  (json.value as { floats: number[] }).floats.forEach((f, i) => assert.ok(Object.is(f, floats[i]), `frame float ${i}: ${f}`));
  // A tag among other keys is plain data, as with $bigint.
  assert.deepEqual(decodeFrame(encodeFrame({ kind: 'json', channel: 0, value: { $float: 'NaN', other: 1 } })).kind, 'json');
});

// Found by the plan-codec fuzz target: a union without an inputs array threw a TypeError from inputsOf.
test('a plan node whose inputs are not node ids is rejected with the node and field', () => {
  const relation = [{ name: 'x', type: 'int64' as const }];
  const source = { id: 1, op: 'source', table: 't', columns: [0], relation };
  const reject = (node: object, message: RegExp) =>
    assert.throws(() => decodePlan(stringifyWithBigInts({ version: PROTOCOL_VERSION, now: 1n, nodes: [source, node] })), (e: unknown) => e instanceof PlanDecodeError && message.test(e.message));
  reject({ id: 2, op: 'union', relation }, /plan node 2 \(union\): inputs must be an array of node ids, got nothing/);
  reject({ id: 2, op: 'union', inputs: { 0: 1 }, relation }, /inputs must be an array of node ids, got \{"0":1\}/);
  reject({ id: 2, op: 'map', exprs: [], relation }, /plan node 2 \(map\): input must be a node id, got nothing/);
  reject({ id: 2, op: 'join', left: 1, right: '1', relation }, /plan node 2 \(join\): left and right must be node ids, got \[1,"1"\]/);
});

test('length fields claiming 4 GiB are rejected before anything that size is allocated', () => {
  // One int64 column of 2 rows, then a string column: each header field overwritten in turn.
  const good = encodeBatch({ length: 2, columns: [{ type: 'int64', values: new BigInt64Array([1n, 2n]) }, { type: 'string', codes: new Uint32Array([0, 0]), dict: ['x'] }] });
  const stringColumnAt = 16 + 8 + 2 * 8 + 8;
  for (const [field, offset] of [['rows', 4], ['columns', 8], ['dictionary size', stringColumnAt], ['dictionary text bytes', stringColumnAt + 4]] as const) {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0xffffffff, offset);
    assert.throws(() => decodeBatch(bad), (e: unknown) => e instanceof BatchDecodeError && /truncated: needs \d+ bytes, has \d+/.test(e.message), field);
  }
});

// Found by the plan-codec fuzz target: describing a version that was a tagged bigint threw
// "Do not know how to serialize a BigInt" (a TypeError) instead of the PlanDecodeError.
test('a plan whose version is a bigint, or holds one, is refused naming what it holds', () => {
  const plan = '"nodes":[],"now":{"$bigint":"1"}';
  for (const [version, shown] of [['{"$bigint":"1"}', '"1n"'], ['{"a":{"$bigint":"2"}}', '{"a":"2n"}'], ['"1"', '"1"']]) {
    assert.throws(
      () => decodePlan(`{"version":${version},${plan}}`),
      (e: unknown) => e instanceof PlanDecodeError && e.unsupportedVersion && e.message.startsWith(`plan of protocol version ${shown}; this build reads`),
      version,
    );
  }
});
