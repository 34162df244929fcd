// Durations as Loupe's users write them, one grammar for manifests, flags, environment variables
// and PxL: an optional sign, then one or more <number><unit> terms ("30s", "1h30m", "1.5h", "-5m",
// "250ms"), units ns, us (or µs), ms, s, m, h, d. Surrounding blanks are ignored. Each caller
// keeps its own bounds (a retention must be positive, a PxL offset may be negative) and messages.

export const DURATION_UNIT_NS = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
} as const;

export type DurationUnit = keyof typeof DURATION_UNIT_NS;

/**
 * The forms a manifest may use (the CRDs' OpenAPI pattern, which the API server checks): whole
 * numbers of ms, s, m, h and d, unsigned, e.g. "30s", "1h30m", "14d". Every one parses here.
 */
export const MANIFEST_DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d))+$';

const TERM = /(\d+)(?:\.(\d+))?(ns|us|µs|ms|s|m|h|d)/g;
const DURATION = /^([+-]?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+)$/;
const BARE_NUMBER = /^([+-]?)(\d+(?:\.\d+)?)$/;

export interface DurationOptions {
  /** A bare number ("10", "1.5") means this unit; without it a bare number is not a duration. */
  readonly bareNumberUnit?: DurationUnit;
}

/** Signed nanoseconds (fractions below 1 ns are dropped); undefined when the text is not a duration. */
export function parseDurationNs(text: string, opts: DurationOptions = {}): bigint | undefined {
  const s = text.trim();
  const bare = opts.bareNumberUnit !== undefined ? BARE_NUMBER.exec(s) : null;
  const m = bare ? [bare[0], bare[1], `${bare[2]}${opts.bareNumberUnit}`] : DURATION.exec(s);
  if (!m) return undefined;
  let total = 0n;
  for (const [, whole, frac, unit] of m[2]!.matchAll(TERM)) {
    const unitNs = DURATION_UNIT_NS[unit as DurationUnit];
    total += BigInt(whole!) * unitNs;
    if (frac) total += (BigInt(frac) * unitNs) / 10n ** BigInt(frac.length);
  }
  return m[1] === '-' ? -total : total;
}

/** Milliseconds, rounded to the nearest; undefined when the text is not a duration. */
export function parseDurationMs(text: string, opts: DurationOptions = {}): number | undefined {
  const ns = parseDurationNs(text, opts);
  return ns === undefined ? undefined : Math.round(Number(ns) / 1e6);
}

const FORMAT_UNITS: readonly DurationUnit[] = ['d', 'h', 'm', 's', 'ms', 'us', 'ns'];

/** The shortest text of this grammar for a number of nanoseconds: 5_400_000_000_000n → "1h30m". */
export function formatDurationNs(ns: bigint): string {
  if (ns === 0n) return '0s';
  let rest = ns < 0n ? -ns : ns;
  let out = ns < 0n ? '-' : '';
  for (const unit of FORMAT_UNITS) {
    const size = DURATION_UNIT_NS[unit];
    if (rest >= size) {
      out += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** formatDurationNs for whole milliseconds. */
export function formatDurationMs(ms: number): string {
  return formatDurationNs(BigInt(Math.round(ms)) * 1_000_000n);
}
