import test from 'node:test';
import assert from 'node:assert/strict';
import { INT64_MAX, INT64_MIN, isScalar } from './values.js';
import { cells, k, run, v } from './test-support.js';

test('int64 arithmetic is exact and wraps like BigInt.asIntN(64)', () => {
  assert.deepEqual(cells('add', v('int64', 1n, INT64_MAX), k('int64', 1n)), [2n, INT64_MIN]);
  assert.deepEqual(cells('subtract', v('int64', INT64_MIN), k('int64', 1n)), [INT64_MAX]);
  assert.deepEqual(cells('multiply', v('int64', 9007199254740993n, 3n), v('int64', 3n, -7n)), [27021597764222979n, -21n]);
  assert.deepEqual(cells('multiply', v('int64', INT64_MAX), k('int64', 2n)), [-2n]);
  assert.deepEqual(cells('negate', v('int64', INT64_MIN, 5n)), [INT64_MIN, -5n]);
});

test('any float operand makes a float result; divide is always float64', () => {
  assert.deepEqual(cells('add', v('int64', 1n, 2n), k('float64', 0.5)), [1.5, 2.5]);
  assert.deepEqual(cells('multiply', k('float64', 2), v('int64', 3n)), [6]);
  assert.deepEqual(cells('divide', v('int64', 7n, 1n, -1n, 0n), k('int64', 0n)), [Infinity, Infinity, -Infinity, NaN]);
  assert.deepEqual(cells('divide', v('int64', 7n), k('int64', 2n)), [3.5]);
  assert.equal(run('divide', [v('int64', 7n), k('int64', 2n)]).value.type, 'float64');
});

test('modulo keeps the sign of the dividend and gives 0 for a zero divisor', () => {
  assert.deepEqual(cells('modulo', v('int64', 7n, -7n, 7n), v('int64', 3n, 3n, 0n)), [1n, -1n, 0n]);
});

test('floor, ceil and round turn floats into int64 (NaN → 0, huge → clamped); round is half away from zero', () => {
  assert.deepEqual(cells('floor', v('float64', 1.7, -1.2, NaN, 1e300)), [1n, -2n, 0n, INT64_MAX]);
  assert.deepEqual(cells('ceil', v('float64', 1.2, -1.7)), [2n, -1n]);
  assert.deepEqual(cells('round', v('float64', 2.5, -2.5, 1.4)), [3n, -3n, 1n]);
  assert.deepEqual(cells('floor', v('int64', 5n)), [5n]);
});

test('math functions take int64 and float64', () => {
  assert.deepEqual(cells('sqrt', v('int64', 16n)), [4]);
  assert.deepEqual(cells('log2', v('float64', 8)), [3]);
  assert.deepEqual(cells('log10', k('int64', 1000n)), [3]);
  assert.deepEqual(cells('pow', v('int64', 2n), k('float64', 0.5)), [Math.SQRT2]);
  assert.deepEqual(cells('abs', v('int64', -3n, 3n)), [3n, 3n]);
});

test('time arithmetic: time ± int64 is a time, time - time an int64', () => {
  const t = run('add', [v('time64ns', 1000n), k('int64', 5n)]);
  assert.equal(t.value.type, 'time64ns');
  assert.deepEqual(t.cells, [1005n]);
  assert.equal(run('subtract', [v('time64ns', 1000n), v('time64ns', 400n)]).value.type, 'int64');
});

test('constants stay constants: a call over constants gives a constant, not a vector', () => {
  const r = run('add', [k('int64', 2n), k('int64', 3n)]);
  assert.ok(isScalar(r.value));
  assert.deepEqual(r.cells, [5n]);
});

test('string + string concatenates; a constant side runs once per dictionary entry and keeps the codes', () => {
  const col = v('string', 'a', 'b', 'a', 'a');
  const r = run('add', [col, k('string', '!')]);
  assert.deepEqual(r.cells, ['a!', 'b!', 'a!', 'a!']);
  assert.equal((r.value as { codes: Uint32Array }).codes, (col as { codes: Uint32Array }).codes);
  assert.deepEqual(cells('add', k('string', '>'), col), ['>a', '>b', '>a', '>a']);
  assert.deepEqual(cells('add', col, v('string', 'x', 'y', 'z', 'x')), ['ax', 'by', 'az', 'ax']);
});
