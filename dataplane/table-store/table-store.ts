// The tables of one PEM. The store's byte budget is a share of the PEM's memory limit (60% by
// default, as the Vizier CR's pem.tableStorePercent) or a byte count given directly (the
// operator passes LOUPE_TABLE_STORE_LIMIT_BYTES); it is split across the existing tables in
// proportion to their weights, and re-split whenever a table is created.
import { TableStoreError } from './errors.js';
import { Table, type Clock, type TableStats } from './table.js';
import type { RowBatch, ScanRequest, TableSchema, TableSource } from './types.js';

/**
 * Relative shares of the budget. http_events gets the most: it has the most rows and the
 * widest ones (headers and bodies). Stack traces come next (long folded strings, one row per
 * distinct stack per process and interval). conn_stats and process_stats are periodic samples
 * per connection pair and per process; network_stats has one row per network namespace. With
 * all five tables: http_events 50%, stack_traces.beta 18.75%, conn_stats and process_stats
 * 12.5% each, network_stats 6.25%. Any other table weighs DEFAULT_TABLE_WEIGHT.
 */
export const DEFAULT_TABLE_WEIGHTS: Readonly<Record<string, number>> = {
  http_events: 8,
  'stack_traces.beta': 3,
  conn_stats: 2,
  process_stats: 2,
  network_stats: 1,
};
export const DEFAULT_TABLE_WEIGHT = 1;
/** Share of the memory limit the table store may use (Pixie uses 60% too). */
export const DEFAULT_MEMORY_SHARE = 0.6;
/** The Vizier CR's default PEM memory limit, used when neither a limit nor a total is given. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 2 * 2 ** 30;

export interface TableStoreOptions {
  /** Bytes for all tables together; when set, memoryLimitBytes and memoryShare are ignored. */
  totalBytes?: number;
  /** The PEM's memory limit (default 2 GiB). */
  memoryLimitBytes?: number;
  /** Share of memoryLimitBytes for the tables, in (0, 1] (default 0.6). */
  memoryShare?: number;
  /** Weights by table name, over DEFAULT_TABLE_WEIGHTS. */
  weights?: Readonly<Record<string, number>>;
  /** Weight of a table named in neither (default 1). */
  defaultWeight?: number;
  /** For every table (see TableOptions). */
  batchRows?: number;
  maxAgeNs?: bigint;
  clock?: Clock;
}

export class TableStore implements TableSource {
  readonly totalBytes: number;
  private readonly weights: Readonly<Record<string, number>>;
  private readonly defaultWeight: number;
  private readonly options: TableStoreOptions;
  private readonly tables = new Map<string, Table>();

  constructor(options: TableStoreOptions = {}) {
    const share = options.memoryShare ?? DEFAULT_MEMORY_SHARE;
    if (!(share > 0 && share <= 1)) throw badOption(`memoryShare is ${share}`, 'use a fraction in (0, 1], e.g. 0.6');
    this.totalBytes = options.totalBytes ?? Math.floor((options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES) * share);
    if (!Number.isSafeInteger(this.totalBytes) || this.totalBytes < 0) throw badOption(`the total budget is ${this.totalBytes} bytes`, 'give a non-negative integer totalBytes or memoryLimitBytes');
    this.weights = { ...DEFAULT_TABLE_WEIGHTS, ...options.weights };
    this.defaultWeight = options.defaultWeight ?? DEFAULT_TABLE_WEIGHT;
    for (const [name, weight] of [...Object.entries(this.weights), ['(default)', this.defaultWeight] as const]) {
      if (!(Number.isFinite(weight) && weight > 0)) throw badOption(`the weight of ${name} is ${weight}`, 'weights must be positive numbers');
    }
    this.options = options;
  }

  /**
   * Creates a table and re-splits the budget (existing tables evict down to their new share).
   * Creating an existing table again with the same schema returns it.
   */
  createTable(schema: TableSchema): Table {
    const existing = this.tables.get(schema.name);
    if (existing !== undefined) {
      if (JSON.stringify(existing.schema) === JSON.stringify(schema)) return existing;
      throw new TableStoreError('TABLE_EXISTS', schema.name, undefined, 'a table of that name exists with another schema', 'use a new table name');
    }
    const table = new Table(schema, { budgetBytes: 0, batchRows: this.options.batchRows, maxAgeNs: this.options.maxAgeNs, clock: this.options.clock });
    this.tables.set(schema.name, table);
    this.split();
    return table;
  }

  /** Each table's budget: totalBytes * its weight / the sum of the weights of all tables. */
  budgetOf(name: string): number {
    let sum = 0;
    for (const other of this.tables.keys()) sum += this.weightOf(other);
    return sum === 0 ? 0 : Math.floor((this.totalBytes * this.weightOf(name)) / sum);
  }

  table(name: string): Table | undefined {
    return this.tables.get(name);
  }

  schema(name: string): TableSchema | undefined {
    return this.tables.get(name)?.schema;
  }

  tableNames(): readonly string[] {
    return [...this.tables.keys()];
  }

  scan(name: string, request: ScanRequest): Iterable<RowBatch> {
    const table = this.tables.get(name);
    if (table === undefined) throw new TableStoreError('UNKNOWN_TABLE', name, undefined, 'no such table', `tables: ${this.tableNames().join(', ') || '(none)'}`);
    return table.scan(request);
  }

  /** Accounted bytes of all tables now; never more than totalBytes. */
  get bytes(): number {
    let sum = 0;
    for (const table of this.tables.values()) sum += table.bytes;
    return sum;
  }

  /** Age eviction for every table (a PEM calls this periodically so idle tables expire too). */
  evictExpired(): number {
    let rows = 0;
    for (const table of this.tables.values()) rows += table.evictExpired();
    return rows;
  }

  stats(): TableStats[] {
    return [...this.tables.values()].map((table) => table.stats());
  }

  private weightOf(name: string): number {
    return Object.hasOwn(this.weights, name) ? this.weights[name]! : this.defaultWeight;
  }

  private split(): void {
    // Shrink before growing: the sum of the budgets never exceeds the total in between.
    const budgets = [...this.tables.values()].map((table) => [table, this.budgetOf(table.name)] as const);
    for (const [table, budget] of budgets) if (budget < table.budgetBytes) table.setBudget(budget);
    for (const [table, budget] of budgets) if (budget > table.budgetBytes) table.setBudget(budget);
  }
}

function badOption(problem: string, hint: string): TableStoreError {
  return new TableStoreError('BAD_OPTIONS', '(store)', undefined, problem, hint);
}
