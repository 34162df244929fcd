// A mergeable quantile sketch: a log-linear histogram (HDR-style) over the bits of a double.
//
// Every power of two is split into 2^SUB_BITS = 32 equal-width buckets, so a bucket spans at
// most 1/32 of its lower bound. The bucket key of a value is simply the top 16 bits of its
// IEEE-754 pattern below the sign (11 exponent bits + the top 5 mantissa bits): no logarithm
// per value. A quantile is answered with the midpoint of the bucket holding the rank, so the
// returned value is within 1/64 ≈ 1.6% (relative) of a true value of that rank — under the 3%
// the engine promises — and it is clamped to the observed min and max (exact at p0/p100).
// Ranks are nearest-rank: the p-quantile of n values is the value of rank ceil(p·n) (1-based).
//
// Positive and negative values have their own dense bucket ranges, grown on demand; zero has a
// counter; NaN is ignored. States merge by adding bucket counts, so a quantile computed from
// merged partial sketches equals the one computed over all the data at once.

const SUB_BITS = 5;
const SHIFT = 20 - SUB_BITS; // bits of the high word below the key
const KEYS = 1 << (11 + SUB_BITS);

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The bucket key of a positive, non-NaN double: 0 .. KEYS-1, ordered by value. */
export function bucketKey(v: number): number {
  f64[0] = v;
  return (u32[1]! >>> SHIFT) & (KEYS - 1);
}

/** Midpoint of bucket `key` (positive side). */
export function bucketValue(key: number): number {
  if (key >>> SUB_BITS === 0x7ff) return Infinity;
  u32[0] = 0;
  u32[1] = key << SHIFT;
  const lo = f64[0]!;
  u32[1] = (key + 1) << SHIFT;
  const hi = f64[0]!;
  return lo + (hi - lo) / 2;
}

/** Adds up the bytes of bucket arrays (shared by the sketches of one aggregate). */
export interface Meter {
  bytes: number;
}

/** Dense counts over keys [base, base + counts.length). */
class Buckets {
  base = 0;
  counts = new Uint32Array(0);
  constructor(private readonly meter: Meter | undefined) {}

  add(key: number, count: number): void {
    const i = key - this.base;
    if (i >= 0 && i < this.counts.length) {
      this.counts[i]! += count;
      return;
    }
    this.cover(key);
    this.counts[key - this.base]! += count;
  }

  private cover(key: number): void {
    const old = this.counts;
    if (old.length === 0) {
      this.base = Math.max(0, key - 8);
      this.counts = new Uint32Array(Math.min(32, KEYS - this.base));
      if (this.meter) this.meter.bytes += this.counts.byteLength;
      return;
    }
    const lo = Math.min(this.base, key);
    const hi = Math.max(this.base + old.length, key + 1);
    // Grow by at least half again, so a slowly widening range costs amortised O(1).
    const want = Math.max(hi - lo, old.length + (old.length >> 1));
    const newBase = key < this.base ? Math.max(0, hi - want) : lo;
    const len = Math.min(KEYS - newBase, Math.max(want, hi - newBase));
    const next = new Uint32Array(len);
    next.set(old, this.base - newBase);
    if (this.meter) this.meter.bytes += next.byteLength - old.byteLength;
    this.base = newBase;
    this.counts = next;
  }
}

export const QUANTILES = [
  ['p01', 0.01],
  ['p10', 0.1],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p90', 0.9],
  ['p99', 0.99],
] as const;

export class QuantileSketch {
  count = 0;
  min = Infinity;
  max = -Infinity;
  zeros = 0;
  readonly pos: Buckets;
  readonly neg: Buckets;

  constructor(meter?: Meter) {
    this.pos = new Buckets(meter);
    this.neg = new Buckets(meter);
  }

