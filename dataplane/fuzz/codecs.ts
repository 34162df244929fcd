// Fuzz targets for what crosses between the query roles: row batches (batch-codec.ts), plans
// (plan-codec.ts) and stream frames (wire.ts). Generated values must survive encode → decode;
// corrupted encodings and arbitrary bytes must decode to a well-formed value or fail with the
// codec's own error, never crash, and never allocate more than the input implies.
import fc from 'fast-check';
import { inspect } from 'node:util';
import { expectTyped, firstDifference, violated, type FuzzTarget } from './harness.js';
import { byteMutations, hexDump, mutateBytes, textMutations, mutateText, type ByteMutation, type TextMutation } from './mutate.js';
import type { AggregateSpec, Expr, Plan, PlanNode, Relation } from '../pxl/plan.js';
import { DATA_TYPES, type CellValue, type ColumnVector, type DataType, type RowBatch } from '../table-store/types.js';
import { BatchDecodeError, decodeBatch, encodeBatch } from '../query/batch-codec.js';
import { decodePlan, encodePlan, PlanDecodeError } from '../query/plan-codec.js';
import { PROTOCOL_VERSION } from '../query/protocol-version.js';
import { decodeFrame, encodeFrame, parseWithBigInts, stringifyWithBigInts, WireError, type StreamFrame } from '../query/wire.js';

// ---- row batches ----------------------------------------------------------------------------

/** Text the codec must carry exactly: any well-formed string (lone surrogates become U+FFFD in UTF-8). */
const text = fc.string({ unit: 'binary', maxLength: 24 }).map((s) => Buffer.from(s, 'utf8').toString('utf8'));

/** Backing arrays longer than the batch, viewed at an offset, as table-store batches may be. */
const slack = fc.record({ before: fc.nat({ max: 3 }), after: fc.nat({ max: 3 }) });

function columnOf(type: DataType, rows: number): fc.Arbitrary<ColumnVector> {
  const view = <A extends { subarray(begin: number, end: number): A }>(all: A, before: number, count: number): A => all.subarray(before, before + count);
  switch (type) {
    case 'boolean':
      return fc.tuple(slack, fc.array(fc.integer({ min: 0, max: 1 }), { minLength: rows, maxLength: rows })).map(([s, v]) => ({
        type,
        values: view(Uint8Array.from([...Array<number>(s.before).fill(1), ...v, ...Array<number>(s.after).fill(1)]), s.before, rows + s.after),
      }));
    case 'int64':
    case 'time64ns':
      return fc.tuple(slack, fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { minLength: rows, maxLength: rows })).map(([s, v]) => ({
        type,
        values: view(BigInt64Array.from([...Array<bigint>(s.before).fill(7n), ...v, ...Array<bigint>(s.after).fill(7n)]), s.before, rows + s.after),
      }));
    case 'float64':
      return fc.tuple(slack, fc.array(fc.double(), { minLength: rows, maxLength: rows })).map(([s, v]) => ({
        type,
        values: view(Float64Array.from([...Array<number>(s.before).fill(0.5), ...v, ...Array<number>(s.after).fill(0.5)]), s.before, rows + s.after),
      }));
    case 'string':
    case 'uint128':
      // A dictionary may hold entries no row uses (the encoder drops them) and codes past `rows`.
      return fc
        .array(text, { minLength: rows > 0 ? 1 : 0, maxLength: 12 })
        .chain((dict) =>
          fc.tuple(fc.constant(dict), fc.array(fc.nat({ max: Math.max(0, dict.length - 1) }), { minLength: rows, maxLength: rows + 3 })),
        )
        .map(([dict, codes]) => ({ type, dict, codes: Uint32Array.from(codes) }));
  }
}

export const rowBatch: fc.Arbitrary<RowBatch> = fc
  .record({
    rows: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 12 }) }, { weight: 1, arbitrary: fc.nat({ max: 300 }) }),
    types: fc.array(fc.constantFrom(...DATA_TYPES), { maxLength: 7 }),
  })
  .chain(({ rows, types }) => fc.tuple(...types.map((t) => columnOf(t, rows))).map((columns) => ({ length: rows, columns })));

/** Row `row` of `column`, as a comparable value (a float by its bits, so NaN and -0 count). */
function cell(column: ColumnVector, row: number): CellValue {
  switch (column.type) {
    case 'boolean':
      return column.values[row]!;
    case 'int64':
    case 'time64ns':
      return column.values[row]!;
    case 'float64':
      return Buffer.from(new Float64Array([column.values[row]!]).buffer).toString('hex');
    default:
      return column.dict[column.codes[row]!]!;
  }
}

