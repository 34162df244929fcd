// Symbolic scalar values while a script is interpreted: constants, column references by name,
// and calls. Columns are resolved by name against the DataFrame an expression is used on (as
// in Pixie), so `joined.x = df.pod` works when `joined` has a `pod` column.
import type { CellValue, DataType, SemanticType } from '../../table-store/types.js';
import type { Pos } from '../parse/errors.js';

export type Sym =
  | { readonly k: 'lit'; readonly type: DataType; readonly value: CellValue; readonly tag?: SemanticType; readonly pos: Pos }
  | {
      readonly k: 'col';
      readonly name: string;
      readonly type: DataType;
      /** The column's semantic type in the DataFrame it was read from. */
      readonly semantic?: SemanticType;
      /** Set by a semantic wrapper such as px.DurationNanos(...): wins over the column's own. */
      readonly tag?: SemanticType;
      readonly pos: Pos;
    }
  | {
      readonly k: 'call';
      readonly fn: string;
      readonly args: readonly Sym[];
      readonly type: DataType;
      readonly semantic?: SemanticType;
      readonly tag?: SemanticType;
      readonly pos: Pos;
      /** How the script spelt it, for messages: "operator '+'", "px.contains()". */
      readonly label: string;
    };

export type LitSym = Extract<Sym, { k: 'lit' }>;

export const lit = (type: DataType, value: CellValue, pos: Pos, tag?: SemanticType): LitSym => (tag && tag !== 'none' ? { k: 'lit', type, value, tag, pos } : { k: 'lit', type, value, pos });

export const isLit = (s: Sym): s is LitSym => s.k === 'lit';

/** The same value with a semantic type attached (px.DurationNanos(x), px.Pod(x), ...). */
export function tagged(s: Sym, tag: SemanticType): Sym {
  return { ...s, tag };
}

/** Python truthiness of a constant. */
export function truthy(s: LitSym): boolean {
  const v = s.value;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  return v;
}

/** A constant as PxL source would spell it, for messages and plan printing. */
export function showValue(type: DataType, value: CellValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(1) : String(value);
  return type === 'time64ns' ? `time(${value})` : String(value);
}
