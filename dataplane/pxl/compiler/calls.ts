// Scalar calls: overload resolution against the UDF signatures (with the few literal coercions
// scripts rely on), then constant folding.
import type { DataType, SemanticType } from '../../table-store/types.js';
import { fail, type Pos } from '../parse/errors.js';
import { SCALAR_FUNCTIONS, resolveScalar, type ScalarSignature } from '../udf/signatures.js';
import { foldCall } from './fold.js';
import { MAX_STRING_CHARS, MAX_VALUE_PARTS, SIZE_HINT, symParts } from './size.js';
import { isLit, lit, type LitSym, type Sym } from './sym.js';

/** A constant converted to another type when an overload needs it: 1 → 1.0, 'x' → uint128 'x'. */
function coerceLiteral(s: Sym, to: DataType): Sym | undefined {
  if (s.type === to) return s;
  if (!isLit(s)) return undefined;
  if (s.type === 'int64' && to === 'float64' && typeof s.value === 'bigint') return lit('float64', Number(s.value), s.pos, s.tag);
  if (s.type === 'string' && to === 'uint128') return lit('uint128', s.value, s.pos, s.tag);
  return undefined;
}

function matchWithCoercion(fn: string, args: readonly Sym[]): { signature: ScalarSignature; args: Sym[] } | undefined {
  for (const sig of SCALAR_FUNCTIONS[fn] ?? []) {
    if (sig.variadic ? args.length < sig.args.length - 1 : args.length !== sig.args.length) continue;
    const converted: Sym[] = [];
    for (let i = 0; i < args.length; i++) {
      const want = sig.args[Math.min(i, sig.args.length - 1)] as DataType;
      const c = coerceLiteral(args[i] as Sym, want);
      if (!c) break;
      converted.push(c);
    }
    if (converted.length === args.length) return { signature: sig, args: converted };
  }
  return undefined;
}

/**
 * Resolves `fn(args)`; folds it when every argument is a constant and the function folds.
 * `label` names the call in messages ("operator '+'", "px.contains()").
 */
export function makeCall(fn: string, args: readonly Sym[], pos: Pos, label: string, tag?: SemanticType): Sym {
  let resolved = resolveScalar(
    fn,
    args.map((a) => a.type),
  );
  let finalArgs: readonly Sym[] = args;
  if (!resolved.ok) {
    const coerced = matchWithCoercion(fn, args);
    if (!coerced) fail('type', `${label}: ${resolved.message}`, pos);
    resolved = { ok: true, signature: coerced.signature };
    finalArgs = coerced.args;
  }
  const sig = resolved.signature;
  if (finalArgs.every(isLit)) {
    const lits = finalArgs as readonly LitSym[];
    const folded = foldCall(
      fn,
      lits.map((a) => a.value),
      lits.map((a) => a.type),
      sig.returns,
    );
    if (folded && 'error' in folded) fail('value', `${label}: ${folded.error}`, pos);
    if (typeof folded?.value === 'string' && folded.value.length > MAX_STRING_CHARS) {
      fail('limit', `${label} builds a string of ${folded.value.length} characters; the limit is ${MAX_STRING_CHARS}; ${SIZE_HINT}`, pos);
    }
    if (folded) return lit(sig.returns, folded.value, pos, tag ?? sig.semantic);
  }
  const call: Sym = { k: 'call', fn, args: finalArgs, type: sig.returns, pos, label };
  if (symParts(call) > MAX_VALUE_PARTS) fail('limit', `${label} builds an expression of more than ${MAX_VALUE_PARTS} parts; ${SIZE_HINT}`, pos);
  const semantic = tag ?? sig.semantic;
  return semantic ? { ...call, ...(tag ? { tag } : { semantic }) } : call;
}

/** Re-resolves a call whose argument types changed (the expression is used on another DataFrame). */
export function resolveFor(fn: string, types: readonly DataType[], pos: Pos, label: string): ScalarSignature {
  const r = resolveScalar(fn, types);
  if (!r.ok) fail('type', `${label}: ${r.message}`, pos);
  return r.signature;
}

/** PxL operator → UDF name. */
export const BINARY_FUNCTIONS: Readonly<Record<string, string>> = {
  '+': 'add',
  '-': 'subtract',
  '*': 'multiply',
  '/': 'divide',
  '%': 'modulo',
  '**': 'pow',
  '&': 'logicalAnd',
  '|': 'logicalOr',
};

export const COMPARE_FUNCTIONS: Readonly<Record<string, string>> = {
  '==': 'equal',
  '!=': 'notEqual',
  '<': 'lessThan',
  '<=': 'lessThanEqual',
  '>': 'greaterThan',
  '>=': 'greaterThanEqual',
};