function sameRows(actual: RowBatch, expected: RowBatch, what: string): void {
  if (actual.length !== expected.length) violated(`${what}: ${actual.length} rows, expected ${expected.length}`);
  if (actual.columns.length !== expected.columns.length) violated(`${what}: ${actual.columns.length} columns, expected ${expected.columns.length}`);
  expected.columns.forEach((want, c) => {
    const got = actual.columns[c]!;
    if (got.type !== want.type) violated(`${what}: column ${c} is ${got.type}, expected ${want.type}`);
    for (let row = 0; row < expected.length; row++) {
      const [a, b] = [cell(got, row), cell(want, row)];
      if (a !== b) violated(`${what}: column ${c} row ${row} is ${inspect(a)}, expected ${inspect(b)}`);
    }
  });
}

/** What every decoded batch must be, whatever the input: vectors that cover its rows, codes inside the dictionary. */
function checkWellFormed(batch: RowBatch, inputBytes: number): void {
  for (const [c, column] of batch.columns.entries()) {
    if ('codes' in column) {
      if (column.codes.length < batch.length) violated(`column ${c}: ${column.codes.length} codes for ${batch.length} rows`);
      for (let row = 0; row < batch.length; row++) if (column.codes[row]! >= column.dict.length) violated(`column ${c} row ${row}: code outside the dictionary`);
      // Each entry was read from the input: together they cannot hold more text than it had.
      if (column.dict.length > inputBytes) violated(`column ${c}: ${column.dict.length} dictionary entries from ${inputBytes} bytes`);
    } else if (column.values.length < batch.length) {
      violated(`column ${c}: ${column.values.length} values for ${batch.length} rows`);
    }
  }
}

export type BatchInput =
  | { readonly kind: 'roundtrip'; readonly batch: RowBatch; readonly declared: boolean }
  | { readonly kind: 'truncated'; readonly batch: RowBatch; readonly keep: number }
  | { readonly kind: 'mutated'; readonly batch: RowBatch; readonly mutations: readonly ByteMutation[]; readonly expected?: readonly DataType[] }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

const MAGIC = Buffer.from('LB1\0', 'latin1');

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

export const batchCodecTarget: FuzzTarget<BatchInput> = {
  name: 'batch-codec',
  description: 'row batches: decode(encode(b)) = b; truncated, corrupted or arbitrary bytes give a BatchDecodeError or a well-formed batch',
  arbitrary: fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), batch: rowBatch, declared: fc.boolean() }),
    fc.record({ kind: fc.constant('truncated' as const), batch: rowBatch, keep: fc.nat() }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), batch: rowBatch, mutations: byteMutations, expected: fc.option(fc.array(fc.constantFrom(...DATA_TYPES), { maxLength: 7 }), { nil: undefined }) }, { requiredKeys: ['kind', 'batch', 'mutations'] }) },
    fc.record({
      kind: fc.constant('bytes' as const),
      // Arbitrary bytes, and arbitrary bytes behind the magic and version this build reads.
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 96 }),
        fc.tuple(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ maxLength: 96 })).map(([counts, rest]) => Buffer.concat([MAGIC, counts, u32(PROTOCOL_VERSION), rest])),
      ),
    }),
  ),
  check(input) {
    switch (input.kind) {
      case 'roundtrip': {
        const types = input.batch.columns.map((c) => c.type);
        const decoded = decodeBatch(encodeBatch(input.batch), input.declared ? types : undefined);
        sameRows(decoded, input.batch, 'decode(encode(batch))');
        // Decoding again what a decoded batch encodes to is the identity too.
        sameRows(decodeBatch(encodeBatch(decoded)), input.batch, 'second round trip');
        return;
      }
      case 'truncated': {
        const encoded = encodeBatch(input.batch);
        const cut = encoded.subarray(0, input.keep % encoded.length);
        const decoded = expectTyped(() => decodeBatch(cut), [BatchDecodeError]);
        // Only padding can go unnoticed: whatever decodes is the whole batch.
        if (decoded) sameRows(decoded, input.batch, `batch cut to ${cut.length} of ${encoded.length} bytes`);
        return;
      }
      case 'mutated':
      case 'bytes': {
        const bytes = input.kind === 'bytes' ? input.bytes : mutateBytes(encodeBatch(input.batch), input.mutations);
        const decoded = expectTyped(() => decodeBatch(bytes, input.kind === 'mutated' ? input.expected : undefined), [BatchDecodeError]);
        if (!decoded) return;
        checkWellFormed(decoded, bytes.length);
        sameRows(decodeBatch(encodeBatch(decoded)), decoded, 'a decoded corrupt batch, encoded and decoded again');
        return;
      }
    }
  },
  show(input) {
    if (input.kind === 'bytes') return hexDump(input.bytes);
    const encoded = encodeBatch(input.batch);
    const shown = input.kind === 'mutated' ? `${hexDump(mutateBytes(encoded, input.mutations))}\nexpected types: ${inspect(input.expected)}` : input.kind === 'truncated' ? `kept ${input.keep % encoded.length} of ${hexDump(encoded)}` : hexDump(encoded);
    return `${inspect(input.batch, { depth: 4, maxArrayLength: 20 })}\n${shown}`;
  },
};

