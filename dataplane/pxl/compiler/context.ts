// What the px module and DataFrame methods share while one script compiles.
import type { TableSchema } from '../../table-store/types.js';
import type { PlanBuilder } from './builder.js';

export interface CompileContext {
  readonly builder: PlanBuilder;
  /** The query's now (ns since the epoch): px.now() and relative times resolve to it. */
  readonly now: bigint;
  readonly schema: (table: string) => TableSchema | undefined;
  readonly tableNames: readonly string[];
  /** The export window when a Plugin runs the script (px.plugin.start_time / end_time). */
  readonly plugin: { readonly startTime: bigint; readonly endTime: bigint } | undefined;
  /** Names of px.display tables, in call order. */
  readonly displays: string[];
  /** How many px.export calls the script made. */
  exports: number;
}
