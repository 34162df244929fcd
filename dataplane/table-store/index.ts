// The PEM table store: columnar tables bounded by bytes and age, read by the PxL executor
// through TableSource (types.ts).
export * from './types.js';
export { TableStoreError, type TableStoreErrorCode } from './errors.js';
export { Table, DEFAULT_BATCH_ROWS, DEFAULT_MAX_AGE_NS, wallClockNs, type Clock, type EvictionCounts, type TableOptions, type TableStats } from './table.js';
export { TableStore, DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_MEMORY_SHARE, DEFAULT_TABLE_WEIGHT, DEFAULT_TABLE_WEIGHTS, type TableStoreOptions } from './table-store.js';
export { CONN_STATS_SCHEMA, HTTP_EVENTS_SCHEMA, NETWORK_STATS_SCHEMA, PEM_SCHEMAS, PROCESS_STATS_SCHEMA, STACK_TRACES_SCHEMA } from './schemas.js';
export { cellAt, readRows } from './rows.js';
