// Comparisons, boolean logic and px.select. int64 against float64 compares the numeric values
// exactly (not through a lossy conversion); time64ns compares with time64ns and int64 (ns);
// strings compare by UTF-16 code units. A dictionary column against a constant is compared
// once per dictionary entry, then gathered by code.
import type { DataType } from '../../table-store/types.js';
import type { UdfContext } from './context.js';
import { impl, type ScalarFn, type ScalarImpl } from './impl.js';
import { allScalar, boolVec, bools, dictVec, floats, floatVec, ints, intVec, isScalar, result, strs, type Value } from './values.js';

export type CompareOp = 'equal' | 'notEqual' | 'lessThan' | 'lessThanEqual' | 'greaterThan' | 'greaterThanEqual';

const COMPARE_OPS: readonly CompareOp[] = ['equal', 'notEqual', 'lessThan', 'lessThanEqual', 'greaterThan', 'greaterThanEqual'];

function intCompare(op: CompareOp): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a, m: ma } = ints(args[0]!);
    const { a: b, m: mb } = ints(args[1]!);
    const r = new Uint8Array(k);
    switch (op) {
      case 'equal':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! === b[i & mb]! ? 1 : 0;
        break;
      case 'notEqual':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! !== b[i & mb]! ? 1 : 0;
        break;
      case 'lessThan':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! < b[i & mb]! ? 1 : 0;
        break;
      case 'lessThanEqual':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! <= b[i & mb]! ? 1 : 0;
        break;
      case 'greaterThan':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! > b[i & mb]! ? 1 : 0;
        break;
      case 'greaterThanEqual':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! >= b[i & mb]! ? 1 : 0;
        break;
    }
    return result('boolean', boolVec(r), c);
  };
}

function floatCompare(op: CompareOp): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a, m: ma } = floats(args[0]!, k);
    const { a: b, m: mb } = floats(args[1]!, k);
    const r = new Uint8Array(k);
    switch (op) {
      case 'equal':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! === b[i & mb]! ? 1 : 0;
        break;
      case 'notEqual':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! !== b[i & mb]! ? 1 : 0;
        break;
      case 'lessThan':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! < b[i & mb]! ? 1 : 0;
        break;
      case 'lessThanEqual':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! <= b[i & mb]! ? 1 : 0;
        break;
      case 'greaterThan':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! > b[i & mb]! ? 1 : 0;
        break;
      case 'greaterThanEqual':
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! >= b[i & mb]! ? 1 : 0;
        break;
    }
    return result('boolean', boolVec(r), c);
  };
}

const TWO53 = 9007199254740992;

/** Exact three-way comparison of an int64 and a double: -1, 0, 1, or NaN when unordered. */
function cmpIntFloat(x: bigint, y: number): number {
  if (Number.isNaN(y)) return NaN;
  const d = Number(x);
  if (d !== y || Math.abs(d) < TWO53) return d < y ? -1 : d > y ? 1 : 0;
  if (!Number.isFinite(y)) return y > 0 ? -1 : 1;
  // |y| ≥ 2^53 is an integer: compare exactly.
  const yi = BigInt(y);
  return x < yi ? -1 : x > yi ? 1 : 0;
}

const decide = (op: CompareOp, c: number): number => {
  if (Number.isNaN(c)) return op === 'notEqual' ? 1 : 0;
  switch (op) {
    case 'equal':
      return c === 0 ? 1 : 0;
    case 'notEqual':
      return c !== 0 ? 1 : 0;
    case 'lessThan':
      return c < 0 ? 1 : 0;
    case 'lessThanEqual':
      return c <= 0 ? 1 : 0;
    case 'greaterThan':
      return c > 0 ? 1 : 0;
    case 'greaterThanEqual':
      return c >= 0 ? 1 : 0;
  }
};

function mixedCompare(op: CompareOp, intFirst: boolean): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a: x, m: mx } = ints(args[intFirst ? 0 : 1]!);
    const { a: y, m: my } = floats(args[intFirst ? 1 : 0]!, k);
    const r = new Uint8Array(k);
    for (let i = 0; i < k; i++) {
      const v = cmpIntFloat(x[i & mx]!, y[i & my]!);
      r[i] = decide(op, intFirst ? v : -v);
    }
    return result('boolean', boolVec(r), c);
  };
}

const strCmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

function stringCompare(op: CompareOp): ScalarFn {
  return (args, n, ctx: UdfContext) => {
    const [x, y] = args as [Value, Value];
    if (isScalar(x) && isScalar(y)) return { scalar: true, type: 'boolean', value: decide(op, strCmp(x.value as string, y.value as string)) === 1 };
    if (isScalar(y) || isScalar(x)) {
      const constFirst = isScalar(x);
      const k = (constFirst ? x.value : (y as { value: string }).value) as string;
      const e = ctx.entries(constFirst ? y : x, n, `${op}\u0000${constFirst ? 'l' : 'r'}\u0000${k}`, (s) => decide(op, constFirst ? strCmp(k, s) : strCmp(s, k)));
      const r = new Uint8Array(n);
      const codes = e.codes;
      const res = e.results;
      for (let i = 0; i < n; i++) r[i] = res[codes[i]!]!;
      return boolVec(r);
    }
    const A = strs(x);
    const B = strs(y);
    const r = new Uint8Array(n);
    const sameDict = A.dict === B.dict;
    for (let i = 0; i < n; i++) {
      const ca = A.codes[i]!;
      const cb = B.codes[i]!;
      r[i] = decide(op, sameDict && ca === cb ? 0 : strCmp(A.dict[ca]!, B.dict[cb]!));
    }
    return boolVec(r);
  };
}

