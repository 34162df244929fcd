import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from './random.js';
import { selectInRange } from './scan.js';

describe('selectInRange', () => {
  it('matches a plain bigint filter, inclusive, around 32-bit word boundaries and for negative times', () => {
    const rnd = seededRandom(7);
    const interesting = [0n, -1n, 1n, 2n ** 32n, 2n ** 32n - 1n, 2n ** 32n + 1n, -(2n ** 32n), -(2n ** 32n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 1_700_000_000_000_000_000n];
    const values = new BigInt64Array(2000);
    for (let i = 0; i < values.length; i++) {
      const base = interesting[Math.floor(rnd() * interesting.length)]!;
      values[i] = BigInt.asIntN(64, base + BigInt(Math.floor(rnd() * 5) - 2));
    }
    for (let k = 0; k < 200; k++) {
      const a = values[Math.floor(rnd() * values.length)]!;
      const b = values[Math.floor(rnd() * values.length)]!;
      const [start, end] = a <= b ? [a, b] : [b, a];
      const expected: number[] = [];
      values.forEach((t, i) => {
        if (t >= start && t <= end) expected.push(i);
      });
      assert.deepEqual([...selectInRange(values, start, end)], expected, `[${start}, ${end}]`);
    }
  });

  it('reads a view at an offset into a larger buffer', () => {
    const all = new BigInt64Array([50n, 1n, 2n, 3n, 50n]);
    assert.deepEqual([...selectInRange(all.subarray(1, 4), 2n, 3n)], [1, 2]);
  });
});
