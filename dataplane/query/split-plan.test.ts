import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Plan, PlanNode, Relation } from '../pxl/plan.js';
import { decodePlan, encodePlan } from './plan-codec.js';
import { splitPlan } from './split-plan.js';

const HTTP: Relation = [
  { name: 'time_', type: 'time64ns' },
  { name: 'upid', type: 'uint128' },
  { name: 'req_path', type: 'string' },
  { name: 'latency', type: 'int64' },
];
const STATS: Relation = [
  { name: 'req_path', type: 'string' },
  { name: 'n', type: 'int64' },
  { name: 'p', type: 'string' },
];

/** source → filter → map → agg(full) → sink, and a second source joined to the aggregate. */
function plan(): Plan {
  const nodes: PlanNode[] = [
    { id: 1, op: 'source', table: 'http_events', columns: [0, 1, 2, 3], relation: HTTP },
    {
      id: 2,
      op: 'filter',
      input: 1,
      relation: HTTP,
      predicate: { kind: 'call', fn: 'greaterThan', type: 'boolean', args: [{ kind: 'column', index: 3, name: 'latency', type: 'int64' }, { kind: 'literal', type: 'int64', value: 10n }] },
    },
    {
      id: 3,
      op: 'map',
      input: 2,
      relation: [...HTTP, { name: 'pod', type: 'string' }],
      exprs: [
        ...HTTP.map((c, index) => ({ name: c.name, expr: { kind: 'column' as const, index, name: c.name, type: c.type } })),
        { name: 'pod', expr: { kind: 'call', fn: 'upid_to_pod_name', type: 'string', args: [{ kind: 'column', index: 1, name: 'upid', type: 'uint128' }] } },
      ],
    },
    {
      id: 4,
      op: 'agg',
      input: 3,
      mode: 'full',
      groups: [2],
      aggs: [
        { name: 'n', fn: 'count', arg: 3, argType: 'int64', type: 'int64' },
        { name: 'p', fn: 'quantiles', arg: 3, argType: 'int64', type: 'string' },
      ],
      relation: STATS,
    },
    { id: 5, op: 'source', table: 'http_events', columns: [2], relation: [HTTP[2]!] },
    { id: 6, op: 'limit', input: 5, n: 100, relation: [HTTP[2]!] },
    { id: 7, op: 'join', left: 4, right: 6, how: 'inner', leftOn: [0], rightOn: [0], output: [{ side: 'left', index: 0 }, { side: 'left', index: 1 }], relation: STATS.slice(0, 2) },
    { id: 8, op: 'sink', input: 7, name: 'joined', relation: STATS.slice(0, 2) },
    { id: 9, op: 'sink', input: 3, name: 'raw', relation: [...HTTP, { name: 'pod', type: 'string' }] },
  ];
  return { nodes, now: 5n };
}

test('PEMs scan, filter, map (metadata included), aggregate partially and cut early; Kelvin finishes', () => {
  const { pem, kelvin, bridges } = splitPlan(plan());
  // Both fragments are valid, topologically ordered plans.
  decodePlan(encodePlan(pem));
  decodePlan(encodePlan(kelvin));

  assert.deepEqual(pem.nodes.filter((n) => n.op !== 'bridge_sink').map((n) => n.op), ['source', 'filter', 'map', 'agg', 'source', 'limit']);
  const partial = pem.nodes.find((n) => n.op === 'agg')!;
  assert.equal(partial.op === 'agg' && partial.mode, 'partial');
  assert.deepEqual(partial.relation.map((c) => [c.name, c.type]), [['req_path', 'string'], ['n', 'string'], ['p', 'string']]);

  assert.deepEqual(kelvin.nodes.map((n) => n.op), ['bridge_source', 'bridge_source', 'bridge_source', 'agg', 'limit', 'join', 'sink', 'sink']);
  const final = kelvin.nodes.find((n) => n.op === 'agg')!;
  assert.ok(final.op === 'agg');
  assert.equal(final.mode, 'final');
  assert.deepEqual(final.groups, [0]);
  assert.deepEqual(final.aggs.map((a) => a.arg), [1, 2]);
  assert.deepEqual(final.relation, STATS);

  // Every PEM output is a bridge Kelvin reads, with the same relation.
  const sinks = pem.nodes.filter((n) => n.op === 'bridge_sink');
  const sources = kelvin.nodes.filter((n) => n.op === 'bridge_source');
  assert.equal(sinks.length, 3);
  assert.deepEqual(sinks.map((n) => n.op === 'bridge_sink' && n.bridge).sort(), sources.map((n) => n.op === 'bridge_source' && n.bridge).sort());
  for (const s of sources) assert.ok(s.op === 'bridge_source' && bridges.get(s.bridge) === s.relation);
  // The raw sink reads the map's output through one bridge, not a second scan.
  const raw = kelvin.nodes.find((n) => n.op === 'sink' && n.name === 'raw')!;
  assert.ok(raw.op === 'sink');
  assert.equal(kelvin.nodes.find((n) => n.id === raw.input)!.op, 'bridge_source');
});

test('a plan that is already split is refused', () => {
  const { pem } = splitPlan(plan());
  assert.throws(() => splitPlan(pem), /already a bridge/);
});
