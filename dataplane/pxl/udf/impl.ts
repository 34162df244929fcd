// The shape of one function implementation: one per overload in signatures.ts.
import type { DataType } from '../../table-store/types.js';
import type { UdfContext } from './context.js';
import type { Value } from './values.js';

/**
 * Computes a function over n rows. Arguments are vectors (at least n rows) or constants; when
 * every argument is a constant the result is a constant.
 */
export type ScalarFn = (args: readonly Value[], n: number, ctx: UdfContext) => Value;

export interface ScalarImpl {
  readonly args: readonly DataType[];
  readonly returns: DataType;
  readonly variadic?: boolean;
  readonly fn: ScalarFn;
}

export const impl = (args: readonly DataType[], returns: DataType, fn: ScalarFn): ScalarImpl => ({ args, returns, fn });