// ---- plans ----------------------------------------------------------------------------------

const name = fc.oneof(fc.constantFrom('time_', 'upid', 'req_path', 'latency', 'n', 'p', '$bigint', '__proto__', 'constructor'), text);
const dataType = fc.constantFrom(...DATA_TYPES);
const semantic = fc.constantFrom('duration_ns', 'bytes', 'pod_name', 'quantiles', 'upid' as const);
const relation: fc.Arbitrary<Relation> = fc.array(
  fc.record({ name, type: dataType, semantic, description: text }, { requiredKeys: ['name', 'type'] }),
  { maxLength: 5 },
);

/** Literal values as plans carry them; floats include NaN, ±Infinity and -0, which plain JSON cannot. */
const literal: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ kind: fc.constant('literal' as const), type: fc.constant('int64' as const), value: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) }),
  fc.record({ kind: fc.constant('literal' as const), type: fc.constant('time64ns' as const), value: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }) }),
  fc.record({ kind: fc.constant('literal' as const), type: fc.constant('float64' as const), value: fc.oneof(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0), fc.double()) }),
  fc.record({ kind: fc.constant('literal' as const), type: fc.constant('string' as const), value: text }),
  fc.record({ kind: fc.constant('literal' as const), type: fc.constant('boolean' as const), value: fc.boolean() }),
);

const expr: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    fc.record({ kind: fc.constant('column' as const), index: fc.nat({ max: 8 }), name, type: dataType, semantic }, { requiredKeys: ['kind', 'index', 'name', 'type'] }),
    fc.record(
      {
        kind: fc.constant('call' as const),
        fn: fc.constantFrom('add', 'equal', 'contains', 'upid_to_pod_name', 'select', 'pluck_float64'),
        args: fc.array(tie('expr'), { maxLength: 3 }),
        type: dataType,
        at: fc.record({ line: fc.integer({ min: 1, max: 500 }), column: fc.integer({ min: 1, max: 200 }) }),
      },
      { requiredKeys: ['kind', 'fn', 'args', 'type'] },
    ),
  ),
})).expr;

const aggregateSpec: fc.Arbitrary<AggregateSpec> = fc.record(
  { name, fn: fc.constantFrom('count', 'sum', 'mean', 'min', 'max', 'quantiles', 'any'), arg: fc.nat({ max: 8 }), argType: dataType, type: dataType, semantic },
  { requiredKeys: ['name', 'fn', 'arg', 'argType', 'type'] },
);

type NodeBody = Omit<PlanNode, 'id' | 'relation'>;

