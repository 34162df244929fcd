// The function library: name + argument types → implementation, for every scalar function and
// aggregate in signatures.ts (registry.test.ts checks the two match, both ways).
import type { DataType } from '../../table-store/types.js';
import { COMPARE_FUNCTIONS } from './compare.js';
import { CONVERT_FUNCTIONS } from './convert.js';
import type { ScalarImpl } from './impl.js';
import { JSON_FUNCTIONS } from './json.js';
import { MATH_FUNCTIONS } from './math.js';
import { METADATA_FUNCTIONS } from './metadata.js';
import { STRING_FUNCTIONS } from './strings.js';

export { AGGREGATE_IMPLS, aggregateFor, mergerFor, type Accumulator, type AggregateImpl } from './uda.js';
export type { ScalarFn, ScalarImpl } from './impl.js';

export const SCALAR_IMPLS: Readonly<Record<string, readonly ScalarImpl[]>> = {
  ...MATH_FUNCTIONS,
  ...COMPARE_FUNCTIONS,
  ...CONVERT_FUNCTIONS,
  ...STRING_FUNCTIONS,
  ...JSON_FUNCTIONS,
  ...METADATA_FUNCTIONS,
};

function accepts(s: ScalarImpl, args: readonly DataType[]): boolean {
  if (s.variadic) return args.length >= s.args.length - 1 && args.every((t, i) => t === s.args[Math.min(i, s.args.length - 1)]);
  return s.args.length === args.length && s.args.every((t, i) => t === args[i]);
}

/** The implementation of `name` for these argument types, or undefined. */
export function scalarImpl(name: string, args: readonly DataType[]): ScalarImpl | undefined {
  return SCALAR_IMPLS[name]?.find((s) => accepts(s, args));
}
