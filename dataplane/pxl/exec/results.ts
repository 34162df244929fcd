// Results as rows: for printing, tests and the API's JSON.
import type { Relation } from '../plan.js';
import type { CellValue, RowBatch } from '../../table-store/types.js';
import { cellAt } from '../udf/values.js';
import type { ResultBatch } from './operator.js';

export interface ResultTable {
  readonly name: string;
  readonly relation: Relation;
  readonly rows: CellValue[][];
  /** The display hit the result-row limit; rows stop there. */
  readonly truncated: boolean;
}

/** The rows of a batch: booleans, bigints (int64, time64ns), numbers (float64), strings. */
export function batchRows(batch: RowBatch): CellValue[][] {
  const rows: CellValue[][] = [];
  for (let i = 0; i < batch.length; i++) rows.push(batch.columns.map((c) => cellAt(c, i)));
  return rows;
}

/** Collects every display's batches into tables, in the order the displays first produced output. */
export async function collectResults(results: AsyncIterable<ResultBatch>): Promise<ResultTable[]> {
  const tables = new Map<string, { relation: Relation; rows: CellValue[][]; truncated: boolean }>();
  for await (const r of results) {
    let t = tables.get(r.sink);
    if (!t) tables.set(r.sink, (t = { relation: r.relation, rows: [], truncated: false }));
    for (const row of batchRows(r.batch)) t.rows.push(row);
    if (r.truncated) t.truncated = true;
  }
  return [...tables].map(([name, t]) => ({ name, ...t }));
}
