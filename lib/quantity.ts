// Kubernetes resource quantities ("512Mi", "1.5", "500m", "2e3"), parsed exactly enough to
// tell whether two spellings mean the same amount.

export class QuantityError extends Error {
  constructor(readonly input: string) {
    super(`invalid quantity "${input}": expected a number with an optional suffix, e.g. 512Mi, 2Gi, 500m or 1.5`);
    this.name = 'QuantityError';
  }
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const BINARY_POWER: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** An exact value as numerator / denominator. */
interface Fraction {
  num: bigint;
  den: bigint;
}

function exactQuantity(q: string | number): Fraction | undefined {
  const m = QUANTITY.exec(typeof q === 'number' ? String(q) : q.trim());
  if (!m) return undefined;
  const [, sign, mantissa, exponent, suffix] = m;
  const [whole, frac = ''] = mantissa.split('.');
  let num = BigInt((whole || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  let exp10 = exponent !== undefined ? Number(exponent) : 0;
  if (suffix !== undefined && suffix in BINARY_POWER) num *= 1024n ** BigInt(BINARY_POWER[suffix]);
  else if (suffix !== undefined) exp10 = DECIMAL_EXPONENT[suffix];
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den *= 10n ** BigInt(-exp10);
  return { num: sign === '-' ? -num : num, den };
}

/** The amount a quantity stands for: bytes for memory, cores for CPU. Throws QuantityError. */
export function parseQuantity(q: string | number): number {
  const f = exactQuantity(q);
  if (!f) throw new QuantityError(String(q));
  return Number(f.num) / Number(f.den);
}

/** True when both are valid quantities of the same amount ('1Gi' and '1024Mi', '1' and '1000m'). */
export function quantitiesEqual(a: string | number, b: string | number): boolean {
  const x = exactQuantity(a);
  const y = exactQuantity(b);
  return x !== undefined && y !== undefined && x.num * y.den === y.num * x.den;
}

const NANO_DEN = 10n ** 9n;
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The amount Kubernetes keeps for a quantity (resource.ParseQuantity), in nano units: the exact
 * value rounded away from zero to a whole nano, and a binary-suffixed one (Ki..Ei) capped at
 * 2^63-1. Undefined when it is no quantity.
 */
function kubernetesNanos(q: string): bigint | undefined {
  const f = exactQuantity(q);
  if (!f) return undefined;
  const magnitude = f.num < 0n ? -f.num : f.num;
  let nanos = (magnitude * NANO_DEN + f.den - 1n) / f.den;
  if (/[KMGTPE]i$/.test(q.trim()) && nanos > INT64_MAX * NANO_DEN) nanos = INT64_MAX * NANO_DEN;
  return f.num < 0n ? -nanos : nanos;
}

/**
 * -1, 0 or 1 as `a` is less than, equal to or more than `b`, the way Kubernetes compares
 * quantities (Quantity.Cmp, CEL's quantity(a).compareTo(quantity(b))). Throws QuantityError.
 */
export function compareQuantities(a: string, b: string): -1 | 0 | 1 {
  const x = kubernetesNanos(a);
  if (x === undefined) throw new QuantityError(a);
  const y = kubernetesNanos(b);
  if (y === undefined) throw new QuantityError(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const BINARY_UNITS: [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

/** Bytes as a quantity with the largest binary suffix that divides them exactly: 2Gi, 1536Mi, 1000. */
export function formatBytes(bytes: number): string {
  const n = Math.ceil(bytes);
  if (n !== 0) {
    for (const [suffix, size] of BINARY_UNITS) {
      if (n % size === 0) return `${n / size}${suffix}`;
    }
  }
  return String(n);
}
