// Small hand-written schemas and helpers for the compiler's tests.
import assert from 'node:assert/strict';
import type { Plan, PlanNode } from '../plan.js';
import type { ColumnSchema, TableSchema } from '../../table-store/types.js';
import { PxlCompileError } from '../parse/errors.js';
import { compilePxl, type CompileOptions, type CompiledQuery } from './compile.js';
import { explain } from './explain.js';

const c = (name: string, type: ColumnSchema['type'], semantic?: ColumnSchema['semantic']): ColumnSchema => (semantic ? { name, type, semantic } : { name, type });

export const TEST_SCHEMAS: readonly TableSchema[] = [
  {
    name: 'http_events',
    timeColumn: 'time_',
    columns: [
      c('time_', 'time64ns'),
      c('upid', 'uint128', 'upid'),
      c('remote_addr', 'string', 'ip_address'),
      c('remote_port', 'int64', 'port'),
      c('trace_role', 'int64'),
      c('req_method', 'string'),
      c('req_path', 'string'),
      c('req_body', 'string'),
      c('resp_status', 'int64', 'http_resp_status'),
      c('resp_body', 'string'),
      c('latency', 'int64', 'duration_ns'),
    ],
  },
  {
    name: 'process_stats',
    timeColumn: 'time_',
    columns: [
      c('time_', 'time64ns'),
      c('upid', 'uint128', 'upid'),
      c('cpu_utime_ns', 'int64', 'duration_ns'),
      c('cpu_ktime_ns', 'int64', 'duration_ns'),
      c('num_threads', 'int64'),
      c('vsize_bytes', 'int64', 'bytes'),
      c('rss_bytes', 'int64', 'bytes'),
      c('read_bytes', 'int64', 'bytes'),
      c('write_bytes', 'int64', 'bytes'),
    ],
  },
  {
    name: 'conn_stats',
    timeColumn: 'time_',
    columns: [
      c('time_', 'time64ns'),
      c('upid', 'uint128', 'upid'),
      c('remote_addr', 'string', 'ip_address'),
      c('remote_port', 'int64', 'port'),
      c('trace_role', 'int64'),
      c('conn_open', 'int64'),
      c('conn_close', 'int64'),
      c('bytes_sent', 'int64', 'bytes'),
      c('bytes_recv', 'int64', 'bytes'),
    ],
  },
  {
    name: 'network_stats',
    timeColumn: 'time_',
    columns: [c('time_', 'time64ns'), c('pod_id', 'string'), c('rx_bytes', 'int64', 'bytes'), c('tx_bytes', 'int64', 'bytes')],
  },
];

/** 2024-05-01T12:00:00Z in ns. */
export const NOW = 1_714_564_800_000_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;

export const TEST_OPTIONS: CompileOptions = {
  schemas: (t) => TEST_SCHEMAS.find((s) => s.name === t),
  tableNames: TEST_SCHEMAS.map((s) => s.name),
  now: NOW,
};

export function compile(source: string, options: Partial<CompileOptions> = {}): Promise<CompiledQuery> {
  return compilePxl(source, { ...TEST_OPTIONS, ...options });
}

/** Compiles without the optimizer, so every operator the script built is in the plan. */
export async function compileRaw(source: string, options: Partial<CompileOptions> = {}): Promise<Plan> {
  return (await compile(source, { ...options, optimize: false })).plan;
}

/** The node with `id`, checked to be a `op`. */
export function node<K extends PlanNode['op']>(plan: Plan, id: number, op: K): Extract<PlanNode, { op: K }> {
  const n = plan.nodes.find((x) => x.id === id);
  assert.ok(n, `no node #${id} in\n${explain(plan)}`);
  assert.equal(n.op, op, `node #${id} is ${n.op}, expected ${op}, in\n${explain(plan)}`);
  return n as Extract<PlanNode, { op: K }>;
}

/** The last node of the plan, checked to be a `op`. */
export function last<K extends PlanNode['op']>(plan: Plan, op: K): Extract<PlanNode, { op: K }> {
  const n = plan.nodes[plan.nodes.length - 1];
  assert.ok(n, 'empty plan');
  return node(plan, n.id, op);
}

export const names = (n: PlanNode): string[] => n.relation.map((col) => col.name);

/** Compiles `source` expecting a PxlCompileError, and returns it. */
export async function compileError(source: string, options: Partial<CompileOptions> = {}): Promise<PxlCompileError> {
  try {
    const q = await compile(source, options);
    assert.fail(`expected a compile error, got\n${explain(q.plan)}`);
  } catch (err) {
    if (!(err instanceof PxlCompileError)) throw err;
    return err;
  }
}
