// The PEM table store: columnar tables bounded by bytes and age, read by the PxL executor
// through TableSource (types.ts).
export * from './types.js';
export { TableStoreError, type TableStoreErrorCode } from './errors.js';
export { Table, DEFAULT_BATCH_ROWS, DEFAULT_MAX_AGE_NS, type Clock, type EvictionCounts, type TableOptions, type TableStats } from './table.js';
export { TableStore, DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_MEMORY_SHARE, DEFAULT_TABLE_WEIGHT, DEFAULT_TABLE_WEIGHTS, type TableStoreOptions } from './table-store.js';
export { CONN_STATS, HTTP_EVENTS, NETWORK_STATS, PEM_TABLES, PROCESS_STATS, STACK_TRACES, type ConnStatsRow, type HttpEventRow, type NetworkStatsRow, type ProcessStatsRow, type StackTraceRow } from './schemas.js';
export { column, defineTable, type ColumnDeclaration, type RowOf, type TableDeclaration, type TableDefinition } from './define-table.js';
export { cellAt, readRows } from './rows.js';