/** A node reading from earlier ids `before` (none: a leaf). */
function nodeBody(before: readonly number[]): fc.Arbitrary<NodeBody> {
  const leaves: fc.Arbitrary<NodeBody>[] = [
    fc.record(
      { op: fc.constant('source' as const), table: fc.constantFrom('http_events', 'process_stats'), columns: fc.array(fc.nat({ max: 20 }), { maxLength: 6 }), startTime: fc.bigInt({ min: 0n, max: 1n << 62n }), endTime: fc.bigInt({ min: 0n, max: 1n << 62n }) },
      { requiredKeys: ['op', 'table', 'columns'] },
    ),
    fc.record({ op: fc.constant('bridge_source' as const), bridge: fc.nat({ max: 9 }) }),
  ];
  if (before.length === 0) return fc.oneof(...leaves);
  const input = fc.constantFrom(...before);
  return fc.oneof(
    ...leaves,
    fc.record({ op: fc.constant('map' as const), input, exprs: fc.array(fc.record({ name, expr }), { maxLength: 4 }) }),
    fc.record({ op: fc.constant('filter' as const), input, predicate: expr }),
    fc.record({ op: fc.constant('limit' as const), input, n: fc.nat() }),
    fc.record({ op: fc.constant('agg' as const), input, groups: fc.array(fc.nat({ max: 8 }), { maxLength: 3 }), aggs: fc.array(aggregateSpec, { maxLength: 3 }), mode: fc.constantFrom('full', 'partial', 'final' as const) }),
    fc.record({
      op: fc.constant('join' as const),
      left: input,
      right: input,
      how: fc.constantFrom('inner', 'left', 'right', 'outer' as const),
      leftOn: fc.array(fc.nat({ max: 8 }), { maxLength: 2 }),
      rightOn: fc.array(fc.nat({ max: 8 }), { maxLength: 2 }),
      output: fc.array(fc.record({ side: fc.constantFrom('left', 'right' as const), index: fc.nat({ max: 8 }) }), { maxLength: 4 }),
    }),
    fc.record({ op: fc.constant('union' as const), inputs: fc.array(input, { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constant('sink' as const), input, name }),
    fc.record({ op: fc.constant('bridge_sink' as const), input, bridge: fc.nat({ max: 9 }) }),
    fc.record({ op: fc.constant('otel_export' as const), input, spec: fc.jsonValue({ maxDepth: 3 }) }),
  );
}

/** Plans in topological order with distinct, increasing (not necessarily dense) ids. */
export const plan: fc.Arbitrary<Plan> = fc
  .record({ count: fc.integer({ min: 1, max: 8 }), now: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), firstId: fc.nat({ max: 3 }) })
  .chain(({ count, now, firstId }) => {
    const ids = Array.from({ length: count }, (_, i) => firstId + 2 * i);
    const nodes = ids.map((id, i) =>
      fc
        .record({ body: nodeBody(ids.slice(0, i)), relation, at: fc.option(fc.record({ line: fc.integer({ min: 1, max: 500 }), column: fc.integer({ min: 1, max: 200 }) }), { nil: undefined }) })
        .map(({ body, relation, at }) => ({ ...body, id, relation, ...(at ? { at } : {}) }) as PlanNode),
    );
    return fc.tuple(...nodes).map((list): Plan => ({ nodes: list, now }));
  });

/** Fails with where `actual` and `expected` differ (bigints exactly, floats by Object.is). */
function same(actual: unknown, expected: unknown, what: string): void {
  const difference = firstDifference(actual, expected);
  if (difference) violated(`${what} differs at ${difference}`);
}

const JSON_TOKENS = ['{', '}', '[', ']', '"', ':', ',', 'null', 'true', '-', '0', '1e999', '{"$bigint":"', '"}', '\\u0000', '\\', '"nodes"', '"op"', '"union"', '"inputs"', '"input"', '"id"', '"now"', '"version"', '{"$float":"NaN"}', '"$float"'];

export type PlanInput =
  | { readonly kind: 'roundtrip'; readonly plan: Plan }
  | { readonly kind: 'text'; readonly plan: Plan; readonly mutations: readonly TextMutation[] }
  | { readonly kind: 'value'; readonly plan: Plan; readonly path: readonly number[]; readonly replacement: unknown };

/** Replaces the value at `path` (each step an index into the keys or items there, modulo their count). */
function replaceAt(root: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || root === null || typeof root !== 'object') return replacement;
  const [step, ...rest] = path as [number, ...number[]];
  if (Array.isArray(root)) {
    if (root.length === 0) return root;
    const copy = [...root];
    const i = step % copy.length;
    copy[i] = replaceAt(copy[i], rest, replacement);
    return copy;
  }
  const keys = Object.keys(root);
  if (keys.length === 0) return root;
  const key = keys[step % keys.length]!;
  const copy: Record<string, unknown> = { ...(root as Record<string, unknown>) };
  if (replacement === undefined && rest.length === 0) delete copy[key];
  else copy[key] = replaceAt(copy[key], rest, replacement);
  return copy;
}

function planText(input: PlanInput): string {
  switch (input.kind) {
    case 'roundtrip':
      return encodePlan(input.plan);
    case 'text':
      return mutateText(encodePlan(input.plan), input.mutations);
    case 'value':
      return stringifyWithBigInts(replaceAt(parseWithBigInts(encodePlan(input.plan)), input.path, input.replacement));
  }
}

