import test from 'node:test';
import assert from 'node:assert/strict';
import { bucketKey, bucketValue, QUANTILES, QuantileSketch } from './sketch.js';

/** Nearest-rank quantile of sorted values. */
const exact = (sorted: number[], p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const distributions: Record<string, (r: () => number) => number> = {
  uniform: (r) => r() * 1e6,
  'log-uniform latency (ns)': (r) => Math.round(5e4 * Math.exp(r() * Math.log(4e4))),
  'small integers': (r) => Math.floor(r() * 20),
  'mixed sign': (r) => (r() - 0.5) * 1000,
  'heavy tail': (r) => 1 / (r() + 1e-9),
};

test('quantiles are within 3% (relative) of the exact nearest-rank values', () => {
  for (const [name, gen] of Object.entries(distributions)) {
    for (const n of [1, 7, 100, 20_000]) {
      const r = rng(n + name.length);
      const values = Array.from({ length: n }, () => gen(r));
      const s = new QuantileSketch();
      for (const x of values) s.add(x);
      const sorted = [...values].sort((a, b) => a - b);
      for (const [key, p] of QUANTILES) {
        const want = exact(sorted, p);
        const got = s.quantile(p);
        const err = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
        assert.ok(err <= 0.03, `${name} n=${n} ${key}: got ${got}, exact ${want} (error ${(err * 100).toFixed(2)}%)`);
      }
    }
  }
});

test('the bucket midpoint is within 1/64 of every value in the bucket', () => {
  for (const x of [1, 1.01, 3, 1000, 123456789, 1e-300, 1e300, 2 ** 52 + 1]) {
    const mid = bucketValue(bucketKey(x));
    assert.ok(Math.abs(mid - x) / x <= 1 / 64 + 1e-12, `${x} → ${mid}`);
  }
});

test('merging sketches equals one sketch over all the values; states round-trip', () => {
  const r = rng(7);
  const all = new QuantileSketch();
  const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
  for (let i = 0; i < 30_000; i++) {
    const x = i % 10 === 0 ? -r() * 10 : i % 17 === 0 ? 0 : r() * 1e9;
    all.add(x);
    parts[i % 3]!.add(x);
  }
  const merged = new QuantileSketch();
  for (const p of parts) merged.merge(QuantileSketch.deserialize(p.serialize()));
  assert.equal(merged.toJson(), all.toJson());
  assert.equal(merged.count, all.count);
});

test('JSON output has exactly the keys p01..p99; an empty sketch gives zeros; NaN is ignored', () => {
  const s = new QuantileSketch();
  assert.deepEqual(Object.keys(JSON.parse(s.toJson())), ['p01', 'p10', 'p25', 'p50', 'p75', 'p90', 'p99']);
  assert.deepEqual(Object.values(JSON.parse(s.toJson())), [0, 0, 0, 0, 0, 0, 0]);
  s.add(NaN);
  s.add(5);
  assert.equal(s.count, 1);
  assert.deepEqual(Object.values(JSON.parse(s.toJson())), [5, 5, 5, 5, 5, 5, 5]);
});

test('a state is compact: a thousand distinct latencies fit in well under a kilobyte', () => {
  const s = new QuantileSketch();
  for (let i = 0; i < 1000; i++) s.add(1e5 + i * 997);
  assert.ok(s.serialize().length < 1024, `${s.serialize().length} bytes`);
});
