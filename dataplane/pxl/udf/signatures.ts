// The signatures of every scalar function (UDF) and aggregate (UDA) a plan may call: the
// compiler type-checks calls against these, the executor has one implementation per overload
// (a unit test checks the two agree). PxL operators map to names here: + add, - subtract,
// * multiply, / divide, % modulo, unary - negate, == equal, != notEqual, < lessThan,
// <= lessThanEqual, > greaterThan, >= greaterThanEqual, and logicalAnd, or logicalOr,
// not logicalNot, ~ invert.
import type { DataType, SemanticType } from '../../table-store/types.js';

export interface ScalarSignature {
  readonly args: readonly DataType[];
  readonly returns: DataType;
  /** The last argument type repeats any number of times (zero included). */
  readonly variadic?: boolean;
  /** Semantic type of the result, when the function fixes one. */
  readonly semantic?: SemanticType;
}

export interface AggregateSignature {
  readonly arg: DataType;
  readonly returns: DataType;
  readonly semantic?: SemanticType;
}

type Sig = readonly [args: readonly DataType[], returns: DataType];
const sigs = (...list: readonly Sig[]): ScalarSignature[] => list.map(([args, returns]) => ({ args, returns }));

const NUMERIC: readonly DataType[] = ['int64', 'float64'];
const ORDERED: readonly DataType[] = ['int64', 'float64', 'time64ns', 'string'];
const ALL: readonly DataType[] = ['boolean', 'int64', 'uint128', 'float64', 'string', 'time64ns'];

/** Numeric binary op: int∘int → int, any float → float. */
function arithmetic(): ScalarSignature[] {
  const out: ScalarSignature[] = [];
  for (const a of NUMERIC) for (const b of NUMERIC) out.push({ args: [a, b], returns: a === 'int64' && b === 'int64' ? 'int64' : 'float64' });
  return out;
}

function comparison(types: readonly DataType[]): ScalarSignature[] {
  const out: ScalarSignature[] = [];
  for (const a of types) for (const b of types) {
    const numericPair = NUMERIC.includes(a) && NUMERIC.includes(b);
    // time64ns compares with time64ns and with int64 (ns); other types only with themselves.
    const timePair = (a === 'time64ns' && (b === 'time64ns' || b === 'int64')) || (b === 'time64ns' && a === 'int64');
    if (a === b || numericPair || timePair) out.push({ args: [a, b], returns: 'boolean' });
  }
  return out;
}