export const planCodecTarget: FuzzTarget<PlanInput> = {
  name: 'plan-codec',
  description: 'plans: decode(encode(p)) = p (bigints, NaN, ±Infinity, -0 included); corrupted text or values give a PlanDecodeError or a plan that encodes and decodes again',
  arbitrary: fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), plan }),
    fc.record({ kind: fc.constant('text' as const), plan, mutations: textMutations(JSON_TOKENS) }),
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('value' as const),
        plan,
        path: fc.array(fc.nat({ max: 40 }), { maxLength: 6 }),
        replacement: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.bigInt(), fc.constantFrom(-1, 1.5, 2 ** 53, Number.NaN)),
      }),
    },
  ),
  check(input) {
    const encoded = planText(input);
    if (input.kind === 'roundtrip') {
      same(decodePlan(encoded), input.plan, 'decode(encode(plan))');
      return;
    }
    const decoded = expectTyped(() => decodePlan(encoded), [PlanDecodeError]);
    if (decoded) same(decodePlan(encodePlan(decoded)), decoded, 'a decoded corrupt plan, encoded and decoded again,');
  },
  show: (input) => `${planText(input)}${input.kind === 'roundtrip' ? '' : `\nmutated from ${encodePlan(input.plan)}`}`,
};

// ---- stream frames --------------------------------------------------------------------------

const frame: fc.Arbitrary<StreamFrame> = fc.oneof(
  fc.record({ kind: fc.constant('batch' as const), channel: fc.nat({ max: 0xffffffff }), batch: rowBatch }),
  fc.record({
    kind: fc.constant('json' as const),
    channel: fc.nat({ max: 0xffffffff }),
    value: fc.oneof(
      fc.record({ type: fc.constant('sink'), name: text, relation }),
      fc.record({ type: fc.constant('stats'), rows: fc.nat(), batches: fc.nat(), elapsedMs: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
      fc.record({ rows: fc.bigInt(), name: text }),
      fc.jsonValue({ maxDepth: 3 }),
    ),
  }),
);

function sameFrame(actual: StreamFrame, expected: StreamFrame): void {
  if (actual.kind !== expected.kind || actual.channel !== expected.channel) violated(`frame is ${actual.kind} on ${actual.channel}, expected ${expected.kind} on ${expected.channel}`);
  if (actual.kind === 'batch' && expected.kind === 'batch') sameRows(actual.batch, expected.batch, 'frame batch');
  if (actual.kind === 'json' && expected.kind === 'json') same(actual.value, expected.value, 'the frame value');
}

export type FrameInput =
  | { readonly kind: 'roundtrip'; readonly frame: StreamFrame }
  | { readonly kind: 'mutated'; readonly frame: StreamFrame; readonly mutations: readonly ByteMutation[] }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

const frameBytes = (input: FrameInput): Buffer =>
  input.kind === 'bytes' ? Buffer.from(input.bytes) : input.kind === 'mutated' ? mutateBytes(encodeFrame(input.frame), input.mutations) : encodeFrame(input.frame);

export const wireFrameTarget: FuzzTarget<FrameInput> = {
  name: 'wire-frame',
  description: 'stream frames: decode(encode(f)) = f; corrupted or arbitrary bytes give a WireError, a BatchDecodeError or a frame',
  arbitrary: fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), frame }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), frame, mutations: byteMutations }) },
    fc.record({
      kind: fc.constant('bytes' as const),
      // Arbitrary bytes, and arbitrary bytes behind a frame kind and the version this build reads.
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.tuple(fc.constantFrom(0, 1, 2), fc.uint8Array({ maxLength: 64 })).map(([k, rest]) => Buffer.concat([Buffer.from([k, 0, PROTOCOL_VERSION & 0xff, PROTOCOL_VERSION >> 8]), Buffer.from(rest)])),
      ),
    }),
  ),
  check(input) {
    const bytes = frameBytes(input);
    if (input.kind === 'roundtrip') {
      sameFrame(decodeFrame(bytes), input.frame);
      return;
    }
    const decoded = expectTyped(() => decodeFrame(bytes), [WireError, BatchDecodeError]);
    if (decoded?.kind === 'batch') checkWellFormed(decoded.batch, bytes.length);
    if (decoded) sameFrame(decodeFrame(encodeFrame(decoded)), decoded);
  },
  show: (input) => `${hexDump(frameBytes(input))}${input.kind === 'bytes' ? '' : `\n${inspect(input.frame, { depth: 5, maxArrayLength: 20 })}`}`,
};
