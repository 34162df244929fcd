// One table: a schema, the batch being appended to ("hot") and sealed batches, oldest first,
// held within a byte budget and a maximum age.
//
// Budget invariant: after every call returns, sealed bytes + hot bytes <= budget. A batch is
// sealed once it reaches the row limit or a quarter of the budget, so evicting whole sealed
// batches (oldest first) can always make room for the hot one; a single row too large for the
// budget is dropped and counted instead of stored.
import { wallClockNs } from '../../lib/clock.js';
import { BatchBuilder, batchOverheadBytes, rowWidthOf, type StoredBatch } from './batch-builder.js';
import { cellFits, expectedValue } from './cells.js';
import { describeValue, TableStoreError } from './errors.js';
import { scanBatches } from './scan.js';
import { DATA_TYPES, type CellValue, type DataType, type RowBatch, type ScanRequest, type TableSchema } from './types.js';

/** Nanoseconds since the epoch. */
export type Clock = () => bigint;

export const DEFAULT_BATCH_ROWS = 8192;
export const DEFAULT_MAX_AGE_NS = 24n * 3600n * 1_000_000_000n;
/** Rows a new hot batch has room for before it first grows (doubling up to the row limit). */
export const INITIAL_BATCH_CAPACITY = 256;
/** A batch is sealed once its accounted bytes reach budget / BATCH_BUDGET_DIVISOR. */
export const BATCH_BUDGET_DIVISOR = 4;

export interface TableOptions {
  /** Most bytes the table may hold (accounted as in batch-builder.ts). */
  budgetBytes: number;
  /** Rows after which the hot batch is sealed (default 8192). */
  batchRows?: number;
  /** Sealed batches whose newest row is older than this are evicted (default 24 h). */
  maxAgeNs?: bigint;
  clock?: Clock;
}

export interface EvictionCounts {
  readonly bytes: number;
  readonly age: number;
}

export interface TableStats {
  readonly name: string;
  readonly budgetBytes: number;
  readonly bytes: number;
  readonly rows: number;
  /** Sealed batches held (the hot batch is not counted here). */
  readonly batches: number;
  readonly hotRows: number;
  readonly rowsAppended: number;
  /** Batches sealed since the table was created. */
  readonly batchesAppended: number;
  /** Rows too large for the whole budget, not stored. */
  readonly rowsDropped: number;
  readonly rowsEvicted: EvictionCounts;
  readonly batchesEvicted: EvictionCounts;
}

export class Table {
  readonly schema: TableSchema;
  private readonly types: readonly DataType[];
  private readonly names: readonly string[];
  private readonly timeIndex: number;
  private readonly rowWidth: number;
  private readonly overhead: number;
  private readonly batchRows: number;
  private readonly maxAgeNs: bigint;
  private readonly clock: Clock;
  private budget = 0;
  private batchLimit = 0;

  private readonly sealed: StoredBatch[] = [];
  private sealedBytes = 0;
  private sealedRows = 0;
  /** Undefined while it would hold no rows, so an empty table accounts 0 bytes. */
  private hot: BatchBuilder | undefined;
  /** appendObject()'s row in column order, reused. */
  private readonly scratch: CellValue[];

  private rowsAppended = 0;
  private batchesAppended = 0;
  private rowsDropped = 0;
  private readonly rowsEvicted = { bytes: 0, age: 0 };
  private readonly batchesEvicted = { bytes: 0, age: 0 };

  constructor(schema: TableSchema, options: TableOptions) {
    this.timeIndex = checkSchema(schema);
    this.schema = schema;
    this.types = schema.columns.map((c) => c.type);
    this.names = schema.columns.map((c) => c.name);
    this.rowWidth = rowWidthOf(this.types);
    this.overhead = batchOverheadBytes(this.types.length);
    this.batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    this.maxAgeNs = options.maxAgeNs ?? DEFAULT_MAX_AGE_NS;
    this.clock = options.clock ?? wallClockNs;
    this.scratch = new Array<CellValue>(this.types.length);
    if (!Number.isInteger(this.batchRows) || this.batchRows < 1 || this.batchRows > 2 ** 24) {
      throw new TableStoreError('BAD_OPTIONS', schema.name, undefined, `batchRows is ${this.batchRows}`, 'use an integer from 1 to 16777216');
    }
    if (this.maxAgeNs <= 0n) throw new TableStoreError('BAD_OPTIONS', schema.name, undefined, `maxAgeNs is ${this.maxAgeNs}`, 'use a positive number of nanoseconds');
    this.setBudget(options.budgetBytes);
  }

