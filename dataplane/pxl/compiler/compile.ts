// PxL source → logical plan: parse, interpret the module (and the entry function), then prune.
import type { Plan } from '../plan.js';
import type { TableSchema } from '../../table-store/types.js';
import { initPxlParser, parsePxl, pxlParserReady } from '../parse/index.js';
import { PxlCompileError, fail } from '../parse/errors.js';
import { PlanBuilder } from './builder.js';
import type { CompileContext } from './context.js';
import { runEntry } from './entry.js';
import { Interpreter } from './interpreter.js';
import { optimize } from './optimize.js';

export interface CompileOptions {
  /** The schema of a table, undefined when there is no such table. */
  readonly schemas: (table: string) => TableSchema | undefined;
  /** Every table name, for "unknown table" messages. */
  readonly tableNames: readonly string[];
  /** The query's now, ns since the epoch. */
  readonly now: bigint;
  /** Arguments of the entry function, as text; converted by each argument's annotation. */
  readonly args?: Readonly<Record<string, string>>;
  /** A function to call and display under its own name. */
  readonly entry?: string;
  /** Plan operators the script may build (default 2000). */
  readonly maxNodes?: number;
  /** Deepest nesting of user-function calls (default 64). */
  readonly maxCallDepth?: number;
  /** The export window when a Plugin runs the script: px.plugin.start_time / end_time. */
  readonly plugin?: { readonly startTime: bigint; readonly endTime: bigint };
  /** File name used in formatted errors (default script.pxl). */
  readonly file?: string;
  /** Drop unused operators and columns (default true). */
  readonly optimize?: boolean;
}

export interface CompiledQuery {
  readonly plan: Plan;
  /** Display names, in the order the script displays them. */
  readonly sinks: string[];
}

export const DEFAULT_MAX_NODES = 2000;
export const DEFAULT_MAX_CALL_DEPTH = 64;
const MAX_CALLS = 10_000;

/** Loads the parser once; compilePxlSync may be used after it resolves. */
export function initPxl(): Promise<void> {
  return initPxlParser();
}

export async function compilePxl(source: string, options: CompileOptions): Promise<CompiledQuery> {
  await initPxl();
  return compilePxlSync(source, options);
}

/** Compiles after initPxl() has resolved. Throws PxlCompileError for anything wrong in the script. */
export function compilePxlSync(source: string, options: CompileOptions): CompiledQuery {
  if (!pxlParserReady()) throw new Error('the PxL parser is not initialised: await initPxl() first');
  try {
    try {
      return compileModule(source, options);
    } catch (err) {
      // The nesting and call-depth limits keep the interpreter's recursion shallow; this is the
      // backstop when a caller raises them past what the JS stack holds.
      if (err instanceof RangeError && /call stack/i.test(err.message)) fail('limit', 'the script nests too deeply to compile; lower maxCallDepth', { line: 1, column: 1 });
      throw err;
    }
  } catch (err) {
    if (err instanceof PxlCompileError) err.withSource(source, options.file);
    throw err;
  }
}

function compileModule(source: string, options: CompileOptions): CompiledQuery {
  const module = parsePxl(source);
  const builder = new PlanBuilder(options.maxNodes ?? DEFAULT_MAX_NODES);
  const ctx: CompileContext = {
    builder,
    now: options.now,
    schema: options.schemas,
    tableNames: options.tableNames,
    plugin: options.plugin,
    displays: [],
    exports: 0,
  };
  const interp = new Interpreter(ctx, { maxCallDepth: options.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH, maxCalls: MAX_CALLS });
  const scope = interp.runModule(module);
  const args = options.args ?? {};
  if (options.entry !== undefined) runEntry(interp, ctx, scope, options.entry, args);
  else if (Object.keys(args).length > 0) fail('argument', `script arguments (${Object.keys(args).join(', ')}) were given but no entry function to receive them`, { line: 1, column: 1 });
  if (ctx.displays.length === 0 && ctx.exports === 0) {
    fail('no_output', 'the script displays nothing: call px.display(...) or pass an entry function', { line: 1, column: 1 });
  }
  const plan: Plan = { nodes: builder.nodes, now: options.now };
  return { plan: options.optimize === false ? plan : optimize(plan), sinks: ctx.displays };
}
