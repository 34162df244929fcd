// The data model shared by the table store, the collectors that write into it and the PxL
// engine that reads it: column types, schemas, and the column vectors a row batch holds.
//
// Representation, per data type (one each, so every operator handles exactly these):
//   boolean            Uint8Array (0 / 1)
//   int64, time64ns    BigInt64Array (exact; nanosecond timestamps do not fit a double)
//   float64            Float64Array
//   string, uint128    dictionary-encoded: Uint32Array codes into a per-batch string[]
//                      (a uint128 such as upid is kept in its canonical text form)

export type DataType = 'boolean' | 'int64' | 'uint128' | 'float64' | 'string' | 'time64ns';

export const DATA_TYPES: readonly DataType[] = ['boolean', 'int64', 'uint128', 'float64', 'string', 'time64ns'];

/**
 * What a column means, for display (a console renders durations, bytes, pods...). Scripts set
 * it with px.DurationNanos(df.x), px.Bytes(...), px.Pod(...), etc. It never changes execution.
 */
export type SemanticType =
  | 'none'
  | 'duration_ns'
  | 'bytes'
  | 'percent'
  | 'upid'
  | 'ip_address'
  | 'port'
  | 'http_resp_status'
  | 'http_resp_message'
  | 'pod_name'
  | 'service_name'
  | 'namespace_name'
  | 'node_name'
  | 'container_name'
  | 'script_reference'
  | 'quantiles';

export interface ColumnSchema {
  readonly name: string;
  readonly type: DataType;
  readonly semantic?: SemanticType;
  readonly description?: string;
}

export interface TableSchema {
  readonly name: string;
  readonly description?: string;
  readonly columns: readonly ColumnSchema[];
  /** The time64ns column that start_time / end_time and age eviction use (Pixie: `time_`). */
  readonly timeColumn: string;
}

export type BooleanVector = { readonly type: 'boolean'; readonly values: Uint8Array };
export type Int64Vector = { readonly type: 'int64' | 'time64ns'; readonly values: BigInt64Array };
export type Float64Vector = { readonly type: 'float64'; readonly values: Float64Array };
export type DictVector = { readonly type: 'string' | 'uint128'; readonly codes: Uint32Array; readonly dict: readonly string[] };

export type ColumnVector = BooleanVector | Int64Vector | Float64Vector | DictVector;

/**
 * Rows in column form. Every vector has at least `length` entries (typed arrays may be views
 * into a larger buffer). Batches are immutable once handed out.
 */
export interface RowBatch {
  readonly length: number;
  /** In the order of the relation (schema) that produced the batch. */
  readonly columns: readonly ColumnVector[];
}

/** A value of one cell, as collectors hand rows in and as results are printed. */
export type CellValue = boolean | bigint | number | string;

export interface ScanRequest {
  /** Positions in the table's schema, in output order. */
  readonly columns: readonly number[];
  /** Inclusive bounds on the table's time column (ns since the epoch); absent = unbounded. */
  readonly startTime?: bigint;
  readonly endTime?: bigint;
}

/** What the PxL executor reads from: the table store of a PEM (or a test's fixed batches). */
export interface TableSource {
  schema(table: string): TableSchema | undefined;
  tableNames(): readonly string[];
  /** Batches in time order of arrival; only rows inside the bounds; columns as requested. */
  scan(table: string, request: ScanRequest): Iterable<RowBatch>;
}