  get name(): string {
    return this.schema.name;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  /** Accounted bytes held now, the hot batch included. */
  get bytes(): number {
    return this.sealedBytes + (this.hot?.bytes ?? 0);
  }

  get rows(): number {
    return this.sealedRows + (this.hot?.length ?? 0);
  }

  /** Changes the budget, evicting the oldest batches if the table now holds more. */
  setBudget(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new TableStoreError('BAD_OPTIONS', this.name, undefined, `budget is ${bytes} bytes`, 'use a non-negative integer number of bytes');
    }
    this.budget = bytes;
    this.batchLimit = Math.floor(bytes / BATCH_BUDGET_DIVISOR);
    if (this.hot !== undefined && this.hot.bytes > this.batchLimit) this.sealHot();
    this.evictForBytes();
  }

  /**
   * Appends one row, values in schema order. Returns false when the row alone is larger than
   * the table's budget (it is counted in rowsDropped). Throws a BAD_ROW TableStoreError, having
   * stored nothing, when a value does not fit its column.
   */
  appendRow(values: readonly CellValue[]): boolean {
    if (values.length !== this.types.length) {
      throw new TableStoreError('BAD_ROW', this.name, undefined, `the row has ${values.length} values but the schema has ${this.types.length} columns`, 'the row was not stored');
    }
    this.check(values);
    return this.store(values);
  }

  /**
   * Appends one row given by column name (extra properties are ignored). Numbers are accepted
   * for int64 and time64ns columns. Fails like appendRow().
   */
  appendObject<R extends { readonly [K in keyof R]: CellValue }>(row: R): boolean {
    const values = this.scratch;
    const byName = row as unknown as Readonly<Record<string, CellValue>>;
    for (let c = 0; c < this.names.length; c++) values[c] = byName[this.names[c]!]!;
    this.check(values);
    return this.store(values);
  }

  /** Seals the hot batch now (if it holds rows). */
  seal(): void {
    if (this.hot !== undefined) this.sealHot();
  }

  /**
   * Rows inside the request's time bounds (inclusive), with the requested columns, batch by
   * batch in order of arrival. What the scan returns is fixed when scan() is called: the sealed
   * batches then held and a snapshot of the hot batch's rows; later appends and evictions change
   * neither the batches still to come nor those already returned. Iterating the result again
   * reads the same rows.
   */
  scan(request: ScanRequest): Iterable<RowBatch> {
    const columns = [...request.columns];
    for (const c of columns) {
      if (!Number.isInteger(c) || c < 0 || c >= this.types.length) {
        throw new TableStoreError('BAD_SCAN', this.name, undefined, `column position ${c} is not in the schema`, `use positions 0 to ${this.types.length - 1}`);
      }
    }
    for (const bound of [request.startTime, request.endTime]) {
      if (bound !== undefined && typeof bound !== 'bigint') {
        throw new TableStoreError('BAD_SCAN', this.name, undefined, `time bound ${describeValue(bound)} is not a bigint`, 'give start and end times as bigint nanoseconds since the epoch');
      }
    }
    this.evictExpired();
    const batches = this.sealed.slice();
    if (this.hot !== undefined) batches.push(this.hot.snapshot());
    const fixed: ScanRequest = { columns, startTime: request.startTime, endTime: request.endTime };
    const timeIndex = this.timeIndex;
    return { [Symbol.iterator]: () => scanBatches(batches, timeIndex, fixed) };
  }

  /**
   * Evicts, oldest first, the sealed batches whose newest row is older than the maximum age;
   * once none is left, the hot batch too when all its rows are that old. Returns the rows
   * evicted. Runs on every seal, scan and stats() call.
   */
  evictExpired(now: bigint = this.clock()): number {
    const cutoff = now - this.maxAgeNs;
    let evicted = 0;
    let k = 0;
    while (k < this.sealed.length && this.sealed[k]!.maxTime < cutoff) {
      const stored = this.sealed[k++]!;
      this.sealedBytes -= stored.bytes;
      this.sealedRows -= stored.batch.length;
      evicted += stored.batch.length;
    }
    if (k > 0) this.sealed.splice(0, k);
    this.batchesEvicted.age += k;
    if (this.sealed.length === 0 && this.hot !== undefined && this.hot.maxTime < cutoff) {
      evicted += this.hot.length;
      this.batchesEvicted.age++;
      this.hot = undefined;
    }
    this.rowsEvicted.age += evicted;
    return evicted;
  }

