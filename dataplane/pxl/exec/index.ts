// The PxL executor: runs a logical plan (../plan.ts) over a TableSource and streams the
// displays' batches; helpers to collect and print them.
export { executePlan, type ExecuteOptions } from './executor.js';
export { DEFAULT_LIMITS, type ExecLimits, type OtelExporter, type ResultBatch } from './operator.js';
export { ExecError, type ExecErrorCode } from './errors.js';
export { InProcessBridges, type BridgeTransport } from './bridge.js';
export { batchRows, collectResults, type ResultTable } from './results.js';
export { formatCell, formatJsonLines, formatTable, formatTime, type TableFormatOptions } from './format.js';