function boolCompare(op: 'equal' | 'notEqual'): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a, m: ma } = bools(args[0]!);
    const { a: b, m: mb } = bools(args[1]!);
    const r = new Uint8Array(k);
    const want = op === 'equal' ? 1 : 0;
    for (let i = 0; i < k; i++) r[i] = (a[i & ma] === b[i & mb]) === (want === 1) ? 1 : 0;
    return result('boolean', boolVec(r), c);
  };
}

const INTISH = new Set<DataType>(['int64', 'time64ns']);

function comparisonImpls(op: CompareOp): ScalarImpl[] {
  const ordered = op !== 'equal' && op !== 'notEqual';
  const out: ScalarImpl[] = [];
  const types: DataType[] = ordered ? ['int64', 'float64', 'time64ns', 'string'] : ['boolean', 'int64', 'uint128', 'float64', 'string', 'time64ns'];
  for (const a of types) {
    for (const b of types) {
      let fn: ScalarFn | undefined;
      if (INTISH.has(a) && INTISH.has(b)) fn = intCompare(op);
      else if (a === 'float64' && b === 'float64') fn = floatCompare(op);
      else if (a === 'int64' && b === 'float64') fn = mixedCompare(op, true);
      else if (a === 'float64' && b === 'int64') fn = mixedCompare(op, false);
      else if (a === b && (a === 'string' || a === 'uint128')) fn = stringCompare(op);
      else if (a === 'boolean' && b === 'boolean' && !ordered) fn = boolCompare(op as 'equal' | 'notEqual');
      if (fn) out.push(impl([a, b], 'boolean', fn));
    }
  }
  return out;
}

function logic(kind: 'and' | 'or'): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a, m: ma } = bools(args[0]!);
    const { a: b, m: mb } = bools(args[1]!);
    const r = new Uint8Array(k);
    if (kind === 'and') for (let i = 0; i < k; i++) r[i] = a[i & ma]! & b[i & mb]!;
    else for (let i = 0; i < k; i++) r[i] = a[i & ma]! | b[i & mb]!;
    return result('boolean', boolVec(r), c);
  };
}

const not: ScalarFn = (args, n) => {
  const c = allScalar(args);
  const k = c ? 1 : n;
  const { a } = bools(args[0]!);
  const r = new Uint8Array(k);
  for (let i = 0; i < k; i++) r[i] = a[i]! ^ 1;
  return result('boolean', boolVec(r), c);
};

/** px.select(cond, a, b): a where cond, else b. */
function select(t: DataType): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a: cond, m: mc } = bools(args[0]!);
    switch (t) {
      case 'boolean': {
        const { a, m: ma } = bools(args[1]!);
        const { a: b, m: mb } = bools(args[2]!);
        const r = new Uint8Array(k);
        for (let i = 0; i < k; i++) r[i] = cond[i & mc] ? a[i & ma]! : b[i & mb]!;
        return result(t, boolVec(r), c);
      }
      case 'int64':
      case 'time64ns': {
        const { a, m: ma } = ints(args[1]!);
        const { a: b, m: mb } = ints(args[2]!);
        const r = new BigInt64Array(k);
        for (let i = 0; i < k; i++) r[i] = cond[i & mc] ? a[i & ma]! : b[i & mb]!;
        return result(t, intVec(r, t), c);
      }
      case 'float64': {
        const { a, m: ma } = floats(args[1]!, k);
        const { a: b, m: mb } = floats(args[2]!, k);
        const r = new Float64Array(k);
        for (let i = 0; i < k; i++) r[i] = cond[i & mc] ? a[i & ma]! : b[i & mb]!;
        return result(t, floatVec(r), c);
      }
      case 'string':
      case 'uint128': {
        // Codes of b are shifted past a's dictionary; the two dictionaries are concatenated.
        const A = strs(args[1]!);
        const B = strs(args[2]!);
        const shared = A.dict === B.dict;
        const shift = shared ? 0 : A.dict.length;
        const r = new Uint32Array(k);
        for (let i = 0; i < k; i++) r[i] = cond[i & mc] ? A.codes[i & A.m]! : B.codes[i & B.m]! + shift;
        return result(t, dictVec(r, shared ? A.dict : [...A.dict, ...B.dict], t), c);
      }
    }
  };
}

export const COMPARE_FUNCTIONS: Record<string, ScalarImpl[]> = {
  ...Object.fromEntries(COMPARE_OPS.map((op) => [op, comparisonImpls(op)])),
  logicalAnd: [impl(['boolean', 'boolean'], 'boolean', logic('and'))],
  logicalOr: [impl(['boolean', 'boolean'], 'boolean', logic('or'))],
  logicalNot: [impl(['boolean'], 'boolean', not)],
  invert: [impl(['boolean'], 'boolean', not)],
  select: (['boolean', 'int64', 'uint128', 'float64', 'string', 'time64ns'] as const).map((t) => impl(['boolean', t, t], t, select(t))),
};