  /** Counters and sizes, after evicting what has expired. */
  stats(): TableStats {
    this.evictExpired();
    return {
      name: this.name,
      budgetBytes: this.budget,
      bytes: this.bytes,
      rows: this.rows,
      batches: this.sealed.length,
      hotRows: this.hot?.length ?? 0,
      rowsAppended: this.rowsAppended,
      batchesAppended: this.batchesAppended,
      rowsDropped: this.rowsDropped,
      rowsEvicted: { ...this.rowsEvicted },
      batchesEvicted: { ...this.batchesEvicted },
    };
  }

  private check(values: readonly CellValue[]): void {
    for (let c = 0; c < this.types.length; c++) {
      const type = this.types[c]!;
      if (!cellFits(type, values[c])) {
        throw new TableStoreError(
          'BAD_ROW',
          this.name,
          this.names[c],
          `expected ${expectedValue(type)}, got ${describeValue(values[c])}`,
          'the row was not stored; the collector must produce values of the schema type',
        );
      }
    }
  }

  private store(values: readonly CellValue[]): boolean {
    let hot = this.roomyHot();
    hot.push(values);
    if (hot.bytes > this.budget) {
      hot.pop();
      if (hot.length === 0) return this.drop();
      // The rows before it may be what is in the way: seal them and try the row on its own.
      this.sealHot();
      hot = this.roomyHot();
      hot.push(values);
      if (hot.bytes > this.budget) {
        hot.pop();
        return this.drop();
      }
    }
    this.rowsAppended++;
    if (hot.length >= this.batchRows || hot.bytes >= this.batchLimit) this.sealHot();
    this.evictForBytes();
    return true;
  }

  private drop(): false {
    this.hot = undefined;
    this.rowsDropped++;
    this.evictForBytes();
    return false;
  }

  /** The hot batch with room for one more row: created, grown, or sealed and replaced. */
  private roomyHot(): BatchBuilder {
    const hot = this.hot;
    if (hot !== undefined && hot.length < hot.capacity) return hot;
    // Capacity is bounded by the rows that fit the batch limit, each row taking its fixed width
    // plus the dictionary bytes rows have added on average so far (at first: as much again).
    if (hot !== undefined) {
      const fits = Math.floor((this.batchLimit - this.overhead) / (this.rowWidth + hot.dictBytes / hot.length));
      const next = Math.min(hot.capacity * 2, this.batchRows, fits);
      if (next > hot.capacity) {
        hot.grow(next);
        return hot;
      }
      this.sealHot();
    }
    const fits = Math.floor((this.batchLimit - this.overhead) / (2 * this.rowWidth));
    const capacity = Math.max(1, Math.min(INITIAL_BATCH_CAPACITY, this.batchRows, fits));
    this.hot = new BatchBuilder(this.types, this.timeIndex, capacity);
    return this.hot;
  }

  private sealHot(): void {
    const stored = this.hot!.seal();
    this.hot = undefined;
    this.sealed.push(stored);
    this.sealedBytes += stored.bytes;
    this.sealedRows += stored.batch.length;
    this.batchesAppended++;
    this.evictExpired();
  }

  private evictForBytes(): void {
    const hotBytes = this.hot?.bytes ?? 0;
    let k = 0;
    while (k < this.sealed.length && this.sealedBytes + hotBytes > this.budget) {
      const stored = this.sealed[k++]!;
      this.sealedBytes -= stored.bytes;
      this.sealedRows -= stored.batch.length;
      this.rowsEvicted.bytes += stored.batch.length;
    }
    if (k > 0) this.sealed.splice(0, k);
    this.batchesEvicted.bytes += k;
  }
}

/** Checks a schema; returns the position of its time column. */
function checkSchema(schema: TableSchema): number {
  const bad = (column: string | undefined, problem: string, hint: string) => new TableStoreError('BAD_SCHEMA', schema.name, column, problem, hint);
  if (schema.columns.length === 0) throw bad(undefined, 'the schema has no columns', 'give at least the time column');
  const seen = new Set<string>();
  for (const column of schema.columns) {
    if (seen.has(column.name)) throw bad(column.name, 'the column appears twice', 'give each column a distinct name');
    seen.add(column.name);
    if (!DATA_TYPES.includes(column.type)) throw bad(column.name, `unknown data type ${JSON.stringify(column.type)}`, `use one of ${DATA_TYPES.join(', ')}`);
  }
  const timeIndex = schema.columns.findIndex((c) => c.name === schema.timeColumn);
  if (timeIndex < 0) throw bad(schema.timeColumn, 'the time column is not in the schema', 'name an existing time64ns column as timeColumn');
  if (schema.columns[timeIndex]!.type !== 'time64ns') {
    throw bad(schema.timeColumn, `the time column has type ${schema.columns[timeIndex]!.type}`, 'the time column must be time64ns');
  }
  return timeIndex;
}
