// Errors a query can end with at run time. Each carries a code, the script position of the plan
// node (or function call) it came from when the plan has one, and a message that says what
// happened and what to change.
import type { SourceSpan } from '../plan.js';
import { UdfError } from '../udf/context.js';

export type ExecErrorCode =
  | 'memory_limit'
  | 'time_limit'
  | 'aborted'
  | 'not_executed'
  | 'bad_argument'
  | 'rejected_pattern'
  | 'bad_plan'
  | 'bridge'
  | 'internal';

export class ExecError extends Error {
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(
    readonly code: ExecErrorCode,
    detail: string,
    readonly at?: SourceSpan,
  ) {
    super(at ? `line ${at.line}, column ${at.column}: ${detail}` : detail);
    this.name = 'ExecError';
    this.detail = detail;
  }
}

/** Any error thrown while running a node, as an ExecError carrying the innermost known position. */
export function asExecError(e: unknown, at: SourceSpan | undefined): ExecError {
  if (e instanceof ExecError) return e.at || !at ? e : new ExecError(e.code, e.detail, at);
  if (e instanceof UdfError) return new ExecError(e.code, e.message, at);
  const err = e instanceof Error ? e : new Error(String(e));
  const wrapped = new ExecError('internal', err.message, at);
  wrapped.stack = err.stack;
  return wrapped;
}