const uniq = (list: ScalarSignature[]): ScalarSignature[] => {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = s.args.join(',');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

const metadataFromUpid = (returns: DataType = 'string'): ScalarSignature[] => sigs([['uint128'], returns], [['string'], returns]);
const metadataFromString = (returns: DataType = 'string'): ScalarSignature[] => sigs([['string'], returns]);

export const SCALAR_FUNCTIONS: Readonly<Record<string, readonly ScalarSignature[]>> = {
  // arithmetic
  add: [...arithmetic(), ...sigs([['time64ns', 'int64'], 'time64ns'], [['int64', 'time64ns'], 'time64ns'], [['string', 'string'], 'string'])],
  subtract: [...arithmetic(), ...sigs([['time64ns', 'int64'], 'time64ns'], [['time64ns', 'time64ns'], 'int64'])],
  multiply: arithmetic(),
  /** Always float64, as in Pixie (int / int included). */
  divide: NUMERIC.flatMap((a) => NUMERIC.map((b) => ({ args: [a, b], returns: 'float64' as DataType }))),
  modulo: sigs([['int64', 'int64'], 'int64']),
  negate: sigs([['int64'], 'int64'], [['float64'], 'float64']),
  abs: sigs([['int64'], 'int64'], [['float64'], 'float64']),
  floor: sigs([['float64'], 'int64'], [['int64'], 'int64']),
  ceil: sigs([['float64'], 'int64'], [['int64'], 'int64']),
  round: sigs([['float64'], 'int64'], [['int64'], 'int64']),
  sqrt: sigs([['float64'], 'float64'], [['int64'], 'float64']),
  log: sigs([['float64'], 'float64'], [['int64'], 'float64']),
  log2: sigs([['float64'], 'float64'], [['int64'], 'float64']),
  log10: sigs([['float64'], 'float64'], [['int64'], 'float64']),
  pow: sigs([['float64', 'float64'], 'float64'], [['int64', 'int64'], 'float64'], [['int64', 'float64'], 'float64'], [['float64', 'int64'], 'float64']),
  // comparison
  equal: uniq([...comparison(ALL)]),
  notEqual: uniq([...comparison(ALL)]),
  lessThan: comparison(ORDERED),
  lessThanEqual: comparison(ORDERED),
  greaterThan: comparison(ORDERED),
  greaterThanEqual: comparison(ORDERED),
  // logic
  logicalAnd: sigs([['boolean', 'boolean'], 'boolean']),
  logicalOr: sigs([['boolean', 'boolean'], 'boolean']),
  logicalNot: sigs([['boolean'], 'boolean']),
  invert: sigs([['boolean'], 'boolean']),
  /** px.select(cond, if_true, if_false) */
  select: ALL.map((t) => ({ args: ['boolean', t, t], returns: t })),
  // conversion
  int64_to_string: sigs([['int64'], 'string']),
  float64_to_string: sigs([['float64'], 'string']),
  time_to_int64: sigs([['time64ns'], 'int64']),
  int64_to_time: sigs([['int64'], 'time64ns']),
  int64_to_float64: sigs([['int64'], 'float64']),
  /** Decimal text → int64; text that is not an integer gives 0. */
  atoi: sigs([['string'], 'int64']),
  /** Decimal text → float64; text that is not a number gives NaN. */
  atof: sigs([['string'], 'float64']),
  // strings
  contains: sigs([['string', 'string'], 'boolean']),
  /** Index of the first occurrence, -1 when absent. */
  find: sigs([['string', 'string'], 'int64']),
  /** substring(s, start, length) */
  substring: sigs([['string', 'int64', 'int64'], 'string']),
  /** replace(regex_pattern, s, replacement), RE2-like syntax, every match. */
  replace: sigs([['string', 'string', 'string'], 'string']),
  /** regex_match(regex_pattern, s): the whole string matches. */
  regex_match: sigs([['string', 'string'], 'boolean']),
  /** split(s, delimiter) → JSON array text. */
  split: sigs([['string', 'string'], 'string']),
  length: sigs([['string'], 'int64']),
  toupper: sigs([['string'], 'string']),
  tolower: sigs([['string'], 'string']),
  trim: sigs([['string'], 'string']),
  strip_prefix: sigs([['string', 'string'], 'string']),
  // JSON text (headers, quantiles)
  pluck: sigs([['string', 'string'], 'string']),
  pluck_int64: sigs([['string', 'string'], 'int64']),
  pluck_float64: sigs([['string', 'string'], 'float64']),
  /** pluck_array(json_array_text, index) → element as text. */
  pluck_array: sigs([['string', 'int64'], 'string']),
  // time
  /** bin(t, width): floor t to a multiple of width. */
  bin: sigs([['time64ns', 'int64'], 'time64ns'], [['int64', 'int64'], 'int64']),
  /** Pixie's duration text ("-5m", "30s", "1h") → ns; text that is not a duration is a runtime error. */
  parse_duration: sigs([['string'], 'int64']),
  /** RFC 3339 / ISO 8601 text → time. */
  parse_time: sigs([['string'], 'time64ns']),
  // display helpers
  /** script_reference(label, script, name1, value1, ...) → JSON text a console renders as a link. */
  script_reference: [{ args: ['string', 'string', 'string'], returns: 'string', variadic: true, semantic: 'script_reference' }],
  // metadata (the node's metadata view; unknown → '')
  upid_to_pod_name: metadataFromUpid(),
  upid_to_pod_id: metadataFromUpid(),
  upid_to_namespace: metadataFromUpid(),
  upid_to_service_name: metadataFromUpid(),
  upid_to_service_id: metadataFromUpid(),
  upid_to_node_name: metadataFromUpid(),
  upid_to_hostname: metadataFromUpid(),
  upid_to_container_name: metadataFromUpid(),
  upid_to_container_id: metadataFromUpid(),
  upid_to_cmdline: metadataFromUpid(),
  upid_to_pid: metadataFromUpid('int64'),
  upid_to_string: metadataFromUpid(),
  pod_id_to_pod_name: metadataFromString(),
  pod_id_to_namespace: metadataFromString(),
  pod_id_to_node_name: metadataFromString(),
  pod_id_to_service_name: metadataFromString(),
  pod_id_to_service_id: metadataFromString(),
  pod_name_to_pod_id: metadataFromString(),
  pod_name_to_namespace: metadataFromString(),
  pod_name_to_start_time: metadataFromString('time64ns'),
  pod_name_to_status: metadataFromString(),
  pod_name_to_pod_ip: metadataFromString(),
  pod_name_to_service_name: metadataFromString(),
  ip_to_pod_id: metadataFromString(),
  ip_to_service_id: metadataFromString(),
  service_id_to_service_name: metadataFromString(),
  service_name_to_namespace: metadataFromString(),
  /** has_service_name(services, name): services is one name or a JSON array of names. */
  has_service_name: sigs([['string', 'string'], 'boolean']),
  /** Reverse lookup of an IP through the metadata (pods, services, nodes); the IP itself when unknown. */
  nslookup: metadataFromString(),
  /** The cluster's name ($LOUPE_CLUSTER_NAME), as Pixie's px.vizier_name(); '' when not set. */
  vizier_name: sigs([[], 'string']),
  /** The namespace the Vizier runs in; '' outside a pod. */
  vizier_namespace: sigs([[], 'string']),
};

export const AGGREGATE_FUNCTIONS: Readonly<Record<string, readonly AggregateSignature[]>> = {
  count: ALL.map((t) => ({ arg: t, returns: 'int64' as DataType })),
  sum: [
    { arg: 'int64', returns: 'int64' },
    { arg: 'float64', returns: 'float64' },
    { arg: 'boolean', returns: 'int64' },
  ],
  mean: [
    { arg: 'int64', returns: 'float64' },
    { arg: 'float64', returns: 'float64' },
    { arg: 'boolean', returns: 'float64' },
  ],
  min: ORDERED.map((t) => ({ arg: t, returns: t })),
  max: ORDERED.map((t) => ({ arg: t, returns: t })),
  /** JSON text {"p01":…, "p10":…, "p25":…, "p50":…, "p75":…, "p90":…, "p99":…}; read with px.pluck_float64. */
  quantiles: [
    { arg: 'int64', returns: 'string', semantic: 'quantiles' },
    { arg: 'float64', returns: 'string', semantic: 'quantiles' },
  ],
  any: ALL.map((t) => ({ arg: t, returns: t })),
};

export type Resolved<T> = { readonly ok: true; readonly signature: T } | { readonly ok: false; readonly message: string };

const list = (types: readonly DataType[]) => (types.length === 0 ? '()' : `(${types.join(', ')})`);

export function resolveScalar(name: string, args: readonly DataType[]): Resolved<ScalarSignature> {
  const overloads = SCALAR_FUNCTIONS[name];
  if (!overloads) return { ok: false, message: `unknown function '${name}'` };
  for (const s of overloads) {
    if (s.variadic ? args.length >= s.args.length - 1 && args.every((t, i) => t === s.args[Math.min(i, s.args.length - 1)]) : s.args.length === args.length && s.args.every((t, i) => t === args[i])) {
      return { ok: true, signature: s };
    }
  }
  const accepted = overloads.map((s) => list(s.args) + (s.variadic ? '...' : '')).join(', ');
  return { ok: false, message: `no overload of '${name}' takes ${list(args)}; it takes ${accepted}` };
}

export function resolveAggregate(name: string, arg: DataType): Resolved<AggregateSignature> {
  const overloads = AGGREGATE_FUNCTIONS[name];
  if (!overloads) return { ok: false, message: `unknown aggregate '${name}'` };
  const s = overloads.find((o) => o.arg === arg);
  if (s) return { ok: true, signature: s };
  return { ok: false, message: `aggregate '${name}' does not take ${arg}; it takes ${overloads.map((o) => o.arg).join(', ')}` };
}
