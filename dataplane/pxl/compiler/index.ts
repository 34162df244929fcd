// The PxL compiler: script text → logical plan (dataplane/pxl/plan.ts).
export { compilePxl, compilePxlSync, initPxl, DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_NODES, type CompileOptions, type CompiledQuery } from './compile.js';
export { explain, showExpr, showRelation } from './explain.js';
export { optimize } from './optimize.js';
export type { OtelArg, OtelExportSpec } from './otel.js';
export { parseTimeText } from './time.js';
export { PxlCompileError, type PxlErrorCode, type Pos } from '../parse/index.js';
