// Results between the query roles and their clients: the executor's result batches become
// stream frames (each display announced first with its relation, so empty displays still
// show), and a client turns frames back into tables.
import { batchRows, type ResultTable } from '../pxl/exec/results.js';
import type { ResultBatch } from '../pxl/exec/operator.js';
import type { Plan, Relation } from '../pxl/plan.js';
import type { CellValue } from '../table-store/types.js';
import type { ControlMessage } from './grpc-services.js';
import type { StreamFrame } from './wire.js';

export interface QueryStats {
  readonly rows: number;
  readonly batches: number;
  readonly elapsedMs: number;
  /** PEMs the query ran on (absent when it ran in one process). */
  readonly agents?: number;
}

export async function* resultFrames(results: AsyncIterable<ResultBatch>, plan: Plan, startedAt: number, agents?: number): AsyncGenerator<StreamFrame> {
  const channels = new Map<string, number>();
  for (const node of plan.nodes) {
    if (node.op !== 'sink' || channels.has(node.name)) continue;
    channels.set(node.name, channels.size);
    const announce: ControlMessage = { type: 'sink', name: node.name, relation: node.relation };
    yield { kind: 'json', channel: channels.get(node.name)!, value: announce };
  }
  let rows = 0;
  let batches = 0;
  for await (const r of results) {
    const channel = channels.get(r.sink);
    if (channel === undefined) throw new Error(`the executor produced rows for display "${r.sink}", which the plan does not have`);
    if (r.batch.length > 0) {
      rows += r.batch.length;
      batches++;
      yield { kind: 'batch', channel, batch: r.batch };
    }
    if (r.truncated) {
      const warning: ControlMessage = { type: 'warning', message: `display "${r.sink}" stopped at the result-row limit` };
      yield { kind: 'json', channel, value: warning };
    }
  }
  const stats: ControlMessage = { type: 'stats', rows, batches, elapsedMs: Math.round(performance.now() - startedAt), ...(agents !== undefined ? { agents } : {}) };
  yield { kind: 'json', channel: 0, value: stats };
}

export interface QueryResults {
  readonly tables: ResultTable[];
  readonly warnings: string[];
  readonly stats?: QueryStats;
}

/** Reads a query's frames into tables, in the order the script displays them. */
export async function collectFrames(frames: AsyncIterable<StreamFrame>): Promise<QueryResults> {
  const tables: { name: string; relation: Relation; rows: CellValue[][]; truncated: boolean }[] = [];
  const warnings: string[] = [];
  let stats: QueryStats | undefined;
  for await (const frame of frames) {
    if (frame.kind === 'batch') {
      const table = tables[frame.channel];
      if (!table) throw new Error(`rows arrived for display #${frame.channel} before it was announced`);
      for (const row of batchRows(frame.batch)) table.rows.push(row);
      continue;
    }
    const message = frame.value as ControlMessage;
    if (message.type === 'sink') tables[frame.channel] = { name: message.name, relation: message.relation, rows: [], truncated: false };
    else if (message.type === 'warning') {
      warnings.push(message.message);
      if (tables[frame.channel]) tables[frame.channel]!.truncated = true;
    } else if (message.type === 'stats') stats = { rows: message.rows, batches: message.batches, elapsedMs: message.elapsedMs, ...(message.agents !== undefined ? { agents: message.agents } : {}) };
  }
  return { tables: tables.filter(Boolean), warnings, ...(stats ? { stats } : {}) };
}