  add(v: number): void {
    if (v > 0) this.pos.add(bucketKey(v), 1);
    else if (v < 0) this.neg.add(bucketKey(-v), 1);
    else if (v === 0) this.zeros++;
    else return; // NaN
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(o: QuantileSketch): void {
    if (o.count === 0) return;
    this.count += o.count;
    this.zeros += o.zeros;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    for (const [mine, theirs] of [
      [this.pos, o.pos],
      [this.neg, o.neg],
    ] as const) {
      for (let i = 0; i < theirs.counts.length; i++) if (theirs.counts[i]) mine.add(theirs.base + i, theirs.counts[i]!);
    }
  }

  /** The value of the p-quantile (nearest rank), 0 for an empty sketch. */
  quantile(p: number): number {
    if (this.count === 0) return 0;
    let rank = Math.min(this.count, Math.max(1, Math.ceil(p * this.count)));
    let v = NaN;
    const neg = this.neg.counts;
    for (let i = neg.length - 1; i >= 0 && Number.isNaN(v); i--) {
      rank -= neg[i]!;
      if (rank <= 0) v = -bucketValue(this.neg.base + i);
    }
    if (Number.isNaN(v)) {
      rank -= this.zeros;
      if (rank <= 0) v = 0;
    }
    const pos = this.pos.counts;
    for (let i = 0; i < pos.length && Number.isNaN(v); i++) {
      rank -= pos[i]!;
      if (rank <= 0) v = bucketValue(this.pos.base + i);
    }
    if (Number.isNaN(v)) v = this.max;
    return Math.min(this.max, Math.max(this.min, v));
  }

  /** {"p01":…, "p10":…, "p25":…, "p50":…, "p75":…, "p90":…, "p99":…} */
  toJson(): string {
    let s = '{';
    for (let i = 0; i < QUANTILES.length; i++) {
      const [key, p] = QUANTILES[i]!;
      const q = this.quantile(p);
      s += `${i === 0 ? '' : ','}"${key}":${Number.isFinite(q) ? q : q > 0 ? '1e999' : '-1e999'}`;
    }
    return s + '}';
  }

  /** A compact state: version byte, varints and doubles, non-zero buckets as (key delta, count); base64. */
  serialize(): string {
    const w = new Writer();
    w.byte(1);
    w.uvar(this.count);
    w.f64(this.min);
    w.f64(this.max);
    w.uvar(this.zeros);
    for (const b of [this.pos, this.neg]) {
      let nonzero = 0;
      for (let i = 0; i < b.counts.length; i++) if (b.counts[i]) nonzero++;
      w.uvar(nonzero);
      let last = 0;
      for (let i = 0; i < b.counts.length; i++) {
        if (!b.counts[i]) continue;
        w.uvar(b.base + i - last);
        w.uvar(b.counts[i]!);
        last = b.base + i;
      }
    }
    return w.base64();
  }

  static deserialize(state: string): QuantileSketch {
    const r = new Reader(Buffer.from(state, 'base64'));
    const s = new QuantileSketch();
    if (r.byte() !== 1) throw new Error('not a quantile sketch state');
    s.count = r.uvar();
    s.min = r.f64();
    s.max = r.f64();
    s.zeros = r.uvar();
    for (const b of [s.pos, s.neg]) {
      let key = 0;
      for (let k = r.uvar(); k > 0; k--) {
        key += r.uvar();
        b.add(key, r.uvar());
      }
    }
    return s;
  }
}

class Writer {
  private buf = new Uint8Array(64);
  private n = 0;
  private readonly dv = () => new DataView(this.buf.buffer);

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.n++] = b;
  }

  /** Unsigned varint of an integer below 2^53. */
  uvar(v: number): void {
    this.room(8);
    while (v >= 128) {
      this.buf[this.n++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }

  f64(v: number): void {
    this.room(8);
    this.dv().setFloat64(this.n, v, true);
    this.n += 8;
  }

  base64(): string {
    return Buffer.from(this.buf.buffer, 0, this.n).toString('base64');
  }
}

class Reader {
  private i = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    return this.buf[this.i++]!;
  }

  uvar(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.i++];
      if (b === undefined) throw new Error('truncated quantile sketch state');
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  }

  f64(): number {
    const v = this.buf.readDoubleLE(this.i);
    this.i += 8;
    return v;
  }
}
