// JSON text functions: pluck a key out of an object (headers, quantiles), an element out of an
// array; script references; service-name lists. Each distinct text is parsed once per query
// (UdfContext.json), and a dictionary column is plucked once per entry.
import type { UdfContext } from './context.js';
import { atof, atoi } from './convert.js';
import { impl, type ScalarImpl } from './impl.js';
import { rowwise } from './rowwise.js';
import { toInt64 } from './values.js';

/** A JSON value as text: strings as themselves, null and absent as '', the rest as JSON. */
function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function member(ctx: UdfContext, text: string, key: string): unknown {
  const obj = ctx.json(text);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function element(ctx: UdfContext, text: string, index: bigint): unknown {
  const arr = ctx.json(text);
  if (!Array.isArray(arr) || index < 0n || index >= BigInt(arr.length)) return undefined;
  return arr[Number(index)];
}

/** Missing or non-numeric → 0. */
function asInt(v: unknown): bigint {
  if (typeof v === 'number') return toInt64(v);
  if (typeof v === 'string') return atoi(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return 0n;
}

/** Missing or non-numeric → NaN. */
function asFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return atof(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

/** services is one name or a JSON array of names (what upid_to_service_name gives for a pod behind several services). */
export function hasServiceName(services: string, name: string): boolean {
  if (services.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(services);
      if (Array.isArray(list)) return list.includes(name);
    } catch {
      // not a list: compare as one name
    }
  }
  return services === name;
}

export const JSON_FUNCTIONS: Record<string, ScalarImpl[]> = {
  pluck: [impl(['string', 'string'], 'string', rowwise('pluck', 'string', ([t, k], ctx) => asText(member(ctx, t as string, k as string))))],
  pluck_int64: [impl(['string', 'string'], 'int64', rowwise('pluck_int64', 'int64', ([t, k], ctx) => asInt(member(ctx, t as string, k as string))))],
  pluck_float64: [impl(['string', 'string'], 'float64', rowwise('pluck_float64', 'float64', ([t, k], ctx) => asFloat(member(ctx, t as string, k as string))))],
  pluck_array: [impl(['string', 'int64'], 'string', rowwise('pluck_array', 'string', ([t, i], ctx) => asText(element(ctx, t as string, i as bigint))))],
  script_reference: [
    {
      args: ['string', 'string', 'string'],
      returns: 'string',
      variadic: true,
      fn: rowwise('script_reference', 'string', (cells) => {
        const args: Record<string, string> = {};
        for (let i = 2; i + 1 < cells.length; i += 2) args[cells[i] as string] = cells[i + 1] as string;
        return JSON.stringify({ label: cells[0], script: cells[1], args });
      }),
    },
  ],
  has_service_name: [impl(['string', 'string'], 'boolean', rowwise('has_service_name', 'boolean', ([s, name]) => hasServiceName(s as string, name as string)))],
};
