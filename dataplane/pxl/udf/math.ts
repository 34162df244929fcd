// Arithmetic and math functions. int64 arithmetic wraps like BigInt.asIntN(64) (stores into a
// BigInt64Array truncate); any float operand makes the result float64; divide is always
// float64 (x/0 → ±Infinity or NaN, as doubles do); modulo by zero gives 0.
import type { DataType } from '../../table-store/types.js';
import { impl, type ScalarFn, type ScalarImpl } from './impl.js';
import { allScalar, dictVec, DictBuilder, floats, floatVec, ints, intVec, isScalar, result, strs, toInt64 } from './values.js';

const enum Op {
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Pow,
}

function intArith(op: Op, out: 'int64' | 'time64ns'): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a, m: ma } = ints(args[0]!);
    const { a: b, m: mb } = ints(args[1]!);
    const r = new BigInt64Array(k);
    switch (op) {
      case Op.Add:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! + b[i & mb]!;
        break;
      case Op.Sub:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! - b[i & mb]!;
        break;
      case Op.Mul:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! * b[i & mb]!;
        break;
      default:
        for (let i = 0; i < k; i++) {
          const y = b[i & mb]!;
          r[i] = y === 0n ? 0n : a[i & ma]! % y;
        }
    }
    return result(out, intVec(r, out), c);
  };
}

function floatArith(op: Op): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a, m: ma } = floats(args[0]!, k);
    const { a: b, m: mb } = floats(args[1]!, k);
    const r = new Float64Array(k);
    switch (op) {
      case Op.Add:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! + b[i & mb]!;
        break;
      case Op.Sub:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! - b[i & mb]!;
        break;
      case Op.Mul:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! * b[i & mb]!;
        break;
      case Op.Div:
        for (let i = 0; i < k; i++) r[i] = a[i & ma]! / b[i & mb]!;
        break;
      default:
        for (let i = 0; i < k; i++) r[i] = Math.pow(a[i & ma]!, b[i & mb]!);
    }
    return result('float64', floatVec(r), c);
  };
}

const NUMERIC: readonly DataType[] = ['int64', 'float64'];

/** The four numeric overloads of a binary arithmetic operator. */
function numeric(op: Op, intResult: boolean): ScalarImpl[] {
  const out: ScalarImpl[] = [];
  for (const x of NUMERIC) {
    for (const y of NUMERIC) {
      const bothInt = x === 'int64' && y === 'int64';
      out.push(impl([x, y], bothInt && intResult ? 'int64' : 'float64', bothInt && intResult ? intArith(op, 'int64') : floatArith(op)));
    }
  }
  return out;
}

/** String concatenation; a constant side is applied once per dictionary entry of the other. */
const concat: ScalarFn = (args, n, ctx) => {
  const [x, y] = args as [typeof args[0], typeof args[0]];
  if (isScalar(x!) && isScalar(y!)) return { scalar: true, type: 'string', value: (x.value as string) + (y.value as string) };
  if (isScalar(y!)) {
    const e = ctx.entries(x!, n, `concat-r\u0000${y.value as string}`, (s) => s + (y.value as string));
    return dictVec(e.codes, e.results);
  }
  if (isScalar(x!)) {
    const e = ctx.entries(y!, n, `concat-l\u0000${x.value as string}`, (s) => (x.value as string) + s);
    return dictVec(e.codes, e.results);
  }
  const A = strs(x!);
  const B = strs(y!);
  const b = new DictBuilder();
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = b.code(A.dict[A.codes[i]!]! + B.dict[B.codes[i]!]!);
  return dictVec(codes, b.dict);
};

function unaryInt(f: (x: bigint) => bigint): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a } = ints(args[0]!);
    const r = new BigInt64Array(k);
    for (let i = 0; i < k; i++) r[i] = f(a[i]!);
    return result('int64', intVec(r), c);
  };
}

function unaryFloat(f: (x: number) => number): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a } = floats(args[0]!, k);
    const r = new Float64Array(k);
    for (let i = 0; i < k; i++) r[i] = f(a[i]!);
    return result('float64', floatVec(r), c);
  };
}

/** float64 → int64 through a rounding function (NaN → 0, out of range → clamped). */
function floatToInt(f: (x: number) => number): ScalarFn {
  return (args, n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a } = floats(args[0]!, k);
    const r = new BigInt64Array(k);
    for (let i = 0; i < k; i++) r[i] = toInt64(f(a[i]!));
    return result('int64', intVec(r), c);
  };
}

const identity: ScalarFn = (args) => args[0]!;

/** Half away from zero, as C's round(). */
const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

const logs: Record<string, (x: number) => number> = { sqrt: Math.sqrt, log: Math.log, log2: Math.log2, log10: Math.log10 };

export const MATH_FUNCTIONS: Record<string, ScalarImpl[]> = {
  add: [
    ...numeric(Op.Add, true),
    impl(['time64ns', 'int64'], 'time64ns', intArith(Op.Add, 'time64ns')),
    impl(['int64', 'time64ns'], 'time64ns', intArith(Op.Add, 'time64ns')),
    impl(['string', 'string'], 'string', concat),
  ],
  subtract: [...numeric(Op.Sub, true), impl(['time64ns', 'int64'], 'time64ns', intArith(Op.Sub, 'time64ns')), impl(['time64ns', 'time64ns'], 'int64', intArith(Op.Sub, 'int64'))],
  multiply: numeric(Op.Mul, true),
  divide: numeric(Op.Div, false),
  modulo: [impl(['int64', 'int64'], 'int64', intArith(Op.Mod, 'int64'))],
  negate: [impl(['int64'], 'int64', unaryInt((x) => -x)), impl(['float64'], 'float64', unaryFloat((x) => -x))],
  abs: [impl(['int64'], 'int64', unaryInt((x) => (x < 0n ? -x : x))), impl(['float64'], 'float64', unaryFloat(Math.abs))],
  floor: [impl(['float64'], 'int64', floatToInt(Math.floor)), impl(['int64'], 'int64', identity)],
  ceil: [impl(['float64'], 'int64', floatToInt(Math.ceil)), impl(['int64'], 'int64', identity)],
  round: [impl(['float64'], 'int64', floatToInt(roundHalfAway)), impl(['int64'], 'int64', identity)],
  ...Object.fromEntries(Object.entries(logs).map(([name, f]) => [name, [impl(['float64'], 'float64', unaryFloat(f)), impl(['int64'], 'float64', unaryFloat(f))]])),
  pow: [
    impl(['float64', 'float64'], 'float64', floatArith(Op.Pow)),
    impl(['int64', 'int64'], 'float64', floatArith(Op.Pow)),
    impl(['int64', 'float64'], 'float64', floatArith(Op.Pow)),
    impl(['float64', 'int64'], 'float64', floatArith(Op.Pow)),
  ],
};
