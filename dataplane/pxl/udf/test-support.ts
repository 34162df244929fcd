// For the function tests: call a function of the registry on vectors and constants.
import type { CellValue, ColumnVector, DataType } from '../../table-store/types.js';
import { UdfContext } from './context.js';
import { scalarImpl } from './registry.js';
import { cellAt, isScalar, scalar, vectorOf, type Scalar, type Value } from './values.js';

export const k = (type: DataType, value: CellValue): Scalar => scalar(type, value);
export const v = (type: DataType, ...cells: CellValue[]): ColumnVector => vectorOf(type, cells);

/** Calls `name` and returns the result's cells (one cell for a constant result). */
export function run(name: string, args: readonly Value[], ctx = new UdfContext()): { value: Value; cells: CellValue[] } {
  const n = Math.max(1, ...args.map((a) => (isScalar(a) ? 1 : lengthOf(a))));
  const impl = scalarImpl(
    name,
    args.map((a) => a.type),
  );
  if (!impl) throw new Error(`no ${name}(${args.map((a) => a.type).join(', ')})`);
  const value = impl.fn(args, n, ctx);
  if (value.type !== impl.returns) throw new Error(`${name} returned ${value.type}, declared ${impl.returns}`);
  const cells = isScalar(value) ? [value.value] : Array.from({ length: n }, (_, i) => cellAt(value, i));
  return { value, cells };
}

function lengthOf(c: ColumnVector): number {
  return 'codes' in c ? c.codes.length : c.values.length;
}

export const cells = (name: string, ...args: Value[]): CellValue[] => run(name, args).cells;
