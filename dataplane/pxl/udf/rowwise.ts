// Functions defined on single values (string functions, JSON, metadata, parsing), lifted to
// vectors. When exactly one argument is a dictionary column and the others are constants (the
// common shape: px.contains(df.req_path, '/api')), the function runs once per dictionary entry
// and the result is gathered by code; a string result keeps the input's codes. Otherwise it
// runs per row.
import type { CellValue, DataType, DictVector } from '../../table-store/types.js';
import type { UdfContext } from './context.js';
import type { ScalarFn } from './impl.js';
import { boolVec, cellAt, dictVec, DictBuilder, floatVec, intVec, isScalar, type Value } from './values.js';

type Out<T extends DataType> = T extends 'boolean' ? boolean : T extends 'int64' | 'time64ns' ? bigint : T extends 'float64' ? number : string;

/**
 * Lifts f to a ScalarFn with result type `out`. `name` keys the per-dictionary cache, so it
 * must identify f (function name, plus anything f closes over besides its arguments).
 */
export function rowwise<T extends DataType>(name: string, out: T, f: (args: CellValue[], ctx: UdfContext) => Out<T>): ScalarFn {
  return (args, n, ctx) => {
    const vectorAt: number[] = [];
    for (let i = 0; i < args.length; i++) if (!isScalar(args[i]!)) vectorAt.push(i);
    if (vectorAt.length === 0) {
      return { scalar: true, type: out, value: f(args.map((a) => (a as { value: CellValue }).value), ctx) };
    }
    const only = vectorAt.length === 1 ? args[vectorAt[0]!]! : undefined;
    if (only && !isScalar(only) && (only.type === 'string' || only.type === 'uint128')) {
      const p = vectorAt[0]!;
      const consts = args.map((a, i) => (i === p ? '' : String((a as { value: CellValue }).value)));
      const cells: CellValue[] = args.map((a) => (isScalar(a) ? a.value : ''));
      const e = ctx.entries(only, n, `${name}\u0000${p}\u0000${consts.join('\u0000')}`, (s) => {
        cells[p] = s;
        return f(cells, ctx);
      });
      return gatherResults(out, e.codes, e.results, n);
    }
    // Per row.
    const cells: CellValue[] = new Array<CellValue>(args.length);
    const read = args.map((a) => (isScalar(a) ? () => a.value : (i: number) => cellAt(a, i)));
    const results: Out<T>[] = new Array<Out<T>>(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < read.length; j++) cells[j] = read[j]!(i);
      results[i] = f(cells, ctx);
    }
    return fromResults(out, results, n);
  };
}

function gatherResults<T extends DataType>(out: T, codes: Uint32Array, results: readonly Out<T>[], n: number): Value {
  switch (out) {
    case 'string':
    case 'uint128':
      return dictVec(codes, results as readonly string[], out);
    case 'boolean': {
      const r = new Uint8Array(n);
      for (let i = 0; i < n; i++) r[i] = results[codes[i]!] ? 1 : 0;
      return boolVec(r);
    }
    case 'int64':
    case 'time64ns': {
      const r = new BigInt64Array(n);
      for (let i = 0; i < n; i++) r[i] = results[codes[i]!] as bigint;
      return intVec(r, out);
    }
    default: {
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) r[i] = results[codes[i]!] as number;
      return floatVec(r);
    }
  }
}

function fromResults<T extends DataType>(out: T, results: readonly Out<T>[], n: number): Value {
  switch (out) {
    case 'string':
    case 'uint128': {
      const b = new DictBuilder();
      const codes = new Uint32Array(n);
      for (let i = 0; i < n; i++) codes[i] = b.code(results[i] as string);
      return dictVec(codes, b.dict, out) as DictVector;
    }
    case 'boolean':
      return boolVec(Uint8Array.from(results as readonly boolean[], (b) => (b ? 1 : 0)));
    case 'int64':
    case 'time64ns':
      return intVec(BigInt64Array.from(results as readonly bigint[]), out);
    default:
      return floatVec(Float64Array.from(results as readonly number[]));
  }
}
